package trainer

import (
	"fmt"
	"math"
	"slices"

	"research/model"
	"research/rl"
	"research/rollout"
	"research/train"
)

// updater turns scored trajectories into optimizer steps.
type updater struct {
	engine      *train.Engine
	scorer      *model.Model // computes the current policy's logprobs before an off-policy update
	ref         *model.Model // frozen initial policy; nil without a KL term
	afterStep   func()       // called after every optimizer step
	loss        rl.Loss
	est         rl.Estimator
	n           int // rollouts per question: trajectories i·n … i·n+n−1 form a group
	miniBatches int
	epochs      int
	microTokens int
	temperature float64
	// trainResults puts the inserted result tokens in the loss
	// (algorithm.state_masking false): Search-R1's ablation.
	trainResults bool
	// skipZeroAdvantage leaves out of the forward and backward the groups
	// whose rewards are all equal (algorithm.skip_zero_advantage).
	skipZeroAdvantage bool
}

// UpdateStats describes one step's update, averaged over its mini-batches.
type UpdateStats struct {
	PGLoss, KL, Entropy, ClipFrac, PPOKL float64
	GradNorm, LR                         float64
	// LogprobGap is the mean |sampler logprob − trainer logprob| over the
	// policy's tokens before the update: how far the rollout engine and the
	// trainer disagree on the same weights.
	LogprobGap float64
	Advantages []float64
}

// sample is one trajectory prepared for the loss.
type sample struct {
	seq      train.Sequence
	mask     []float64
	old, ref []float64
	adv      float64
	tokens   float64 // loss tokens
	// skip leaves the sample out of the update: its group's rewards are
	// all equal, so its advantage is 0 and it carries no policy gradient.
	skip bool
}

func (u *updater) run(trajs []*rollout.Trajectory, rewards []float64) (UpdateStats, error) {
	var st UpdateStats
	samples, err := u.prepare(trajs, rewards, &st)
	if err != nil {
		return st, err
	}
	minis := split(len(samples), u.miniBatches)
	for epoch := 0; epoch < u.epochs; epoch++ {
		for _, mini := range minis {
			if err := u.miniBatch(samples[mini[0]:mini[1]], &st); err != nil {
				return st, err
			}
		}
	}
	st.LogprobGap = logprobGap(trajs, samples)
	steps := float64(u.epochs * len(minis))
	st.PGLoss /= steps
	st.KL /= steps
	st.Entropy /= steps
	st.ClipFrac /= steps
	st.PPOKL /= steps
	st.GradNorm /= steps
	return st, nil
}

// onPolicy reports whether the update takes a single optimizer step: then
// the old policy is the one being trained, and the old logprobs are those
// its own forward computes (the ratio is 1), not a forward of their own.
func (u *updater) onPolicy() bool { return u.miniBatches == 1 && u.epochs == 1 }

// prepare computes advantages, the reference logprobs and, for an
// off-policy update, the old ones.
func (u *updater) prepare(trajs []*rollout.Trajectory, rewards []float64, st *UpdateStats) ([]sample, error) {
	samples := make([]sample, len(trajs))
	groups, counts := make([]int, len(trajs)), make([]int, len(trajs))
	seqs, from := make([][]int, len(trajs)), make([]int, len(trajs))
	for i, t := range trajs {
		s := &samples[i]
		s.mask = make([]float64, len(t.Mask))
		skip := make([]bool, len(t.Mask))
		for j, m := range t.Mask {
			if u.trainResults {
				m = 1
			}
			s.mask[j], skip[j] = float64(m), m == 0
			s.tokens += float64(m)
		}
		// The loss ignores inserted results (unless trainResults): the
		// update need not score them.
		s.seq = train.Sequence{Tokens: append(append([]int(nil), t.Prompt...), t.Response...), From: len(t.Prompt), Skip: skip}
		groups[i], counts[i] = i/u.n, int(s.tokens)
		seqs[i], from[i] = s.seq.Tokens, s.seq.From
	}
	adv, err := rl.Advantages(u.est, rewards, groups, counts)
	if err != nil {
		return nil, err
	}
	st.Advantages = adv
	// Only the samples the update scores need old and reference logprobs.
	scored := make([]int, 0, len(samples))
	if u.skipZeroAdvantage {
		for i := range samples {
			samples[i].skip = tiedGroup(rewards, i/u.n*u.n, u.n)
			if !samples[i].skip {
				scored = append(scored, i)
			}
		}
		seqs, from = pick(seqs, scored), pick(from, scored)
	} else {
		for i := range samples {
			scored = append(scored, i)
		}
	}
	var old [][]float64
	if !u.onPolicy() && len(seqs) > 0 {
		if old, err = u.scorer.Logprobs(seqs, from, u.temperature); err != nil {
			return nil, fmt.Errorf("old logprobs: %w", err)
		}
	}
	var ref [][]float64
	if u.ref != nil && len(seqs) > 0 {
		if ref, err = u.ref.Logprobs(seqs, from, u.temperature); err != nil {
			return nil, fmt.Errorf("reference logprobs: %w", err)
		}
	}
	for i := range samples {
		samples[i].adv = adv[i]
	}
	for k, i := range scored {
		if old != nil {
			samples[i].old = old[k]
		}
		if ref != nil {
			samples[i].ref = ref[k]
		}
	}
	return samples, nil
}

