package trainer

import (
	"context"
	"fmt"
	"math"

	"research/rl"
	"research/train"
)

// updater is the advantage and update stages: it turns a scored Batch
// into optimizer steps on a Backend.
type updater struct {
	backend     Backend
	loss        rl.Loss
	est         rl.Estimator
	lr          float64 // peak learning rate, scheduled by sched over the backend's steps
	sched       train.Schedule
	adamW       train.AdamW
	maxGradNorm float64
	miniBatches int
	epochs      int
	microTokens int
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

func (u *updater) run(ctx context.Context, b Batch) (UpdateStats, error) {
	var st UpdateStats
	if err := u.prepare(ctx, b, &st); err != nil {
		return st, err
	}
	minis := split(len(b), u.miniBatches)
	for epoch := 0; epoch < u.epochs; epoch++ {
		for _, mini := range minis {
			if err := u.miniBatch(ctx, b[mini[0]:mini[1]], &st); err != nil {
				return st, err
			}
		}
	}
	st.LogprobGap = logprobGap(b)
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

// prepare is the advantage stage — group advantages of the rewards — and
// fetches the reference logprobs and, for an off-policy update, the old
// ones.
func (u *updater) prepare(ctx context.Context, b Batch, st *UpdateStats) error {
	counts := make([]int, len(b))
	for i := range b {
		counts[i] = int(b[i].tokens)
	}
	rewards := b.Rewards()
	adv, err := rl.Advantages(u.est, rewards, b.Groups(), counts)
	if err != nil {
		return err
	}
	st.Advantages = adv
	for i := range b {
		b[i].Advantage = adv[i]
	}
	// Only the samples the update scores need old and reference logprobs.
	scored := make([]int, 0, len(b))
	if u.skipZeroAdvantage {
		tied := tiedGroups(b)
		for i := range b {
			b[i].skip = tied[b[i].Group]
			if !b[i].skip {
				scored = append(scored, i)
			}
		}
	} else {
		for i := range b {
			scored = append(scored, i)
		}
	}
	data := make([]Datum, len(scored))
	for k, i := range scored {
		data[k] = b[i].datum()
	}
	var old [][]float64
	if !u.onPolicy() && len(data) > 0 {
		if old, err = u.backend.Logprobs(ctx, data, Current); err != nil {
			return fmt.Errorf("old logprobs: %w", err)
		}
	}
	var ref [][]float64
	if u.loss.KL != rl.KLNone && len(data) > 0 {
		if ref, err = u.backend.Logprobs(ctx, data, Reference); err != nil {
			return fmt.Errorf("reference logprobs: %w", err)
		}
	}
	for k, i := range scored {
		if old != nil {
			b[i].old = old[k]
		}
		if ref != nil {
			b[i].ref = ref[k]
		}
	}
	return nil
}

// datum is the sample as a backend takes it.
func (s *Sample) datum() Datum {
	t := s.Traj
	adv := make([]float64, len(s.Mask))
	for j := range adv {
		adv[j] = s.Advantage
	}
	return Datum{Tokens: append(append([]int(nil), t.Prompt...), t.Response...), From: len(t.Prompt),
		Mask: s.Mask, Advantages: adv, OldLogp: s.old, RefLogp: s.ref}
}

// tiedGroups reports, by group, whether its rewards are all equal:
// DAPO's criterion for a group that teaches nothing. Its GRPO and RLOO
// advantages are 0, or of the order of 1e-11 when the mean of equal
// rewards rounds (0.1 three times), which skipping treats as 0.
func tiedGroups(b Batch) map[int]bool {
	tied := map[int]bool{}
	first := map[int]float64{}
	for i := range b {
		g, r := b[i].Group, b[i].Reward()
		if f, ok := first[g]; !ok {
			first[g], tied[g] = r, true
		} else if r != f {
			tied[g] = false
		}
	}
	return tied
}

// logprobGap is the mean |sampler logprob − old logprob| over the tokens
// the policy wrote: the trajectory's mask, not the loss's, since inserted
// results have no sampler logprobs even when they are trained on.
func logprobGap(b Batch) float64 {
	var gap, tokens float64
	for _, s := range b {
		if s.old == nil {
			continue // nothing the policy wrote, or a skipped group: the update did not score it
		}
		for j, mask := range s.Traj.Mask {
			m := float64(mask)
			gap += m * math.Abs(s.Traj.Logprobs[j]-s.old[j])
			tokens += m
		}
	}
	if tokens == 0 {
		return 0
	}
	return gap / tokens
}

// miniBatch accumulates the mini-batch's gradient micro-batch by
// micro-batch, then takes one optimizer step at the scheduled learning
// rate.
func (u *updater) miniBatch(ctx context.Context, mini Batch, st *UpdateStats) error {
	stepped, err := u.accumulate(ctx, mini, st)
	if err != nil || !stepped {
		return err
	}
	stats, err := u.backend.OptimStep(ctx, train.StepParams{LR: u.lr * u.sched.Factor(u.backend.Steps()), AdamW: u.adamW, MaxGradNorm: u.maxGradNorm})
	if err != nil {
		return err
	}
	st.GradNorm += stats.GradNorm
	st.LR = stats.LR
	return nil
}

// accumulate adds the mini-batch's gradient to the backend's, micro-batch
// by micro-batch, and reports whether there was any (false: no step).
//
// Skipped samples are neither scored nor back-propagated, but they keep
// their place in the aggregation's denominators (the mini-batch's loss
// tokens under token-mean, its sequences otherwise): with an advantage of
// 0 their policy gradient is 0, so the policy gradient is the full
// update's. Their KL and entropy terms are dropped, not moved to other
// tokens. The kl and entropy statistics average over the scored tokens; a
// mini-batch with none takes no optimizer step.
func (u *updater) accumulate(ctx context.Context, mini Batch, st *UpdateStats) (bool, error) {
	var miniTokens, keptTokens float64
	kept := make([]int, 0, len(mini))
	lens := make([]int, 0, len(mini))
	for i, s := range mini {
		miniTokens += s.tokens
		if !s.skip {
			keptTokens += s.tokens
			kept = append(kept, i)
			lens = append(lens, len(s.Traj.Prompt)+len(s.Traj.Response))
		}
	}
	if keptTokens == 0 {
		return false, nil // nothing the policy wrote, or every group skipped: no gradient
	}
	for _, micro := range train.MicroBatches(lens, u.microTokens) {
		for k, i := range micro {
			micro[k] = kept[i]
		}
		data := make([]Datum, len(micro))
		var microTokens float64
		for k, i := range micro {
			data[k] = mini[i].datum()
			microTokens += mini[i].tokens
		}
		if microTokens == 0 {
			continue
		}
		share := u.loss.Aggregation.Share(microTokens, miniTokens, len(micro), len(mini))
		// Without skipped samples keptShare is share, bit for bit.
		keptShare := u.loss.Aggregation.Share(microTokens, keptTokens, len(micro), len(kept))
		tokenShare := microTokens / keptTokens
		out, err := u.backend.ForwardBackward(ctx, data, u.loss, share)
		if err != nil {
			return false, err
		}
		for k, i := range micro {
			if mini[i].old == nil { // on-policy: see onPolicy
				mini[i].old = out.Logprobs[k]
			}
		}
		res := out.Loss
		st.PGLoss += share * res.PGLoss
		st.KL += keptShare * res.KL
		st.Entropy += keptShare * res.Entropy
		st.ClipFrac += tokenShare * res.ClipFrac
		st.PPOKL += tokenShare * res.PPOKL
	}
	return true, nil
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
