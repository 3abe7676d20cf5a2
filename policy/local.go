package policy

import (
	"context"

	"research/generate"
	"research/rollout"
)

// Local is a rollout.Policy on the in-process engine: token in, token out,
// continuous batching across every rollout that calls it.
type Local struct {
	Engine *generate.Engine
}

// Generate implements rollout.Policy; a request's Seed draws its tokens
// from a fresh stream (generate.Call.Seed).
func (p Local) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	r, err := p.Engine.GenerateWith(ctx, generate.Call{Key: req.Key, Seed: req.Seed}, generate.Request{
		Prompt: req.Tokens, MaxTokens: req.MaxTokens, StopIDs: req.StopIDs, StopStrings: req.StopStrings,
	})
	if err != nil {
		return rollout.Completion{}, err
	}
	return rollout.Completion{Tokens: r.Tokens, Logprobs: r.Logprobs, Finish: r.Finish, StopID: r.StopID, StopString: r.StopString}, nil
}

// MaxContext is the model's context: rollouts fit their budgets to it
// (rollout.ContextLimiter).
func (p Local) MaxContext() int { return p.Engine.MaxContext() }

// Release frees the KV cache of a finished rollout.
func (p Local) Release(key string) { p.Engine.Release(key) }
