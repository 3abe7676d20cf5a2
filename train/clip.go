package train

import (
	"math"

	"research/model"
)

// GradNorm returns the global L2 norm of all the gradients.
func GradNorm(grads []model.Param) float64 {
	var ss float64
	for _, g := range grads {
		for _, v := range g.Data {
			ss += float64(v) * float64(v)
		}
	}
	return math.Sqrt(ss)
}

// ClipGrads scales the gradients so their global norm is at most maxNorm,
// as torch.nn.utils.clip_grad_norm_ does (coefficient maxNorm/(norm+1e-6)),
// and returns the norm before clipping. maxNorm ≤ 0 disables clipping.
func ClipGrads(grads []model.Param, maxNorm float64) float64 {
	norm := GradNorm(grads)
	if maxNorm <= 0 {
		return norm
	}
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm
	}
	for _, g := range grads {
		for i := range g.Data {
			g.Data[i] = float32(float64(g.Data[i]) * coef)
		}
	}
	return norm
}
