package trainer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"research/generate"
	"research/rollout"
	"research/tinker"
	"research/tinker/client"
)

// remotePolicy is a rollout.Policy on a sampling session of a Tinker
// service: token in, token out, one asample per call, seeded by the
// call's seed (rollout.TurnSeed), with the sampler's logprobs.
type remotePolicy struct {
	sc      *client.SamplingClient
	s       generate.Sampling
	decoder generate.Decoder
	maxCtx  int
}

// MaxContext is the base model's context as the service reports it, so
// that a rollout's budget is fitted to it before sampling
// (rollout.ContextLimiter), less one position: a finished rollout is then
// still scored by a one-token sample with prompt logprobs (the reference
// logprobs of algorithm.kl_in_reward). 0 when unknown.
func (p *remotePolicy) MaxContext() int { return max(p.maxCtx-1, 0) }

// stops are the stop sequences of a request as the API takes them: one
// list of strings or one of token ids, not both. With stop strings, each
// stop id goes as its text (special tokens kept), which the sampler
// matches when it samples that token.
func (p *remotePolicy) stops(req rollout.Request) *tinker.Stop {
	if len(req.StopStrings) == 0 {
		if len(req.StopIDs) == 0 {
			return nil
		}
		return &tinker.Stop{Tokens: slices.Clone(req.StopIDs)}
	}
	strs := slices.Clone(req.StopStrings)
	if p.decoder != nil {
		for _, id := range req.StopIDs {
			if text := p.decoder.Decode([]int{id}); text != "" && !slices.Contains(strs, text) {
				strs = append(strs, text)
			}
		}
	}
	return &tinker.Stop{Strings: strs}
}

// Generate implements rollout.Policy.
func (p *remotePolicy) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	maxTokens := req.MaxTokens
	params := tinker.SamplingParams{MaxTokens: &maxTokens, Stop: p.stops(req), Temperature: p.s.Temperature, TopK: -1, TopP: 1}
	if p.s.TopK > 0 {
		params.TopK = p.s.TopK
	}
	if p.s.TopP > 0 {
		params.TopP = p.s.TopP
	}
	if req.Seed != nil {
		seed := int64(*req.Seed &^ (1 << 63))
		params.Seed = &seed
	}
	res, err := p.sc.Sample(ctx, req.Tokens, 1, params, false)
	if err != nil {
		return rollout.Completion{}, err
	}
	seq := res.Sequences[0]
	switch {
	case len(seq.Tokens) > req.MaxTokens:
		return rollout.Completion{}, fmt.Errorf("backend: asample returned %d tokens for max_tokens %d", len(seq.Tokens), req.MaxTokens)
	case len(seq.Logprobs) != len(seq.Tokens):
		return rollout.Completion{}, fmt.Errorf("backend: asample returned %d logprobs for %d tokens: the update needs the sampler's", len(seq.Logprobs), len(seq.Tokens))
	}
	c := rollout.Completion{Tokens: seq.Tokens, Logprobs: make([]float64, len(seq.Tokens)), Finish: rollout.FinishLength, StopID: -1}
	for i, v := range seq.Logprobs {
		c.Logprobs[i] = float64(v)
	}
	if seq.StopReason == tinker.StopReasonStop && len(seq.Tokens) > 0 {
		c.Finish = rollout.FinishStop
		last := seq.Tokens[len(seq.Tokens)-1]
		switch str := p.stopString(seq.Tokens, req.StopStrings); {
		case slices.Contains(req.StopIDs, last):
			c.StopID = last
		case str != "":
			c.StopString = str
		default:
			// The service stopped at an end-of-sequence token of its own.
			c.StopID = last
		}
	}
	return c, nil
}

// stopString returns the stop string the tokens' text ends in: the one
// the last tokens completed, as the sampler found it.
func (p *remotePolicy) stopString(tokens []int, stops []string) string {
	if p.decoder == nil || len(stops) == 0 {
		return ""
	}
	longest := 0
	for _, s := range stops {
		longest = max(longest, len(s))
	}
	text := p.decoder.Decode(tokens[max(0, len(tokens)-longest-4):])
	best, at := "", -1
	for _, s := range stops {
		if i := strings.LastIndex(text, s); i >= 0 && i+len(s) > at {
			best, at = s, i+len(s)
		}
	}
	return best
}
