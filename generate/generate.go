package generate

import (
	"fmt"
	"slices"
	"strings"

	"research/internal/ctxlimit"
	"research/model"
	"research/tensor"
)

// Model is what generation needs from a language model; *model.Model has it.
type Model interface {
	NewCache(capacity int) *model.KVCache
	Forward(batch []model.Input) ([][]float32, error)
}

// ContextLimiter is implemented by models that know their context
// (*model.Model: max_position_embeddings). Generation on such a model
// clamps each request's MaxTokens to the positions its prompt leaves and
// refuses a prompt that leaves none, before it allocates the KV cache.
type ContextLimiter interface {
	MaxContext() int
}

// MaxContext is m's context, or 0 when m does not say.
func MaxContext(m Model) int {
	if l, ok := m.(ContextLimiter); ok {
		return l.MaxContext()
	}
	return 0
}

// Decoder turns token ids into text, for stop strings. The tokenizer
// package's tokenizer satisfies it.
type Decoder interface {
	Decode(ids []int) string
}

// DecoderFunc adapts a function to Decoder.
type DecoderFunc func(ids []int) string

// Decode calls f.
func (f DecoderFunc) Decode(ids []int) string { return f(ids) }

// Request is one prompt to continue.
type Request struct {
	Prompt      []int
	MaxTokens   int      // budget of generated tokens; must be > 0; cut to the model's context (see ContextLimiter)
	StopIDs     []int    // stop after sampling any of these (it stays in the output)
	StopStrings []string // stop once the generated text contains one (its tokens stay in the output)

	// Cache, if set, already holds the keys and values of a prefix of Prompt
	// (the caller vouches for that), typically from an earlier round of the
	// same sequence: only the rest of Prompt is fed. The cache is kept and
	// afterwards holds Prompt and every generated token but the last, so a
	// next round can pass Prompt + Tokens + inserted tokens with it.
	Cache *model.KVCache
}

// Finish reasons.
const (
	FinishStop   = "stop"
	FinishLength = "length"
)

// Result is one finished (or, mid-way, partial) continuation.
type Result struct {
	Tokens     []int
	Logprobs   []float64 // of each token under softmax(logits / T) (T = 1 when greedy)
	Finish     string    // FinishStop or FinishLength; "" while running
	StopID     int       // the stop id that ended it, or -1
	StopString string    // the stop string that ended it, if any
}

// Options are shared by every request of a batch.
type Options struct {
	Sampling
	Decoder  Decoder // needed only when a request has stop strings
	MaxBatch int     // sequences decoding at once (continuous batching); 0 means all
	// PrefillChunk caps the prompt tokens fed per sequence per step, bounding
	// a step's activations; 0 means 512.
	PrefillChunk int
}

// Token is one sampled token, as reported by Step.
type Token struct {
	Seq     int // index of the request
	ID      int
	Logprob float64
	Done    bool // this token finished the sequence
}

// Batch advances many sequences together, one forward per Step.
type Batch struct {
	m    Model
	opt  Options
	seqs []*sequence
	next int // first request not yet admitted
}

type sequence struct {
	req     Request
	cache   *model.KVCache
	pending []int // tokens to feed before the next sample
	samp    *sampler
	res     Result
	maxStop int // longest stop string, in bytes
}

