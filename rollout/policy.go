package rollout

import (
	"context"
	"slices"

	"research/protocol"
)

// Policy continues token sequences. Token in, token out: the rollout never
// re-tokenizes what a policy produced.
type Policy interface {
	// Generate continues req.Tokens until a stop id or stop string is
	// produced (its tokens stay in the output) or req.MaxTokens tokens are
	// generated. Safe for concurrent use; implementations batch concurrent
	// calls.
	Generate(ctx context.Context, req Request) (Completion, error)
}

// Releaser is implemented by policies that keep per-sequence state (a KV
// cache): the loop calls Release once a rollout is over.
type Releaser interface {
	Release(key string)
}

// ContextLimiter is implemented by policies that know their model's
// context (the in-process engine): a rollout's response budget is cut to
// the positions its prompt leaves, and a prompt that leaves none is
// refused before anything is generated (see Runner.OnUnfit).
type ContextLimiter interface {
	MaxContext() int
}

// Request is one continuation of one sequence.
type Request struct {
	// Key names the sequence across its calls (one per search turn), so that
	// an engine can keep its KV cache and a sampler its random stream.
	Key         string
	Tokens      []int // the whole context: prompt, then the response so far
	MaxTokens   int
	StopIDs     []int
	StopStrings []string
	// Seed, when set, seeds this call's sampling on its own (Config.
	// TurnSeeds), as a sampling service seeds each request; nil leaves
	// the policy its own stream.
	Seed *uint64
}

// Finish reasons of a Completion.
const (
	FinishStop   = "stop"
	FinishLength = "length"
)

// Completion is what a Policy generated for one Request.
type Completion struct {
	Tokens     []int
	Logprobs   []float64 // of each token under the sampling distribution; nil if the policy has none
	Finish     string    // FinishStop or FinishLength
	StopID     int       // the stop id that ended it, or -1
	StopString string    // the stop string that ended it, or ""
}

// Tokenizer is what the loop needs of a tokenizer: the result text is
// tokenized on its own, and responses are decoded for query extraction and
// scoring (with special tokens kept, as the reference does).
type Tokenizer interface {
	Encode(text string) []int
	Decode(ids []int, skipSpecial bool) (string, error)
}

// StopIDs returns the ids that end a response: the model config's
// eos_token_id and the tokenizer's stop tokens (protocol.StopTokens), each
// once.
func StopIDs(tok interface{ TokenID(string) (int, bool) }, configIDs []int) []int {
	var ids []int
	add := func(id int) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, id := range configIDs {
		add(id)
	}
	for _, s := range protocol.StopTokens {
		if id, ok := tok.TokenID(s); ok {
			add(id)
		}
	}
	return ids
}
