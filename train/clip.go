package train

import (
	"math"

	"research/model"
	"research/tensor"
)

// GradNorm returns the global L2 norm of all the gradients. Each tensor is
// summed in fixed parts, so the result does not depend on scheduling.
func GradNorm(grads []model.Param) float64 {
	var ss float64
	for _, g := range grads {
		parts := make([]float64, (len(g.Data)+normPart-1)/normPart)
		tensor.Parallel(len(parts), 1, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				for _, v := range g.Data[p*normPart : min(len(g.Data), (p+1)*normPart)] {
					parts[p] += float64(v) * float64(v)
				}
			}
		})
		for _, s := range parts {
			ss += s
		}
	}
	return math.Sqrt(ss)
}

// normPart is the slice of a tensor whose squares GradNorm sums as one part.
const normPart = 1 << 16

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
		tensor.Parallel(len(g.Data), 1<<14, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g.Data[i] = float32(float64(g.Data[i]) * coef)
			}
		})
	}
	return norm
}
