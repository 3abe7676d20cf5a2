package score

import (
	"research/reward"
	"research/rl"
	"research/rollout"
)

// Scorer scores one finished trajectory (its ResponseText is set). Safe
// for concurrent use.
type Scorer interface {
	Score(t *rollout.Trajectory) Result
}

// Result is a trajectory's reward: the reward function's score and reason,
// and a shaping penalty on top of it.
type Result struct {
	Score  float64 // what the reward function gave (ReSearch: F1, 0.1 or 0)
	Reason string
	// Penalty is added to Score for the advantages (≤ 0; Overlong's), and
	// is 0 without shaping.
	Penalty float64
}

// Reward is what the advantages see: the score plus the penalty.
func (r Result) Reward() float64 { return r.Score + r.Penalty }

// ReSearch is the paper's reward: compute_score of prompt and response
// together, as the reference's reward manager passes them (so that its
// split on the response marker behaves the same), with the EOS text the
// trajectory records.
type ReSearch struct{}

// Score implements Scorer.
func (ReSearch) Score(t *rollout.Trajectory) Result {
	res := reward.ScoreSolution(t.PromptText+t.ResponseText, t.Golds, t.EOSText)
	return Result{Score: res.Score, Reason: res.Reason}
}

// Func is a Scorer made of a function of the trajectory: its value is the
// score, with no reason (toy tasks, tests).
type Func func(t *rollout.Trajectory) float64

// Score implements Scorer.
func (f Func) Score(t *rollout.Trajectory) Result { return Result{Score: f(t)} }

// Overlong adds DAPO's soft overlong penalty (rl.OverlongPenalty) to the
// Scorer's result: 0 up to MaxTokens − Buffer response tokens, falling
// linearly to −Factor at MaxTokens. The length counts every response
// token, inserted results included, as the rollout's budget does and as
// veRL's valid response length does.
type Overlong struct {
	Scorer    Scorer
	MaxTokens int // the rollout's response budget
	Buffer    int // > 0
	Factor    float64
}

// Score implements Scorer.
func (o Overlong) Score(t *rollout.Trajectory) Result {
	r := o.Scorer.Score(t)
	r.Penalty += rl.OverlongPenalty(len(t.Response), o.MaxTokens, o.Buffer, o.Factor)
	return r
}

// All scores each trajectory with s, records the score and its reason in
// the trajectory (Reward and Reason, what its dump and trace show; the
// penalty stays out, as veRL logs the score), and returns the results in
// order.
func All(s Scorer, trajs ...*rollout.Trajectory) []Result {
	out := make([]Result, len(trajs))
	for i, t := range trajs {
		out[i] = s.Score(t)
		t.Reward, t.Reason = out[i].Score, out[i].Reason
	}
	return out
}
