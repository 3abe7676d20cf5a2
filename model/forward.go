package model

import (
	"fmt"

	"research/tensor"
)

// KVCache holds one sequence's keys and values, per layer, for every position
// fed so far: K[l][pos·kvDim : (pos+1)·kvDim], keys already rotated.
type KVCache struct {
	K, V [][]float32
	Len  int // positions held
}

// MaxContext is the positions the model was built for
// (max_position_embeddings); generation must not go past them.
func (m *Model) MaxContext() int { return m.Config.MaxPositions }

// NewCache returns an empty cache with room for capacity positions before it
// needs to grow.
func (m *Model) NewCache(capacity int) *KVCache {
	c := &KVCache{K: make([][]float32, m.Config.NumLayers), V: make([][]float32, m.Config.NumLayers)}
	for l := range c.K {
		c.K[l] = make([]float32, 0, capacity*m.Config.KVDim())
		c.V[l] = make([]float32, 0, capacity*m.Config.KVDim())
	}
	return c
}

// Truncate forgets every position from n on, so a sequence can be rewound
// (for example to retry from a common prefix).
func (c *KVCache) Truncate(n int) {
	if n < 0 || n >= c.Len {
		return
	}
	kvDim := len(c.K[0]) / c.Len
	for l := range c.K {
		c.K[l] = c.K[l][:n*kvDim]
		c.V[l] = c.V[l][:n*kvDim]
	}
	c.Len = n
}

// Input is one sequence's part of a batched forward: the new tokens to feed
// after what its cache already holds.
type Input struct {
	Cache     *KVCache
	Tokens    []int
	AllLogits bool // return logits for every new token, not just the last
	NoLogits  bool // only feed the tokens: no logits (nil) for this input
}

// Forward feeds every input's tokens through the model at once — prompts
// being prefilled and sequences decoding one token can share a call — and
// appends their keys and values to their caches. For each input it returns
// the logits of its last token ([vocab]), with AllLogits of all its new
// tokens ([len(Tokens)·vocab]), or with NoLogits nil. A batch it refuses leaves every cache as it was.
//
// An input's logits and cache depend only on the input — its tokens, its
// cache and its flags — never on the other inputs of the call, to the bit:
// batch invariance, so that what a sequence samples does not depend on
// which sequences a continuous-batching engine happened to step with it.
// Norms, RoPE, attention and activations work row by row or sequence by
// sequence; the products by weight matrices, which stack every row, run on
// tensor's two batch-invariant kernels, each row on the one its input's role
// picks: the rows of decode inputs (one token in, its next-token logits out:
// neither AllLogits nor NoLogits) on the rows kernel (tensor.MatMulTRows),
// every other row (prefill chunks, scoring) on the block kernel
// (tensor.MatMulTBlock); in the LM head, the next-token rows on the rows
// kernel and the rows of AllLogits inputs on the block kernel. Decode inputs
// are put first, so that each product is one call per kernel.
func (m *Model) Forward(batch []Input) ([][]float32, error) {
	order, dec := decodeFirst(batch)
	sorted := make([]Input, len(batch))
	for k, i := range order {
		sorted[k] = batch[i]
	}
	rows, err := m.layout(sorted, order)
	if err != nil {
		return nil, err
	}
	c := &m.Config
	h := c.HiddenSize
	x := make([]float32, len(rows)*h)
	for r, row := range rows {
		if m.EmbedBF16 != nil {
			m.EmbedBF16.WidenRow(x[r*h:(r+1)*h], row.token)
			continue
		}
		copy(x[r*h:(r+1)*h], m.Embed[row.token*h:(row.token+1)*h])
	}
	ropes := m.ropeTables(rows)
	s := newScratch(c, len(rows))
	for l := range m.Layers {
		m.attentionBlock(l, x, rows, dec, sorted, ropes, s)
		m.mlpBlock(l, x, len(rows), dec, s)
	}
	for _, in := range sorted {
		in.Cache.Len += len(in.Tokens)
	}
	logits := m.logits(x, sorted)
	out := make([][]float32, len(batch))
	for k, i := range order {
		out[i] = logits[k]
	}
	return out, nil
}

// isDecode reports whether in is a decode step: one token in, its
// next-token logits out.
func isDecode(in Input) bool {
	return len(in.Tokens) == 1 && !in.AllLogits && !in.NoLogits
}

// decodeFirst returns the order in which Forward stacks the inputs — the
// decode steps first, then the rest, each in batch order — and the number
// of decode steps, which is also the number of rows they lead with.
func decodeFirst(batch []Input) (order []int, dec int) {
	order = make([]int, 0, len(batch))
	for i, in := range batch {
		if isDecode(in) {
			order = append(order, i)
		}
	}
	dec = len(order)
	for i, in := range batch {
		if !isDecode(in) {
			order = append(order, i)
		}
	}
	return order, dec
}

