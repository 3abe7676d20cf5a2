package tinker

import (
	"errors"
	"math"
	"testing"
)

// Hand-computed cases: r = exp(lp − q).
func TestLossFormulas(t *testing.T) {
	ln := math.Log
	for _, tc := range []struct {
		name  string
		loss  TokenLoss
		sum   float64
		dlogp []float64
	}{
		// −(−1·2) − (−0.5·−3) = 2 − 1.5
		{"cross_entropy arbitrary weights", CrossEntropy([]float64{-1, -0.5}, []float64{2, -3}), 0.5, []float64{-2, 3}},
		// r = 2, 0.5: −(2·1) − (0.5·−4) = −2 + 2
		{"importance_sampling", ImportanceSampling([]float64{ln(2), ln(0.5)}, []float64{0, 0}, []float64{1, -4}), 0, []float64{-2, 2}},
		// r = 2, A = 1: min(2, 1.2) → −1.2, clamped: no gradient.
		// r = 0.5, A = −1: min(−0.5, −0.8) = −0.8 → 0.8, no gradient.
		// r = 0.5, A = 1: min(0.5, 0.8) = 0.5 → −0.5, gradient −0.5.
		// r = 1.1, A = 2: inside: −2.2, gradient −2.2.
		{"ppo defaults", PPO([]float64{ln(2), ln(0.5), ln(0.5), ln(1.1)}, make([]float64, 4), []float64{1, -1, 1, 2}, 0.8, 1.2),
			-1.2 + 0.8 - 0.5 - 2.2, []float64{0, 0, -0.5, -2.2}},
		// r = 2 clipped to 1.5 (weight 1.5·A = 3), lp = ln 2: −3·ln 2.
		// r = 0.25 → 0.5 (weight 0.5·−1), lp = ln 0.25: −(−0.5·ln 0.25).
		{"cispo", CISPO([]float64{ln(2), ln(0.25)}, []float64{0, 0}, []float64{2, -1}, 0.5, 1.5),
			-3*ln(2) + 0.5*ln(0.25), []float64{-3, 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.loss.Sum-tc.sum) > 1e-12 {
				t.Errorf("sum %g, want %g", tc.loss.Sum, tc.sum)
			}
			var s float64
			for i, d := range tc.loss.DLogp {
				s += tc.loss.PerToken[i]
				if math.Abs(d-tc.dlogp[i]) > 1e-12 {
					t.Errorf("dlogp[%d] %g, want %g", i, d, tc.dlogp[i])
				}
			}
			if math.Abs(s-tc.loss.Sum) > 1e-12 {
				t.Errorf("per-token terms sum to %g, not %g", s, tc.loss.Sum)
			}
		})
	}
}

// The derivative of each loss against central differences, at points away
// from the clip boundaries (where PPO has kinks). CISPO's ratio is a
// stop-gradient weight: its derivative holds the weight fixed.
func TestLossGradientsFiniteDifference(t *testing.T) {
	lp := []float64{-0.3, -2.1, -0.05, -1.4, -0.9}
	q := []float64{-0.5, -1.2, -0.4, -1.0, -0.9}
	adv := []float64{1.5, -0.7, 0.3, 2.0, -1.1}
	w := []float64{1, 0, -2.5, 0.25, 3}
	losses := map[string]func(lp []float64) TokenLoss{
		"cross_entropy":       func(lp []float64) TokenLoss { return CrossEntropy(lp, w) },
		"importance_sampling": func(lp []float64) TokenLoss { return ImportanceSampling(lp, q, adv) },
		"ppo":                 func(lp []float64) TokenLoss { return PPO(lp, q, adv, 0.8, 1.2) },
		"cispo": func(x []float64) TokenLoss {
			// sg(clip(r)) at the unperturbed point, lp varying.
			l := CISPO(lp, q, adv, 0, 4)
			out := TokenLoss{PerToken: make([]float64, len(x))}
			for i := range x {
				out.PerToken[i] = l.DLogp[i] * x[i]
				out.Sum += out.PerToken[i]
			}
			return out
		},
	}
	for name, f := range losses {
		t.Run(name, func(t *testing.T) {
			grad := f(lp).DLogp
			if name == "cispo" {
				grad = CISPO(lp, q, adv, 0, 4).DLogp
			}
			for i := range lp {
				const h = 1e-6
				up, down := append([]float64(nil), lp...), append([]float64(nil), lp...)
				up[i] += h
				down[i] -= h
				fd := (f(up).Sum - f(down).Sum) / (2 * h)
				if math.Abs(fd-grad[i]) > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("token %d: analytic %g, finite difference %g", i, grad[i], fd)
				}
			}
		})
	}
}

func TestParseLoss(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config map[string]float64
		lo, hi float64
		field  string
	}{
		{LossPPO, nil, 0.8, 1.2, ""},
		{LossCISPO, nil, 0, 4, ""},
		{LossPPO, map[string]float64{ClipLowKey: 0.9}, 0.9, 1.2, ""},
		{LossCrossEntropy, map[string]float64{ClipLowKey: 0.9}, 0, 0, "loss_fn_config.clip_low_threshold"},
		{LossPPO, map[string]float64{"epsilon": 0.2}, 0, 0, "loss_fn_config.epsilon"},
		{LossPPO, map[string]float64{ClipLowKey: 2}, 0, 0, "loss_fn_config"},
		{LossCISPO, map[string]float64{ClipHighKey: math.NaN()}, 0, 0, "loss_fn_config.clip_high_threshold"},
		{"dro", nil, 0, 0, "loss_fn"},
	} {
		s, err := ParseLoss(tc.name, tc.config)
		if tc.field == "" {
			if err != nil || s.Low != tc.lo || s.Hi != tc.hi {
				t.Errorf("%s %v: %+v, %v; want bounds %g, %g", tc.name, tc.config, s, err, tc.lo, tc.hi)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s %v: error %v, want one naming %s", tc.name, tc.config, err, tc.field)
		}
	}
}
