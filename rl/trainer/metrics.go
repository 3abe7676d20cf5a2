package trainer

import (
	"math"
	"time"

	"research/protocol"
	"research/reward"
	"research/rollout"
)

// Metrics is one line of metrics.jsonl: a training step, or a validation.
type Metrics struct {
	Step  int    `json:"step"`
	Phase string `json:"phase"` // "train" or "val"

	RewardMean      float64 `json:"reward_mean"`
	RewardStd       float64 `json:"reward_std"`
	F1              float64 `json:"f1"`
	EM              float64 `json:"em"`
	FormatValid     float64 `json:"format_valid"` // share of rollouts whose format is valid
	SearchesPerRoll float64 `json:"searches_per_rollout"`
	ResponseTokens  float64 `json:"response_tokens"` // written by the policy, inserted results excluded
	InsertedTokens  float64 `json:"inserted_tokens"`
	SearchFailures  int     `json:"search_failures"`

	PGLoss     float64 `json:"pg_loss,omitempty"`
	KL         float64 `json:"kl,omitempty"`
	Entropy    float64 `json:"entropy,omitempty"`
	ClipFrac   float64 `json:"clip_frac,omitempty"`
	PPOKL      float64 `json:"ppo_kl,omitempty"`
	GradNorm   float64 `json:"grad_norm,omitempty"`
	LR         float64 `json:"lr,omitempty"`
	LogprobGap float64 `json:"logprob_gap,omitempty"`
	// KLPenalty is the mean per-token KL charged in the reward
	// (algorithm.kl_in_reward), before its coefficient.
	KLPenalty float64 `json:"kl_penalty,omitempty"`

	// OverlongPenalty is the mean soft overlong penalty included in
	// RewardMean (reward_model.overlong_buffer).
	OverlongPenalty float64 `json:"overlong_penalty,omitempty"`
	// GroupsDropped counts the groups dynamic sampling dropped for tied
	// rewards, GenBatches the batches it generated
	// (algorithm.filter_groups).
	GroupsDropped int `json:"groups_dropped,omitempty"`
	GenBatches    int `json:"gen_batches,omitempty"`

	GenerateSec float64 `json:"time_generate_s"` // rollouts, search time included
	SearchSec   float64 `json:"time_search_s"`   // summed over rollouts, overlapping generation
	ScoreSec    float64 `json:"time_score_s"`
	UpdateSec   float64 `json:"time_update_s"`
	TokensPerS  float64 `json:"tokens_per_s"` // rollout tokens (policy + inserted) per second of rollout
}

// rolloutMetrics summarises trajectories and their rewards.
func rolloutMetrics(trajs []*rollout.Trajectory, rewards []float64, genTime time.Duration) Metrics {
	var m Metrics
	n := float64(len(trajs))
	if n == 0 {
		return m
	}
	var tokens float64
	for i, t := range trajs {
		m.RewardMean += rewards[i]
		if ok, _ := protocol.ValidateFormat(t.ResponseText); ok {
			m.FormatValid++
		}
		if ans, ok := protocol.ExtractAnswer(t.ResponseText); ok {
			got := reward.Evaluate(ans, t.Golds)
			m.F1 += got.F1
			m.EM += got.EM
		}
		m.SearchesPerRoll += float64(len(t.Searches))
		policy := float64(t.PolicyTokens())
		m.ResponseTokens += policy
		m.InsertedTokens += float64(len(t.Response)) - policy
		tokens += float64(len(t.Response))
		if t.SearchFailed {
			m.SearchFailures++
		}
		m.SearchSec += t.SearchTime.Seconds()
	}
	m.RewardMean /= n
	for _, r := range rewards {
		m.RewardStd += (r - m.RewardMean) * (r - m.RewardMean)
	}
	m.RewardStd = math.Sqrt(m.RewardStd / n)
	m.F1 /= n
	m.EM /= n
	m.FormatValid /= n
	m.SearchesPerRoll /= n
	m.ResponseTokens /= n
	m.InsertedTokens /= n
	m.GenerateSec = genTime.Seconds()
	if m.GenerateSec > 0 {
		m.TokensPerS = tokens / m.GenerateSec
	}
	return m
}

func (m *Metrics) addUpdate(u UpdateStats) {
	m.PGLoss, m.KL, m.Entropy, m.ClipFrac, m.PPOKL = u.PGLoss, u.KL, u.Entropy, u.ClipFrac, u.PPOKL
	m.GradNorm, m.LR, m.LogprobGap, m.KLPenalty = u.GradNorm, u.LR, u.LogprobGap, u.KLPenalty
}
