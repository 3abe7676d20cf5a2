package rl

import (
	"fmt"
	"math"
)

// Estimator names an advantage estimator.
type Estimator string

const (
	// GRPO normalises each reward within its group: (r − mean) / (std + ε),
	// with the unbiased standard deviation. The paper's choice.
	GRPO Estimator = "grpo"
	// RLOO subtracts the mean of the other rewards of the group:
	// r − mean_{j≠i} r_j = n/(n−1) · (r − mean).
	RLOO Estimator = "rloo"
	// ReinforcePPBaseline subtracts the group mean, then whitens over every
	// response token of the batch (REINFORCE++ with a group baseline).
	ReinforcePPBaseline Estimator = "reinforce_plus_plus_baseline"
)

// ParseEstimator accepts the estimator names of a config.
func ParseEstimator(s string) (Estimator, error) {
	switch e := Estimator(s); e {
	case GRPO, RLOO, ReinforcePPBaseline:
		return e, nil
	}
	return "", fmt.Errorf("unknown advantage estimator %q (want %s, %s or %s)", s, GRPO, RLOO, ReinforcePPBaseline)
}

// GRPOEpsilon keeps a group of equal rewards from dividing by zero.
const GRPOEpsilon = 1e-6

// Advantages returns one advantage per sequence (the trainer broadcasts it
// over the sequence's response tokens). group[i] names the prompt sequence i
// was sampled from; tokens[i] counts its loss tokens, which only
// ReinforcePPBaseline uses. As in veRL, a group of one keeps its raw reward
// (mean 0, std 1).
func Advantages(est Estimator, rewards []float64, group []int, tokens []int) ([]float64, error) {
	if len(group) != len(rewards) || (est == ReinforcePPBaseline && len(tokens) != len(rewards)) {
		return nil, fmt.Errorf("rl: %d rewards, %d group ids, %d token counts", len(rewards), len(group), len(tokens))
	}
	members := map[int][]int{}
	for i, g := range group {
		members[g] = append(members[g], i)
	}
	adv := make([]float64, len(rewards))
	for _, idx := range members {
		n := float64(len(idx))
		mean, std := 0.0, 1.0
		if len(idx) > 1 {
			mean, std = meanStd(rewards, idx)
		}
		for _, i := range idx {
			switch est {
			case GRPO:
				adv[i] = (rewards[i] - mean) / (std + GRPOEpsilon)
			case RLOO:
				if len(idx) > 1 {
					adv[i] = n / (n - 1) * (rewards[i] - mean)
				} else {
					adv[i] = rewards[i]
				}
			case ReinforcePPBaseline:
				adv[i] = rewards[i] - mean
			default:
				return nil, fmt.Errorf("rl: unknown advantage estimator %q", est)
			}
		}
	}
	if est == ReinforcePPBaseline {
		if err := whitenOverTokens(adv, tokens); err != nil {
			return nil, err
		}
	}
	return adv, nil
}

// meanStd is the mean and unbiased standard deviation of r over idx.
func meanStd(r []float64, idx []int) (mean, std float64) {
	for _, i := range idx {
		mean += r[i]
	}
	mean /= float64(len(idx))
	var ss float64
	for _, i := range idx {
		ss += (r[i] - mean) * (r[i] - mean)
	}
	return mean, math.Sqrt(ss / float64(len(idx)-1))
}

// whitenOverTokens is veRL's masked_whiten over the response tokens of the
// batch, where sequence i contributes its value tokens[i] times:
// (x − mean) / sqrt(var_unbiased + 1e-8).
func whitenOverTokens(x []float64, tokens []int) error {
	var n, sum float64
	for i, v := range x {
		n += float64(tokens[i])
		sum += float64(tokens[i]) * v
	}
	if n < 2 {
		return fmt.Errorf("rl: whitening needs at least 2 loss tokens in the batch, got %v", n)
	}
	mean := sum / n
	var ss float64
	for i, v := range x {
		ss += float64(tokens[i]) * (v - mean) * (v - mean)
	}
	variance := ss / n * n / (n - 1)
	for i := range x {
		x[i] = (x[i] - mean) / math.Sqrt(variance+1e-8)
	}
	return nil
}
