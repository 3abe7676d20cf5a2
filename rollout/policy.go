package rollout

import "context"

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

// Request is one continuation of one sequence.
type Request struct {
	// Key names the sequence across its calls (one per search turn), so that
	// an engine can keep its KV cache and a sampler its random stream.
	Key         string
	Tokens      []int // the whole context: prompt, then the response so far
	MaxTokens   int
	StopIDs     []int
	StopStrings []string
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
