package model

import (
	"fmt"
	"slices"

	"research/tensor"
)

// Backward adds to the gradients g (shaped like the model; nil when the base
// is frozen) and gl (shaped like the tape's LoRA; nil when there is none) the
// gradient of
//
//	ℓ = Σ_ij dLogp[i][j]·Logp[i][j] + dEntropy[i][j]·Entropy[i][j],
//
// so a loss's derivatives with respect to each token's logprob and entropy
// (rl.Result's DLogp and DEntropy) become parameter gradients. The weights
// must have the shapes of Logp and Entropy. Gradients accumulate: call it
// once per micro-batch, then step.
func (t *Tape) Backward(dLogp, dEntropy [][]float64, g *Model, gl *LoRA) error {
	flatL, err := t.flatten("dlogp", dLogp)
	if err != nil {
		return err
	}
	flatH, err := t.flatten("dentropy", dEntropy)
	if err != nil {
		return err
	}
	if g != nil && len(g.Layers) != len(t.m.Layers) {
		return fmt.Errorf("backward: gradients for %d layers, model has %d", len(g.Layers), len(t.m.Layers))
	}
	if gl != nil {
		if t.opt.LoRA == nil {
			return fmt.Errorf("backward: LoRA gradients for a pass without LoRA")
		}
		if err := gl.check(&t.m.Config); err != nil || gl.Rank != t.opt.LoRA.Rank || !slices.Equal(gl.Targets, t.opt.LoRA.Targets) {
			return fmt.Errorf("backward: LoRA gradients do not match the pass's adapters")
		}
	}
	c := &t.m.Config
	h := c.HiddenSize
	var gHead, gNorm []float32
	if g != nil {
		gHead, gNorm = g.LMHead, g.Norm
	}
	dnF := t.headBackward(flatL, flatH, gHead)
	dxF := make([]float32, len(dnF))
	rmsNormBackward(dxF, dnF, t.xF, t.m.Norm, t.rstdF, gNorm)
	dx := make([]float32, len(t.tokens)*h)
	for i, r := range t.scored {
		tensor.Add(dx[r*h:(r+1)*h], dxF[i*h:(i+1)*h])
	}
	var work *layerActs
	var out []float32
	s := newBackScratch(c, len(t.tokens))
	for l := len(t.acts) - 1; l >= 0; l-- {
		a := t.acts[l]
		if t.opt.Recompute {
			if work == nil {
				work, out = newLayerActs(c, len(t.tokens), t.opt.LoRA), make([]float32, len(dx))
			}
			work.x = a.x
			t.layerForward(l, work, out)
			a = work
		}
		t.layerBackward(l, a, dx, g, gl, s)
	}
	if g != nil {
		for r, tok := range t.tokens {
			tensor.Add(g.Embed[tok*h:(tok+1)*h], dx[r*h:(r+1)*h])
		}
	}
	return nil
}

// flatten checks that w has the shape of Logp and lays it out like the
// scored rows.
func (t *Tape) flatten(what string, w [][]float64) ([]float64, error) {
	if len(w) != len(t.Logp) {
		return nil, fmt.Errorf("backward: %s has %d sequences, the pass %d", what, len(w), len(t.Logp))
	}
	flat := make([]float64, 0, len(t.scored))
	for i, s := range w {
		if len(s) != len(t.Logp[i]) {
			return nil, fmt.Errorf("backward: %s of sequence %d has %d tokens, the pass scored %d", what, i, len(s), len(t.Logp[i]))
		}
		for j, v := range s {
			if !t.skipped(i, j) {
				flat = append(flat, v)
			}
		}
	}
	return flat, nil
}

// backScratch holds a layer backward's gradients of activations, reused
// from layer to layer so a long sequence's backward does not churn memory.
type backScratch struct {
	dact, dgate, dup, dn, datt, dq, dk, dv []float32
}

func newBackScratch(c *Config, n int) *backScratch {
	h, q, kv, f := c.HiddenSize, c.QDim(), c.KVDim(), c.IntermediateSize
	return &backScratch{
		dact: make([]float32, n*f), dgate: make([]float32, n*f), dup: make([]float32, n*f),
		dn: make([]float32, n*h), datt: make([]float32, n*q),
		dq: make([]float32, n*q), dk: make([]float32, n*kv), dv: make([]float32, n*kv),
	}
}

