package trainer

import (
	"research/rollout"
	"research/score"
)

// Batch is a step's rollouts on their way through the stages that follow
// the rollout, one Sample per trajectory: the reward stage (newBatch)
// gives each its group, loss mask and reward; the update gives each its
// advantage and the logprobs it computes, and reads them back.
type Batch []Sample

// Sample is one trajectory in a Batch.
type Sample struct {
	// Traj holds the ids, the rollout's own mask (policy or inserted
	// token) and the sampler's logprobs, and the text.
	Traj *rollout.Trajectory
	// Group is the trajectory's GRPO group: the question it answers,
	// numbered through the step's rollout batches (veRL's uid).
	Group int
	// Mask is the loss mask over the response tokens, the one every stage
	// after the reward uses: 1 on the policy's tokens, 0 on inserted
	// results, or 1 everywhere when results are trained on
	// (algorithm.state_masking false).
	Mask []float64
	// Result is the reward stage's: Score and Reason, and the Penalty
	// whose sum with the score, Reward(), the advantages see.
	score.Result
	// Advantage is the advantage stage's, broadcast over the response.
	Advantage float64
	// KLPenalty is what algorithm.kl_in_reward took from the reward
	// before the advantages: β · Σ_t kl_t.
	KLPenalty float64

	old, ref []float64 // old-policy and reference logprobs, when the update needs them
	gapLogp  []float64 // the trainer's logprobs, for the sampler/trainer gap
	tokens   float64   // loss tokens: the sum of Mask
	// skip leaves the sample out of the update: its group's rewards are
	// all equal, so its advantage is 0 and it carries no policy gradient.
	skip bool
}

// newBatch is the reward stage over the trajectories of one rollout call:
// it scores them with s, numbers their groups from firstGroup on, and
// builds their loss masks.
func newBatch(trajs []*rollout.Trajectory, s score.Scorer, firstGroup int, trainResults bool) Batch {
	results := score.All(s, trajs...)
	b := make(Batch, len(trajs))
	for i, t := range trajs {
		mask := make([]float64, len(t.Mask))
		var tokens float64
		for j, m := range t.Mask {
			if trainResults {
				m = 1
			}
			mask[j] = float64(m)
			tokens += float64(m)
		}
		b[i] = Sample{Traj: t, Group: firstGroup + t.Group, Mask: mask, Result: results[i], tokens: tokens}
	}
	return b
}

// Trajectories returns the batch's trajectories, in order.
func (b Batch) Trajectories() []*rollout.Trajectory {
	out := make([]*rollout.Trajectory, len(b))
	for i := range b {
		out[i] = b[i].Traj
	}
	return out
}

// Rewards returns each sample's reward, the score plus its penalty.
func (b Batch) Rewards() []float64 {
	out := make([]float64, len(b))
	for i := range b {
		out[i] = b[i].Reward()
	}
	return out
}

// Scores returns each sample's score, before shaping.
func (b Batch) Scores() []float64 {
	out := make([]float64, len(b))
	for i := range b {
		out[i] = b[i].Score
	}
	return out
}

// Groups returns each sample's group.
func (b Batch) Groups() []int {
	out := make([]int, len(b))
	for i := range b {
		out[i] = b[i].Group
	}
	return out
}

// nextGroup is the first group number after the batch's.
func (b Batch) nextGroup() int {
	n := 0
	for i := range b {
		n = max(n, b[i].Group+1)
	}
	return n
}

// groupOrder returns the batch's groups in the order they first appear,
// each with its samples' indices.
func (b Batch) groupOrder() (groups []int, members map[int][]int) {
	members = map[int][]int{}
	for i := range b {
		g := b[i].Group
		if _, ok := members[g]; !ok {
			groups = append(groups, g)
		}
		members[g] = append(members[g], i)
	}
	return groups, members
}

// penaltyMean is the mean shaping penalty over the batch.
func (b Batch) penaltyMean() float64 {
	if len(b) == 0 {
		return 0
	}
	var sum float64
	for i := range b {
		sum += b[i].Penalty
	}
	return sum / float64(len(b))
}
