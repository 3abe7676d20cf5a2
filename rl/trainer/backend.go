package trainer

import (
	"context"

	"research/generate"
	"research/rl"
	"research/rollout"
	"research/train"
)

// Backend holds the policy's weights and computes everything that needs
// them: forward-backward passes, optimizer steps, sampling, checkpoints.
// The trainer owns the algorithm — rollouts, rewards, advantages, what
// goes into the loss — and calls a Backend for the rest, one call at a
// time. Local is the in-process engine; Remote is a client of a
// Tinker-compatible training service (forward_backward, optim_step,
// save_weights_for_sampler and asample, save_weights and load_weights).
//
// A remote backend computes the losses its service offers, summed over
// tokens: Tinker's ppo (the clipped surrogate, ratio bounds 1 − ClipLow
// and 1 + ClipHigh) and importance_sampling. It cannot compute, and must
// refuse with an error naming the setting rather than drop:
//   - a KL term in the loss (rl.Loss.KL other than none): the service has
//     no frozen reference in the loss;
//   - the entropy bonus (rl.Loss.EntropyCoef ≠ 0): no loss returns
//     entropies;
//   - on-policy old logprobs (Datum.OldLogp nil): the service's ratio is
//     against the logprobs sent, so send the sampler's;
//   - reference logprobs (Logprobs of Reference) unless it can score
//     prompts under the base weights (Remote can: prompt logprobs of a
//     sampler on the base model).
//
// A service that sums over tokens gives the gradient of an aggregated loss
// when the backend folds the aggregation's per-token weights (rl.Loss) and
// scale into the advantages it sends: ppo and importance_sampling are
// linear in the advantage.
type Backend interface {
	// ForwardBackward scores a micro-batch under the policy being trained
	// and adds to the accumulated gradient the gradient of loss over the
	// micro-batch, times scale (the micro-batch's share of its
	// mini-batch's loss). It returns each datum's logprobs and the loss's
	// values, unscaled, with nil gradients.
	ForwardBackward(ctx context.Context, data []Datum, loss rl.Loss, scale float64) (ForwardBackwardResult, error)
	// Logprobs scores every response token of data under the given
	// weights, without a gradient; the per-token loss inputs are ignored.
	Logprobs(ctx context.Context, data []Datum, w Weights) ([][]float64, error)
	// OptimStep applies the accumulated gradient with AdamW and p's
	// settings, clears it, and refreshes the weights the sampler uses.
	OptimStep(ctx context.Context, p train.StepParams) (train.StepStats, error)
	// Steps is the number of optimizer steps taken, restored by Load; the
	// learning-rate schedule follows it.
	Steps() int
	// Sampler returns a policy that samples from the current weights with
	// the given settings (Tinker: save_weights_for_sampler, then a
	// sampling session), and a function that releases it.
	Sampler(ctx context.Context, s generate.Sampling) (rollout.Policy, func(), error)
	// Save writes the training state (weights, optimizer, step count) to
	// dir, and Load restores it. They take no context: a run that is
	// interrupted still saves.
	Save(dir string) error
	Load(dir string) error
	// Close releases the weights.
	Close()
}

// Datum is one sequence and its per-token loss inputs, as a Tinker Datum
// carries them: the tokens from From on are the response, and every
// per-token slice has one entry per response token.
type Datum struct {
	Tokens []int // the prompt, then the response
	From   int   // index of the first response token, ≥ 1
	// Mask weighs each response token in the loss: 1 where the loss
	// applies, 0 where it does not (inserted results, under state
	// masking). Tinker's weights.
	Mask       []float64
	Advantages []float64
	// OldLogp holds the behaviour policy's logprobs; nil means the
	// forward's own, detached (on-policy: the ratio is 1).
	OldLogp []float64
	// RefLogp holds the reference policy's logprobs, for a KL term.
	RefLogp []float64
}

// Weights names the weights a forward without gradient uses.
type Weights int

const (
	// Current is the policy being trained, as the sampler sees it: the
	// old policy of an off-policy update.
	Current Weights = iota
	// Reference is the frozen initial policy of the KL term.
	Reference
)

// ForwardBackwardResult is what a forward-backward pass returns.
type ForwardBackwardResult struct {
	// Logprobs holds each datum's response-token logprobs under the
	// policy before this pass's gradient (0 on tokens outside the mask,
	// which the in-process forward does not score).
	Logprobs [][]float64
	// Loss is the loss's value and parts over the micro-batch, aggregated
	// as the loss says; its gradients are nil. A remote backend fills what
	// its service reports (Loss from loss:sum) and leaves the rest 0.
	Loss rl.Result
}