// project computes the products ls of the n rows of a (k wide): the first
// dec rows, those of decode steps, with the rows kernel, the others with
// the block kernel (see Forward). Weights in BF16 (Linear.WB) take the same
// kernels, so the choice, and batch invariance, do not depend on the dtype.
func project(dec int, a []float32, n, k int, ls ...tensor.Linear) {
	head := make([]tensor.Linear, len(ls))
	tail := make([]tensor.Linear, len(ls))
	for i, l := range ls {
		head[i] = tensor.Linear{W: l.W, WB: l.WB, N: l.N, C: l.C[:dec*l.N], Add: l.Add}
		tail[i] = tensor.Linear{W: l.W, WB: l.WB, N: l.N, C: l.C[dec*l.N : n*l.N], Add: l.Add}
	}
	tensor.MatMulTRowsMany(a[:dec*k], dec, k, head...)
	tensor.MatMulTBlockMany(a[dec*k:n*k], n-dec, k, tail...)
}

// row is one token of the flattened batch.
type row struct {
	seq, token, pos int
}

// layout flattens batch into rows; index[i] is input i's place in the
// caller's batch, which errors name.
func (m *Model) layout(batch []Input, index []int) ([]row, error) {
	var rows []row
	seen := map[*KVCache]bool{}
	for k, in := range batch {
		i := index[k]
		if in.Cache == nil {
			return nil, fmt.Errorf("forward: sequence %d: nil cache", i)
		}
		if len(in.Cache.K) != m.Config.NumLayers || len(in.Cache.K[0]) != in.Cache.Len*m.Config.KVDim() {
			return nil, fmt.Errorf("forward: sequence %d: cache does not fit this model (%d layers, %d positions)", i, len(in.Cache.K), in.Cache.Len)
		}
		if seen[in.Cache] {
			return nil, fmt.Errorf("forward: sequence %d: cache shared with another sequence of the batch", i)
		}
		seen[in.Cache] = true
		if len(in.Tokens) == 0 {
			return nil, fmt.Errorf("forward: sequence %d: no tokens", i)
		}
		for j, t := range in.Tokens {
			if t < 0 || t >= m.Config.VocabSize {
				return nil, fmt.Errorf("forward: sequence %d, token %d: id %d outside the vocabulary [0, %d)", i, j, t, m.Config.VocabSize)
			}
			rows = append(rows, row{seq: k, token: t, pos: in.Cache.Len + j})
		}
	}
	return rows, nil
}

// ropeTables computes each row's rotary cos/sin once per call; every layer
// reuses them.
func (m *Model) ropeTables(rows []row) (cs []float32) {
	half := m.Config.HeadDim / 2
	cs = make([]float32, 2*half*len(rows))
	for r, row := range rows {
		t := cs[2*half*r:]
		tensor.RopeAngles(t[:half], t[half:2*half], row.pos, m.Config.HeadDim, m.Config.RopeTheta)
	}
	return cs
}

// scratch holds one forward call's activations, reused across layers.
type scratch struct {
	norm, q, k, v, att, gate, up []float32
}

func newScratch(c *Config, n int) *scratch {
	return &scratch{
		norm: make([]float32, n*c.HiddenSize),
		q:    make([]float32, n*c.QDim()),
		k:    make([]float32, n*c.KVDim()),
		v:    make([]float32, n*c.KVDim()),
		att:  make([]float32, n*c.QDim()),
		gate: make([]float32, n*c.IntermediateSize),
		up:   make([]float32, n*c.IntermediateSize),
	}
}

// rmsNormRows normalises each h-wide row of x into out.
func rmsNormRows(out, x, w []float32, h int, eps float64) {
	tensor.Parallel(len(x)/h, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			tensor.RMSNorm(out[r*h:(r+1)*h], x[r*h:(r+1)*h], w, float32(eps))
		}
	})
}

// addBias adds bias to every row of x.
func addBias(x, bias []float32) {
	for r := 0; r < len(x); r += len(bias) {
		tensor.Add(x[r:r+len(bias)], bias)
	}
}

