package model

import "research/tensor"

// proj is one projection of a layer, y = x·Wᵀ + b + scale·(x·Aᵀ)·Bᵀ, as the
// training pass sees it; the same shape describes its gradients.
type proj struct {
	name    string
	w, b    []float32 // [out][in], [out]; b nil for projections without bias
	out, in int
	ad      *Adapter // nil when the projection is not adapted
	scale   float32
}

// projOf returns projection name of layer l from m and lora, either of which
// may be nil (a frozen base, no adapters).
func projOf(c *Config, m *Model, lora *LoRA, l int, name string) proj {
	p := proj{name: name}
	p.out, p.in = linearShape(c, name)
	if m != nil {
		w := &m.Layers[l]
		p.w = *w.linears()[name]
		switch name {
		case "q_proj":
			p.b = w.Bq
		case "k_proj":
			p.b = w.Bk
		case "v_proj":
			p.b = w.Bv
		}
	}
	if lora != nil {
		p.ad = lora.Layers[l][name]
		p.scale = lora.Scale()
	}
	return p
}

func (t *Tape) proj(l int, name string) proj {
	return projOf(&t.m.Config, t.m, t.opt.LoRA, l, name)
}

// projectAll writes the projections ps of the n rows of x (all of the same
// input width) to ys, packing x once for all of them, and keeps x·Aᵀ in
// xa[name] for each adapted one. Training runs every product on the block
// kernel, whatever n is: a row's bits then depend only on its sequence,
// not on the micro-batch it was stacked in.
func projectAll(x []float32, n int, xa map[string][]float32, ps []proj, ys ...[]float32) {
	ls := make([]tensor.Linear, len(ps))
	for i, p := range ps {
		ls[i] = tensor.Linear{W: p.w, N: p.out, C: ys[i]}
	}
	tensor.MatMulTBlockMany(x, n, ps[0].in, ls...)
	for i, p := range ps {
		y := ys[i]
		if p.b != nil {
			addBias(y, p.b)
		}
		if p.ad != nil {
			r := len(p.ad.A) / p.in
			tensor.MatMulTBlock(xa[p.name], x, p.ad.A, n, r, p.in)
			sxa := make([]float32, n*r) // scale·x·Aᵀ, as the packed GEMM scales A
			for i, v := range xa[p.name] {
				sxa[i] = p.scale * v
			}
			tensor.MatMulTBlockMany(sxa, n, r, tensor.Linear{W: p.ad.B, N: p.out, C: y, Add: true})
		}
	}
}

// backward adds to dx the gradient flowing from dy back through the
// projection, and accumulates the gradients of its trainable parts into g
// (whose nil parts are frozen).
func (p proj) backward(x, dy, dx []float32, xa map[string][]float32, n int, g proj) {
	tensor.Gemm(false, false, n, p.in, p.out, 1, dy, p.out, p.w, p.in, 1, dx, p.in)
	if g.w != nil {
		tensor.Gemm(true, false, p.out, p.in, n, 1, dy, p.out, x, p.in, 1, g.w, p.in)
	}
	if g.b != nil {
		for r := range n {
			tensor.Add(g.b, dy[r*p.out:(r+1)*p.out])
		}
	}
	if p.ad == nil {
		return
	}
	r := len(p.ad.A) / p.in
	dxa := make([]float32, n*r)
	tensor.Gemm(false, false, n, r, p.out, p.scale, dy, p.out, p.ad.B, r, 0, dxa, r)
	if g.ad != nil {
		tensor.Gemm(true, false, p.out, r, n, p.scale, dy, p.out, xa[p.name], r, 1, g.ad.B, r)
		tensor.Gemm(true, false, r, p.in, n, 1, dxa, r, x, p.in, 1, g.ad.A, p.in)
	}
	tensor.Gemm(false, false, n, p.in, r, 1, dxa, r, p.ad.A, p.in, 1, dx, p.in)
}
