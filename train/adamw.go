package train

import (
	"fmt"
	"math"

	"research/model"
	"research/tensor"
)

// AdamW holds the hyper-parameters of AdamW with decoupled weight decay
// (Loshchilov & Hutter), as torch.optim.AdamW.
type AdamW struct {
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64
}

// DefaultAdamW is torch's default with the paper's weight decay of 0.01.
func DefaultAdamW() AdamW { return AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01} }

func (a AdamW) check() error {
	if !(a.Beta1 >= 0 && a.Beta1 < 1) || !(a.Beta2 >= 0 && a.Beta2 < 1) {
		return fmt.Errorf("adamw: betas (%g, %g): want each in [0, 1)", a.Beta1, a.Beta2)
	}
	if !(a.Eps > 0) || !(a.WeightDecay >= 0) {
		return fmt.Errorf("adamw: eps %g must be > 0 and weight decay %g ≥ 0", a.Eps, a.WeightDecay)
	}
	return nil
}

// adamState is AdamW's running moments for a list of tensors.
type adamState struct {
	steps int         // updates taken, for the bias corrections
	m, v  [][]float32 // first and second moments, shaped like the params
}

func newAdamState(params []model.Param) *adamState {
	s := &adamState{m: make([][]float32, len(params)), v: make([][]float32, len(params))}
	for i, p := range params {
		s.m[i] = make([]float32, len(p.Data))
		s.v[i] = make([]float32, len(p.Data))
	}
	return s
}

// update applies one AdamW step with learning rate lr to params given their
// gradients, in torch's order: decay, moments, bias-corrected step.
func (a AdamW) update(s *adamState, params, grads []model.Param, lr float64) {
	s.steps++
	bc1 := 1 - math.Pow(a.Beta1, float64(s.steps))
	bc2 := math.Sqrt(1 - math.Pow(a.Beta2, float64(s.steps)))
	decay := 1 - lr*a.WeightDecay
	b1, b2 := a.Beta1, a.Beta2
	for i, p := range params {
		g, m, v := grads[i].Data, s.m[i], s.v[i]
		tensor.Parallel(len(p.Data), 1<<14, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				gj := float64(g[j])
				mj := b1*float64(m[j]) + (1-b1)*gj
				vj := b2*float64(v[j]) + (1-b2)*gj*gj
				m[j], v[j] = float32(mj), float32(vj)
				w := float64(p.Data[j]) * decay
				p.Data[j] = float32(w - lr/bc1*mj/(math.Sqrt(vj)/bc2+a.Eps))
			}
		})
	}
}