// layerBackward turns dx, the gradient of layer l's output, into the
// gradient of its input (in place), accumulating parameter gradients.
func (t *Tape) layerBackward(l int, a *layerActs, dx []float32, g *Model, gl *LoRA, s *backScratch) {
	c := &t.m.Config
	n := len(t.tokens)
	// Gradients that the projections accumulate into start at zero; the
	// others are overwritten.
	clear(s.dact)
	clear(s.dn)
	clear(s.datt)
	clear(s.dk)
	clear(s.dv)
	grad := func(name string) proj { return projOf(c, g, gl, l, name) }
	var gAttnNorm, gMLPNorm []float32 // nil when the base is frozen
	if g != nil {
		gAttnNorm, gMLPNorm = g.Layers[l].AttnNorm, g.Layers[l].MLPNorm
	}
	w := &t.m.Layers[l]

	// MLP: out = x2 + down(silu(gate(n2))·up(n2)).
	t.proj(l, "down_proj").backward(a.act, dx, s.dact, a.xa, n, grad("down_proj"))
	swigluBackward(s.dgate, s.dup, s.dact, a.gate, a.up)
	t.proj(l, "gate_proj").backward(a.n2, s.dgate, s.dn, a.xa, n, grad("gate_proj"))
	t.proj(l, "up_proj").backward(a.n2, s.dup, s.dn, a.xa, n, grad("up_proj"))
	rmsNormBackward(dx, s.dn, a.x2, w.MLPNorm, a.rstd2, gMLPNorm)

	// Attention: x2 = x + o(attend(rope(q(n1)), rope(k(n1)), v(n1))).
	t.proj(l, "o_proj").backward(a.att, dx, s.datt, a.xa, n, grad("o_proj"))
	t.attentionBackward(a, s.datt, s.dq, s.dk, s.dv)
	t.rope(s.dq, c.NumHeads, t.negSin)
	t.rope(s.dk, c.NumKVHeads, t.negSin)
	clear(s.dn)
	t.proj(l, "q_proj").backward(a.n1, s.dq, s.dn, a.xa, n, grad("q_proj"))
	t.proj(l, "k_proj").backward(a.n1, s.dk, s.dn, a.xa, n, grad("k_proj"))
	t.proj(l, "v_proj").backward(a.n1, s.dv, s.dn, a.xa, n, grad("v_proj"))
	rmsNormBackward(dx, s.dn, a.x, w.AttnNorm, a.rstd1, gAttnNorm)
}

// rmsNormBackward adds to dx the gradient through y = x·r·w, r = 1/rms(x),
// given dy, row by row:
//
//	dx += r·(dy⊙w) − r³/h · x · Σ(dy⊙w⊙x),   dw += Σ_rows dy⊙x·r
//
// (dw is skipped when nil).
func rmsNormBackward(dx, dy, x, w, rstd, dw []float32) {
	h := len(w)
	tensor.Parallel(len(rstd), 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, dyr, dxr := x[r*h:(r+1)*h], dy[r*h:(r+1)*h], dx[r*h:(r+1)*h]
			var dot float64
			for i := range xr {
				dot += float64(dyr[i]) * float64(w[i]) * float64(xr[i])
			}
			rs := rstd[r]
			k := float32(float64(rs) * float64(rs) * float64(rs) * dot / float64(h))
			for i := range xr {
				dxr[i] += rs*dyr[i]*w[i] - k*xr[i]
			}
		}
	})
	if dw == nil {
		return
	}
	for r, rs := range rstd {
		xr, dyr := x[r*h:(r+1)*h], dy[r*h:(r+1)*h]
		for i := range dw {
			dw[i] += dyr[i] * xr[i] * rs
		}
	}
}

// swigluBackward writes the gradients of gate and up given dout, the
// gradient of silu(gate)·up: with σ = sigmoid(gate),
//
//	dup = dout·gate·σ,  dgate = dout·up·σ·(1 + gate·(1 − σ)).
func swigluBackward(dgate, dup, dout, gate, up []float32) {
	tensor.Parallel(len(dout), 4096, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			g := gate[i]
			s := tensor.Sigmoid(g)
			dup[i] = dout[i] * g * s
			dgate[i] = dout[i] * up[i] * s * (1 + g*(1-s))
		}
	})
}