// NewBatch checks the requests and prepares them; nothing runs until Step.
func NewBatch(m Model, reqs []Request, opt Options) (*Batch, error) {
	if err := opt.Sampling.validate(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if opt.PrefillChunk <= 0 {
		opt.PrefillChunk = 512
	}
	b := &Batch{m: m, opt: opt}
	for i, r := range reqs {
		switch {
		case len(r.Prompt) == 0:
			return nil, fmt.Errorf("generate: request %d: empty prompt", i)
		case r.MaxTokens <= 0:
			return nil, fmt.Errorf("generate: request %d: max tokens %d: want > 0", i, r.MaxTokens)
		case len(r.StopStrings) > 0 && opt.Decoder == nil:
			return nil, fmt.Errorf("generate: request %d has stop strings but no decoder was given", i)
		}
		fit, err := ctxlimit.Fit(len(r.Prompt), r.MaxTokens, MaxContext(m))
		if err != nil {
			return nil, fmt.Errorf("generate: request %d: %w", i, err)
		}
		r.MaxTokens = fit
		s := &sequence{req: r, pending: r.Prompt, samp: newSampler(opt.Sampling, i)}
		if c := r.Cache; c != nil {
			// At least one prompt token must be fed to get logits.
			c.Truncate(len(r.Prompt) - 1)
			s.cache, s.pending = c, r.Prompt[c.Len:]
		}
		s.res.StopID = -1
		for _, str := range r.StopStrings {
			if str == "" {
				return nil, fmt.Errorf("generate: request %d: empty stop string", i)
			}
			s.maxStop = max(s.maxStop, len(str))
		}
		b.seqs = append(b.seqs, s)
	}
	return b, nil
}

// Done reports whether every sequence has finished.
func (b *Batch) Done() bool {
	for _, s := range b.seqs {
		if s.res.Finish == "" {
			return false
		}
	}
	return true
}

// Results returns every sequence's result so far.
func (b *Batch) Results() []Result {
	out := make([]Result, len(b.seqs))
	for i, s := range b.seqs {
		out[i] = s.res
	}
	return out
}

// Step runs one forward over the active sequences — prompt chunks and single
// decode tokens together — and samples a token for each sequence whose
// prompt is fully fed. It returns those tokens.
func (b *Batch) Step() ([]Token, error) {
	active := b.admit()
	if len(active) == 0 {
		return nil, nil
	}
	seqs := make([]*sequence, len(active))
	for k, i := range active {
		seqs[k] = b.seqs[i]
	}
	out, err := feed(b.m, b.opt, seqs)
	for k := range out {
		out[k].Seq = active[out[k].Seq]
	}
	return out, err
}

// feed runs one forward over seqs and samples a token for each sequence
// whose prompt is fully fed; the tokens' Seq fields index seqs. A refused
// forward changes nothing.
func feed(m Model, opt Options, seqs []*sequence) ([]Token, error) {
	inputs := make([]model.Input, len(seqs))
	for k, s := range seqs {
		n := min(len(s.pending), opt.PrefillChunk)
		// A chunk that does not finish the prompt needs no logits.
		inputs[k] = model.Input{Cache: s.cache, Tokens: s.pending[:n], NoLogits: n < len(s.pending)}
	}
	logits, err := m.Forward(inputs)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	// Sampling reads the whole vocabulary per sequence: spread it over the
	// cores. Each sequence owns its random stream, so the result does not
	// depend on the split.
	ids, lps := make([]int, len(seqs)), make([]float64, len(seqs))
	tensor.Parallel(len(seqs), 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if len(seqs[k].pending) == len(inputs[k].Tokens) { // prompt fully fed
				ids[k], lps[k] = seqs[k].samp.next(logits[k])
			}
		}
	})
	var out []Token
	for k, s := range seqs {
		s.pending = s.pending[len(inputs[k].Tokens):]
		if len(s.pending) > 0 { // still prefilling
			continue
		}
		id, lp := ids[k], lps[k]
		s.res.Tokens = append(s.res.Tokens, id)
		s.res.Logprobs = append(s.res.Logprobs, lp)
		s.pending = []int{id}
		s.checkStop(opt.Decoder)
		done := s.res.Finish != ""
		if done {
			s.pending = nil
			if s.req.Cache == nil {
				s.cache = nil // free the KV cache
			}
		}
		out = append(out, Token{Seq: k, ID: id, Logprob: lp, Done: done})
	}
	return out, nil
}

// admit returns the indices of the sequences to run this step, starting new
// ones while fewer than MaxBatch are running.
func (b *Batch) admit() []int {
	var active []int
	for i, s := range b.seqs[:b.next] {
		if s.res.Finish == "" {
			active = append(active, i)
		}
	}
	for b.next < len(b.seqs) && (b.opt.MaxBatch <= 0 || len(active) < b.opt.MaxBatch) {
		s := b.seqs[b.next]
		if s.cache == nil {
			s.cache = b.m.NewCache(len(s.req.Prompt) + s.req.MaxTokens)
		}
		active = append(active, b.next)
		b.next++
	}
	return active
}

// checkStop sets the finish reason after a token was appended.
func (s *sequence) checkStop(dec Decoder) {
	toks := s.res.Tokens
	last := toks[len(toks)-1]
	if slices.Contains(s.req.StopIDs, last) {
		s.res.Finish, s.res.StopID = FinishStop, last
		return
	}
	if str, ok := s.newStop(dec); ok {
		s.res.Finish, s.res.StopString = FinishStop, str
		return
	}
	if len(toks) >= s.req.MaxTokens {
		s.res.Finish = FinishLength
	}
}

// newStop looks for a stop string completed by the last token. Only a window
// of recent tokens is decoded: every token spells at least one byte, so
// maxStop+1 tokens cover any stop string that the last token completes, and
// a few more let multi-byte characters split across tokens decode whole.
func (s *sequence) newStop(dec Decoder) (string, bool) {
	if s.maxStop == 0 {
		return "", false
	}
	toks := s.res.Tokens
	from := max(0, len(toks)-s.maxStop-4)
	before := dec.Decode(toks[from : len(toks)-1])
	after := dec.Decode(toks[from:])
	// The stop must end inside the text that the last token changed.
	common := 0
	for common < len(before) && common < len(after) && before[common] == after[common] {
		common++
	}
	for _, str := range s.req.StopStrings {
		lo := max(0, common-len(str)+1)
		if strings.Contains(after[lo:], str) {
			return str, true
		}
	}
	return "", false
}

// Generate runs reqs to completion and returns their results in order.
func Generate(m Model, reqs []Request, opt Options) ([]Result, error) {
	b, err := NewBatch(m, reqs, opt)
	if err != nil {
		return nil, err
	}
	for !b.Done() {
		if _, err := b.Step(); err != nil {
			return nil, err
		}
	}
	return b.Results(), nil
}
