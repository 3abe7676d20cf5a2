package rl

import (
	"fmt"
	"math"
)

// KLEstimator names an estimator of KL(π‖π_ref) from one sampled token,
// after J. Schulman, "Approximating KL divergence" (2020).
type KLEstimator string

const (
	KLNone KLEstimator = "none"
	// K1 is logp − ref (veRL "kl").
	K1 KLEstimator = "k1"
	// K2 is ½ (logp − ref)² (veRL "mse").
	K2 KLEstimator = "k2"
	// K3 is exp(ref − logp) − (ref − logp) − 1, clamped to [−10, 10]
	// (veRL "low_var_kl"), the paper's choice.
	K3 KLEstimator = "k3"
)

// ParseKL accepts the KL estimator names of a config, veRL's included.
func ParseKL(s string) (KLEstimator, error) {
	switch s {
	case "none", "":
		return KLNone, nil
	case "k1", "kl":
		return K1, nil
	case "k2", "mse":
		return K2, nil
	case "k3", "low_var_kl":
		return K3, nil
	}
	return "", fmt.Errorf("unknown KL estimator %q (want none, k1, k2 or k3)", s)
}

// k3Clamp bounds k3 as veRL does; beyond it the gradient is zero.
const k3Clamp = 10

// Value returns the estimate for one token and its derivative with
// respect to logp.
func (k KLEstimator) Value(logp, ref float64) (kl, dLogp float64) {
	switch k {
	case K1:
		return logp - ref, 1
	case K2:
		d := logp - ref
		return 0.5 * d * d, d
	case K3:
		delta := ref - logp
		e := math.Exp(delta)
		kl = e - delta - 1
		if kl > k3Clamp || kl < -k3Clamp {
			return math.Max(-k3Clamp, math.Min(k3Clamp, kl)), 0
		}
		return kl, 1 - e
	}
	return 0, 0
}

// PenaltySum is the KL a sequence is charged in its reward under veRL's
// KL-in-reward (apply_kl_penalty), before the coefficient:
// Σ_t mask_t · kl(logp_t, ref_t), with the tokens counted (Σ mask_t).
// Each token's charge is the estimate of Value; the reward the outcome
// advantages see is then r − β·sum.
func (k KLEstimator) PenaltySum(logp, ref, mask []float64) (sum, tokens float64, err error) {
	if len(logp) != len(mask) || len(ref) != len(mask) {
		return 0, 0, fmt.Errorf("rl: KL penalty: %d logprobs, %d reference logprobs, %d mask entries", len(logp), len(ref), len(mask))
	}
	for t, m := range mask {
		if m == 0 {
			continue
		}
		kl, _ := k.Value(logp[t], ref[t])
		sum += m * kl
		tokens += m
	}
	return sum, tokens, nil
}
