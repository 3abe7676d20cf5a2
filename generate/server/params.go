package server

import (
	"encoding/json"
	"math"

	"research/generate"
	"research/internal/ctxlimit"
)

// params are the sampling fields completions and chat share.
type params struct {
	Model             string          `json:"model"`
	MaxTokens         *int            `json:"max_tokens"`
	MaxCompletion     *int            `json:"max_completion_tokens"` // chat's newer name
	Temperature       *float64        `json:"temperature"`
	TopP              *float64        `json:"top_p"`
	TopK              *int            `json:"top_k"`
	N                 *int            `json:"n"`
	Stop              json.RawMessage `json:"stop"`
	StopTokenIDs      []int           `json:"stop_token_ids"`
	Seed              *uint64         `json:"seed"`
	Stream            bool            `json:"stream"`
	IgnoreEOS         bool            `json:"ignore_eos"`
	IncludeStopStr    bool            `json:"include_stop_str_in_output"`
	SkipSpecialTokens *bool           `json:"skip_special_tokens"`
	ReturnTokenIDs    bool            `json:"return_tokens_as_token_ids"`
	BestOf            *int            `json:"best_of"`

	// Fields of the OpenAI and vLLM APIs that this server does not
	// implement, known so that clients sending them with the value that
	// asks for nothing are served; checkCompat refuses any other value.
	User              json.RawMessage    `json:"user"` // abuse tracking: any value
	PresencePenalty   *float64           `json:"presence_penalty"`
	FrequencyPenalty  *float64           `json:"frequency_penalty"`
	RepetitionPenalty *float64           `json:"repetition_penalty"`
	LogitBias         map[string]float64 `json:"logit_bias"`
	StreamOptions     *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// checkCompat refuses a value of an unimplemented field that would change
// the answer: serving it as if absent would be a silent lie.
func (p params) checkCompat() error {
	for _, f := range []struct {
		name    string
		v       *float64
		neutral float64
	}{{"presence_penalty", p.PresencePenalty, 0}, {"frequency_penalty", p.FrequencyPenalty, 0}, {"repetition_penalty", p.RepetitionPenalty, 1}} {
		if f.v != nil && *f.v != f.neutral {
			return badRequest(f.name, "%s is not supported (only %g, which changes nothing)", f.name, f.neutral)
		}
	}
	if len(p.LogitBias) > 0 {
		return badRequest("logit_bias", "logit_bias is not supported (only {})")
	}
	if p.StreamOptions != nil && p.StreamOptions.IncludeUsage {
		return badRequest("stream_options", "stream_options.include_usage is not supported")
	}
	return nil
}

// settings are params checked and defaulted.
type settings struct {
	maxTokens  int
	n          int
	sampling   generate.Sampling
	seeded     bool
	stops      []string
	stopIDs    []int
	skipSpec   bool
	includeStr bool
	tokenIDs   bool
	stream     bool
}

// check validates params against the server's limits; defaultMax is the
// route's default max_tokens (16 for completions as OpenAI, the rest of the
// context for chat).
func (s *Server) check(p params, prompts, promptLen, defaultMax int) (settings, error) {
	st := settings{maxTokens: defaultMax, n: 1, sampling: generate.Sampling{Temperature: 1, TopP: 1}, skipSpec: true,
		includeStr: p.IncludeStopStr, tokenIDs: p.ReturnTokenIDs, stream: p.Stream}
	if err := s.checkModel(p.Model); err != nil {
		return st, err
	}
	if err := p.checkCompat(); err != nil {
		return st, err
	}
	if p.BestOf != nil && *p.BestOf > 1 {
		return st, badRequest("best_of", "best_of is not supported")
	}
	switch {
	case p.MaxTokens != nil:
		st.maxTokens = *p.MaxTokens
	case p.MaxCompletion != nil:
		st.maxTokens = *p.MaxCompletion
	}
	if st.maxTokens < 1 {
		return st, badRequest("max_tokens", "max_tokens must be at least 1, got %d", st.maxTokens)
	}
	if err := ctxlimit.Check(promptLen, st.maxTokens, s.cfg.MaxContext); err != nil {
		return st, badRequest("max_tokens", "%v", err)
	}
	if p.N != nil {
		st.n = *p.N
	}
	if st.n < 1 || st.n > s.cfg.MaxN {
		return st, badRequest("n", "n must be between 1 and %d, got %d", s.cfg.MaxN, st.n)
	}
	if prompts*st.n > s.cfg.MaxSequences {
		return st, badRequest("n", "%d prompts × n = %d is %d sequences; at most %d per request", prompts, st.n, prompts*st.n, s.cfg.MaxSequences)
	}
	if p.Temperature != nil {
		st.sampling.Temperature = *p.Temperature
	}
	if p.TopP != nil {
		st.sampling.TopP = *p.TopP
	}
	if p.TopK != nil {
		// vLLM's -1 (and 0) mean all tokens; anything lower is a mistake
		// that used to sample from all tokens without a word.
		if *p.TopK < -1 {
			return st, badRequest("top_k", "top_k must be -1 or 0 (all tokens) or at least 1, got %d", *p.TopK)
		}
		st.sampling.TopK = max(*p.TopK, 0)
	}
	if t := st.sampling.Temperature; t < 0 || t > 100 || math.IsNaN(t) {
		return st, badRequest("temperature", "temperature must be in [0, 100], got %v", t)
	}
	if tp := st.sampling.TopP; !(tp > 0 && tp <= 1) {
		return st, badRequest("top_p", "top_p must be in (0, 1], got %v", tp)
	}
	if p.Seed != nil {
		st.sampling.Seed, st.seeded = *p.Seed, true
	}
	stops, err := parseStop(p.Stop)
	if err != nil {
		return st, err
	}
	st.stops = stops
	vocab := s.cfg.Tokenizer.VocabSize()
	for _, id := range p.StopTokenIDs {
		if id < 0 || id >= vocab {
			return st, badRequest("stop_token_ids", "stop token id %d is outside the vocabulary (%d)", id, vocab)
		}
	}
	st.stopIDs = append(st.stopIDs, p.StopTokenIDs...)
	if !p.IgnoreEOS {
		st.stopIDs = append(st.stopIDs, s.cfg.EOSIDs...)
	}
	if p.SkipSpecialTokens != nil {
		st.skipSpec = *p.SkipSpecialTokens
	}
	return st, nil
}

// parseStop reads "stop" as a string or a list of up to 16 strings.
func parseStop(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, badRequest("stop", "stop must be a string or a list of strings")
	}
	if len(many) > 16 {
		return nil, badRequest("stop", "at most 16 stop strings, got %d", len(many))
	}
	var out []string
	for _, s := range many {
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}