// attentionBlock adds the attention sub-layer's output to x.
// Its first dec rows are decode steps' (see Forward).
func (m *Model) attentionBlock(l int, x []float32, rows []row, dec int, batch []Input, ropes []float32, s *scratch) {
	c, w := &m.Config, &m.Layers[l]
	n, h, qd, kvd, hd := len(rows), c.HiddenSize, c.QDim(), c.KVDim(), c.HeadDim
	rmsNormRows(s.norm, x, w.AttnNorm, h, c.RMSNormEps)
	project(dec, s.norm, n, h, tensor.Linear{W: w.Wq, WB: w.BF16.Wq, N: qd, C: s.q},
		tensor.Linear{W: w.Wk, WB: w.BF16.Wk, N: kvd, C: s.k}, tensor.Linear{W: w.Wv, WB: w.BF16.Wv, N: kvd, C: s.v})
	addBias(s.q, w.Bq)
	addBias(s.k, w.Bk)
	addBias(s.v, w.Bv)
	half := hd / 2
	for r := range rows {
		cos, sin := ropes[2*half*r:2*half*r+half], ropes[2*half*r+half:2*half*(r+1)]
		for hh := range c.NumHeads {
			tensor.Rope(s.q[r*qd+hh*hd:r*qd+(hh+1)*hd], cos, sin)
		}
		for hh := range c.NumKVHeads {
			tensor.Rope(s.k[r*kvd+hh*hd:r*kvd+(hh+1)*hd], cos, sin)
		}
	}
	// Append the new keys and values; rows of one sequence are contiguous.
	start := make([]int, len(batch)) // first row of each sequence
	r := 0
	for i, in := range batch {
		start[i] = r
		cache := in.Cache
		cache.K[l] = append(cache.K[l], s.k[r*kvd:(r+len(in.Tokens))*kvd]...)
		cache.V[l] = append(cache.V[l], s.v[r*kvd:(r+len(in.Tokens))*kvd]...)
		r += len(in.Tokens)
	}
	attend(c, l, s.q, s.att, rows, batch, start)
	project(dec, s.att, n, qd, tensor.Linear{W: w.Wo, WB: w.BF16.Wo, N: h, C: x, Add: true})
}

// mlpBlock adds the SwiGLU MLP sub-layer's output to x, whose first dec
// rows are decode steps' (see Forward).
func (m *Model) mlpBlock(l int, x []float32, n, dec int, s *scratch) {
	c, w := &m.Config, &m.Layers[l]
	h, f := c.HiddenSize, c.IntermediateSize
	rmsNormRows(s.norm, x, w.MLPNorm, h, c.RMSNormEps)
	project(dec, s.norm, n, h, tensor.Linear{W: w.Wgate, WB: w.BF16.Wgate, N: f, C: s.gate}, tensor.Linear{W: w.Wup, WB: w.BF16.Wup, N: f, C: s.up})
	tensor.SwiGLU(s.gate, s.gate, s.up)
	project(dec, s.gate, n, f, tensor.Linear{W: w.Wdown, WB: w.BF16.Wdown, N: h, C: x, Add: true})
}

// logits applies the final norm and the LM head to the rows the caller asked
// for: each sequence's last row, or all of them. The next-token rows go
// through the rows kernel, the rows of AllLogits inputs through the block
// kernel (see Forward).
func (m *Model) logits(x []float32, batch []Input) [][]float32 {
	c := &m.Config
	h, v := c.HiddenSize, c.VocabSize
	first := make([]int, len(batch)) // each input's first row
	r := 0
	for b, in := range batch {
		first[b] = r
		r += len(in.Tokens)
	}
	var pick []int                // next-token rows, then AllLogits rows
	at := make([]int, len(batch)) // where each input's rows start in pick
	next := 0
	for _, all := range []bool{false, true} {
		for b, in := range batch {
			if in.NoLogits || in.AllLogits != all {
				continue
			}
			at[b] = len(pick)
			end := first[b] + len(in.Tokens)
			lo := end - 1
			if all {
				lo = first[b]
			}
			for i := lo; i < end; i++ {
				pick = append(pick, i)
			}
		}
		if !all {
			next = len(pick)
		}
	}
	sel := make([]float32, len(pick)*h)
	for i, p := range pick {
		tensor.RMSNorm(sel[i*h:(i+1)*h], x[p*h:(p+1)*h], m.Norm, float32(c.RMSNormEps))
	}
	all := make([]float32, len(pick)*v)
	tensor.MatMulTRowsMany(sel[:next*h], next, h, tensor.Linear{W: m.LMHead, WB: m.LMHeadBF16, N: v, C: all[:next*v]})
	tensor.MatMulTBlockMany(sel[next*h:], len(pick)-next, h, tensor.Linear{W: m.LMHead, WB: m.LMHeadBF16, N: v, C: all[next*v:]})
	out := make([][]float32, len(batch))
	for b, in := range batch {
		k := 1
		switch {
		case in.NoLogits:
			continue
		case in.AllLogits:
			k = len(in.Tokens)
		}
		out[b] = all[at[b]*v : (at[b]+k)*v : (at[b]+k)*v]
	}
	return out
}