// tiedGroup reports whether the n rewards from first on are all equal:
// DAPO's criterion for a group that teaches nothing. Its GRPO and RLOO
// advantages are 0, or of the order of 1e-11 when the mean of equal
// rewards rounds (0.1 three times), which skipping treats as 0.
func tiedGroup(rewards []float64, first, n int) bool {
	for i := first + 1; i < first+n && i < len(rewards); i++ {
		if rewards[i] != rewards[first] {
			return false
		}
	}
	return true
}

func pick[T any](xs []T, idx []int) []T {
	out := make([]T, len(idx))
	for k, i := range idx {
		out[k] = xs[i]
	}
	return out
}

// logprobGap is the mean |sampler logprob − old logprob| over the tokens
// the policy wrote: the trajectory's mask, not the loss's, since inserted
// results have no sampler logprobs even when they are trained on.
func logprobGap(trajs []*rollout.Trajectory, samples []sample) float64 {
	var gap, tokens float64
	for i, s := range samples {
		if s.old == nil {
			continue // nothing the policy wrote, or a skipped group: the update did not score it
		}
		for j, mask := range trajs[i].Mask {
			m := float64(mask)
			gap += m * math.Abs(trajs[i].Logprobs[j]-s.old[j])
			tokens += m
		}
	}
	if tokens == 0 {
		return 0
	}
	return gap / tokens
}

// miniBatch accumulates the mini-batch's gradient micro-batch by
// micro-batch, then takes one optimizer step.
func (u *updater) miniBatch(mini []sample, st *UpdateStats) error {
	stepped, err := u.accumulate(mini, st)
	if err != nil || !stepped {
		return err
	}
	stats, err := u.engine.Step()
	if err != nil {
		return err
	}
	st.GradNorm += stats.GradNorm
	st.LR = stats.LR
	if u.afterStep != nil {
		u.afterStep()
	}
	return nil
}

// accumulate adds the mini-batch's gradient to the engine's, micro-batch
// by micro-batch, and reports whether there was any (false: no step).
//
// Skipped samples are neither scored nor back-propagated, but they keep
// their place in the aggregation's denominators (the mini-batch's loss
// tokens under token-mean, its sequences otherwise): with an advantage of
// 0 their policy gradient is 0, so the policy gradient is the full
// update's. Their KL and entropy terms are dropped, not moved to other
// tokens. The kl and entropy statistics average over the scored tokens; a
// mini-batch with none takes no optimizer step.
func (u *updater) accumulate(mini []sample, st *UpdateStats) (bool, error) {
	var miniTokens, keptTokens float64
	kept := make([]int, 0, len(mini))
	lens := make([]int, 0, len(mini))
	for i, s := range mini {
		miniTokens += s.tokens
		if !s.skip {
			keptTokens += s.tokens
			kept = append(kept, i)
			lens = append(lens, len(s.seq.Tokens))
		}
	}
	if keptTokens == 0 {
		return false, nil // nothing the policy wrote, or every group skipped: no gradient
	}
	for _, micro := range train.MicroBatches(lens, u.microTokens) {
		for k, i := range micro {
			micro[k] = kept[i]
		}
		batch := make([]train.Sequence, len(micro))
		var microTokens float64
		for k, i := range micro {
			batch[k] = mini[i].seq
			microTokens += mini[i].tokens
		}
		if microTokens == 0 {
			continue
		}
		pass, err := u.engine.Score(batch)
		if err != nil {
			return false, err
		}
		seqs := make([]rl.Sequence, len(micro))
		for k, i := range micro {
			if mini[i].old == nil { // on-policy: see onPolicy
				mini[i].old = slices.Clone(pass.Logp[k])
			}
			s := mini[i]
			seqs[k] = rl.Sequence{Advantage: s.adv, Mask: s.mask, OldLogp: s.old, RefLogp: s.ref, Logp: pass.Logp[k], Entropy: pass.Entropy[k]}
		}
		res, err := u.loss.Compute(seqs)
		if err != nil {
			return false, err
		}
		share := u.loss.Aggregation.Share(microTokens, miniTokens, len(micro), len(mini))
		// Without skipped samples keptShare is share, bit for bit.
		keptShare := u.loss.Aggregation.Share(microTokens, keptTokens, len(micro), len(kept))
		tokenShare := microTokens / keptTokens
		scale(res.DLogp, share)
		scale(res.DEntropy, share)
		if err := pass.Backward(res.DLogp, res.DEntropy); err != nil {
			return false, err
		}
		st.PGLoss += share * res.PGLoss
		st.KL += keptShare * res.KL
		st.Entropy += keptShare * res.Entropy
		st.ClipFrac += tokenShare * res.ClipFrac
		st.PPOKL += tokenShare * res.PPOKL
	}
	return true, nil
}

func scale(xs [][]float64, f float64) {
	for _, x := range xs {
		for j := range x {
			x[j] *= f
		}
	}
}

// split cuts n items into k contiguous ranges of near-equal size.
func split(n, k int) [][2]int {
	var out [][2]int
	for i := 0; i < k; i++ {
		lo, hi := i*n/k, (i+1)*n/k
		if hi > lo {
			out = append(out, [2]int{lo, hi})
		}
	}
	return out
}
