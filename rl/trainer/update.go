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
	// klInReward charges each sample klCoef · Σ_t klPenalty(logp_t, ref_t)
	// over the tokens the policy wrote before the advantages
	// (algorithm.kl_in_reward).
	klInReward bool
	klPenalty  rl.KLEstimator
	klCoef     float64
	// sendOld: the backend's ratio is against the old logprobs it is sent
	// (a Tinker service), so an on-policy update sends the sampler's.
	sendOld bool
}

// UpdateStats describes one step's update, averaged over its mini-batches.
type UpdateStats struct {
	PGLoss, KL, Entropy, ClipFrac, PPOKL float64
	GradNorm, LR                         float64
	// LogprobGap is the mean |sampler logprob − trainer logprob| over the
	// policy's tokens before the update: how far the rollout engine and the
	// trainer disagree on the same weights.
	LogprobGap float64
	// KLPenalty is the mean over samples of the per-token KL the reward
	// was charged (veRL's actor/reward_kl_penalty), before the
	// coefficient.
	KLPenalty  float64
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

// prepare is the advantage stage — group advantages of the rewards, less
// the KL penalty under algorithm.kl_in_reward — and fetches the reference
// logprobs and the old ones the update needs: off policy the current
// weights', on policy for a backend that must be sent them the sampler's.
func (u *updater) prepare(ctx context.Context, b Batch, st *UpdateStats) error {
	counts := make([]int, len(b))
	for i := range b {
		counts[i] = int(b[i].tokens)
	}
	rewards := b.Rewards()
	if u.klInReward {
		if err := u.chargeKL(ctx, b, rewards, st); err != nil {
			return err
		}
	}
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
		tied := tiedGroups(b, rewards)
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
	var forOld []int // the samples whose old logprobs a forward computes
	for _, i := range scored {
		switch {
		case !u.onPolicy():
			forOld = append(forOld, i)
		case u.sendOld && b[i].sampledEverywhere():
			b[i].old = b[i].Traj.Logprobs
		case u.sendOld:
			// Trained-on results (state_masking false) have no sampler
			// logprobs.
			forOld = append(forOld, i)
		}
	}
	if len(forOld) > 0 {
		old, err := u.backend.Logprobs(ctx, b.data(forOld), Current)
		if err != nil {
			return fmt.Errorf("old logprobs: %w", err)
		}
		for k, i := range forOld {
			b[i].old, b[i].gapLogp = old[k], old[k]
		}
	}
	var needRef []int
	for _, i := range scored {
		if u.loss.KL != rl.KLNone && b[i].ref == nil {
			needRef = append(needRef, i)
		}
	}
	if len(needRef) > 0 {
		ref, err := u.backend.Logprobs(ctx, b.data(needRef), Reference)
		if err != nil {
			return fmt.Errorf("reference logprobs: %w", err)
		}
		for k, i := range needRef {
			b[i].ref = ref[k]
		}
	}
	return nil
}

// chargeKL is veRL's apply_kl_penalty: it scores every sample under the
// reference, charges each token the policy wrote klCoef · kl(sampler
// logprob, reference logprob), and takes the sum from the sample's reward
// in rewards. veRL takes the actor's recomputed logprobs where this takes
// the sampler's: the same policy, up to the logprob gap.
func (u *updater) chargeKL(ctx context.Context, b Batch, rewards []float64, st *UpdateStats) error {
	all := make([]int, len(b))
	for i := range all {
		all[i] = i
	}
	ref, err := u.backend.Logprobs(ctx, b.data(all), Reference)
	if err != nil {
		return fmt.Errorf("algorithm.kl_in_reward: reference logprobs: %w", err)
	}
	var mean float64
	var seqs int
	for i := range b {
		t := b[i].Traj
		mask := make([]float64, len(t.Mask))
		for j, m := range t.Mask {
			mask[j] = float64(m)
		}
		sum, tokens, err := u.klPenalty.PenaltySum(t.Logprobs, ref[i], mask)
		if err != nil {
			return fmt.Errorf("algorithm.kl_in_reward: sample %d: %w", i, err)
		}
		b[i].KLPenalty = u.klCoef * sum
		if u.loss.KL != rl.KLNone {
			b[i].ref = ref[i] // the loss's KL term reuses them
		}
		rewards[i] -= b[i].KLPenalty
		if tokens > 0 {
			mean += sum / tokens
			seqs++
		}
	}
	if seqs > 0 {
		st.KLPenalty = mean / float64(seqs)
	}
	return nil
}

// data returns the samples at idx as a backend takes them.
func (b Batch) data(idx []int) []Datum {
	out := make([]Datum, len(idx))
	for k, i := range idx {
		out[k] = b[i].datum()
	}
	return out
}

// sampledEverywhere reports whether every token the loss covers was
// written by the policy, so that the sampler's logprobs cover the loss.
func (s *Sample) sampledEverywhere() bool {
	for j, m := range s.Mask {
		if m != 0 && s.Traj.Mask[j] == 0 {
			return false
		}
	}
	return true
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

// tiedGroups reports, by group, whether its rewards (one per sample of b)
// are all equal: DAPO's criterion for a group that teaches nothing. Its
// GRPO and RLOO advantages are 0, or of the order of 1e-11 when the mean
// of equal rewards rounds (0.1 three times), which skipping treats as 0.
func tiedGroups(b Batch, rewards []float64) map[int]bool {
	tied := map[int]bool{}
	first := map[int]float64{}
	for i := range b {
		g, r := b[i].Group, rewards[i]
		if f, ok := first[g]; !ok {
			first[g], tied[g] = r, true
		} else if r != f {
			tied[g] = false
		}
	}
	return tied
}

// logprobGap is the mean |sampler logprob − trainer logprob| over the
// tokens the policy wrote (the trainer's: its first forward of the sample,
// or the old logprobs it computed): the trajectory's mask, not the loss's, since inserted
// results have no sampler logprobs even when they are trained on.
func logprobGap(b Batch) float64 {
	var gap, tokens float64
	for _, s := range b {
		if s.gapLogp == nil {
			continue // nothing the policy wrote, or a skipped group: the update did not score it
		}
		for j, mask := range s.Traj.Mask {
			m := float64(mask)
			gap += m * math.Abs(s.Traj.Logprobs[j]-s.gapLogp[j])
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
			if mini[i].gapLogp == nil {
				mini[i].gapLogp = out.Logprobs[k]
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
