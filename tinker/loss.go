package tinker

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The losses of forward_backward, as the Tinker docs define them ("Loss
// Functions"; tinker-cookbook tutorial 202): each is a sum over tokens,
// never a mean, of a function of the learner's logprob lp of each target
// token. Each function below returns that sum, the per-token terms and
// d sum / d lp per token, which the trainer's backward takes.

// Loss names.
const (
	LossCrossEntropy       = "cross_entropy"
	LossImportanceSampling = "importance_sampling"
	LossPPO                = "ppo"
	LossCISPO              = "cispo"
)

// Losses lists the loss names this package computes.
var Losses = []string{LossCrossEntropy, LossImportanceSampling, LossPPO, LossCISPO}

// TokenLoss is one datum's loss: Sum = Σ PerToken, and DLogp[i] the
// derivative of Sum with respect to lp[i].
type TokenLoss struct {
	Sum      float64
	PerToken []float64
	DLogp    []float64
}

func newTokenLoss(n int) TokenLoss {
	return TokenLoss{PerToken: make([]float64, n), DLogp: make([]float64, n)}
}

// CrossEntropy is Σ −lp·w. The weights are any reals, not only a 0/1 mask:
// forward_backward_custom sends w = −dC/dlp.
func CrossEntropy(lp, w []float64) TokenLoss {
	l := newTokenLoss(len(lp))
	for i := range lp {
		l.PerToken[i] = -lp[i] * w[i]
		l.DLogp[i] = -w[i]
		l.Sum += l.PerToken[i]
	}
	return l
}

// ImportanceSampling is −Σ r·A with r = exp(lp − q), q the sampler's
// logprob and A the advantage: d/dlp = −A·r.
func ImportanceSampling(lp, q, adv []float64) TokenLoss {
	l := newTokenLoss(len(lp))
	for i := range lp {
		r := math.Exp(lp[i] - q[i])
		l.PerToken[i] = -r * adv[i]
		l.DLogp[i] = -r * adv[i]
		l.Sum += l.PerToken[i]
	}
	return l
}

// PPO is −Σ min(r·A, clip(r, lo, hi)·A), lo and hi bounds on the ratio
// (0.8 and 1.2 by default). Where the clipped term is the smaller, r lies
// outside [lo, hi] (inside, the terms are equal) and the clamp passes no
// gradient; elsewhere d/dlp = −A·r.
func PPO(lp, q, adv []float64, lo, hi float64) TokenLoss {
	l := newTokenLoss(len(lp))
	for i := range lp {
		r := math.Exp(lp[i] - q[i])
		unclipped := r * adv[i]
		clipped := math.Max(lo, math.Min(hi, r)) * adv[i]
		if clipped < unclipped {
			l.PerToken[i] = -clipped
		} else {
			l.PerToken[i] = -unclipped
			l.DLogp[i] = -unclipped
		}
		l.Sum += l.PerToken[i]
	}
	return l
}

// CISPO is −Σ sg(clip(r, lo, hi))·lp·A (0 and 4 by default): the clipped
// ratio is a constant weight (stop-gradient) on the policy-gradient term,
// so d/dlp = −clip(r)·A.
func CISPO(lp, q, adv []float64, lo, hi float64) TokenLoss {
	l := newTokenLoss(len(lp))
	for i := range lp {
		w := math.Max(lo, math.Min(hi, math.Exp(lp[i]-q[i]))) * adv[i]
		l.PerToken[i] = -w * lp[i]
		l.DLogp[i] = -w
		l.Sum += l.PerToken[i]
	}
	return l
}

// LossSpec is a loss chosen by forward_backward: its name and ratio
// bounds (ppo and cispo only).
type LossSpec struct {
	Name     string
	Low, Hi  float64
	inputKey []string
}

// Loss config keys.
const (
	ClipLowKey  = "clip_low_threshold"
	ClipHighKey = "clip_high_threshold"
)

// ParseLoss checks a loss name and its loss_fn_config, filling in the
// documented defaults. Errors are *FieldErrors naming loss_fn or
// loss_fn_config.<key>.
func ParseLoss(name string, config map[string]float64) (LossSpec, error) {
	s := LossSpec{Name: name}
	switch name {
	case LossCrossEntropy:
		s.inputKey = []string{"target_tokens", "weights"}
	case LossImportanceSampling:
		s.inputKey = []string{"target_tokens", "logprobs", "advantages"}
	case LossPPO:
		s.Low, s.Hi = 0.8, 1.2
		s.inputKey = []string{"target_tokens", "logprobs", "advantages"}
	case LossCISPO:
		s.Low, s.Hi = 0, 4
		s.inputKey = []string{"target_tokens", "logprobs", "advantages"}
	default:
		return s, fieldErrorf("loss_fn", "%q: want one of %s", name, strings.Join(Losses, ", "))
	}
	for _, k := range sortedKeys(config) {
		v := config[k]
		clipped := name == LossPPO || name == LossCISPO
		switch {
		case !clipped || (k != ClipLowKey && k != ClipHighKey):
			want := "none"
			if clipped {
				want = ClipLowKey + " and " + ClipHighKey
			}
			return s, fieldErrorf("loss_fn_config."+k, "unknown key for %s (it takes %s)", name, want)
		case !(v >= 0) || math.IsInf(v, 0):
			return s, fieldErrorf("loss_fn_config."+k, "%g: want a finite ratio bound ≥ 0", v)
		case k == ClipLowKey:
			s.Low = v
		default:
			s.Hi = v
		}
	}
	if s.Low > s.Hi {
		return s, fieldErrorf("loss_fn_config", "%s %g > %s %g", ClipLowKey, s.Low, ClipHighKey, s.Hi)
	}
	return s, nil
}

// Inputs lists the loss_fn_inputs keys the loss takes, all required.
func (s LossSpec) Inputs() []string { return slices.Clone(s.inputKey) }

// Compute evaluates the loss of one datum given lp and its inputs by key
// (as float64s, each as long as lp).
func (s LossSpec) Compute(lp []float64, in map[string][]float64) TokenLoss {
	switch s.Name {
	case LossCrossEntropy:
		return CrossEntropy(lp, in["weights"])
	case LossImportanceSampling:
		return ImportanceSampling(lp, in["logprobs"], in["advantages"])
	case LossPPO:
		return PPO(lp, in["logprobs"], in["advantages"], s.Low, s.Hi)
	case LossCISPO:
		return CISPO(lp, in["logprobs"], in["advantages"], s.Low, s.Hi)
	}
	panic(fmt.Sprintf("tinker: Compute on unparsed loss %q", s.Name))
}
