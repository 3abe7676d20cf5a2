package model

import (
	"math"

	"research/tensor"
)

// gemmAttention is the number of new tokens from which a sequence's
// attention runs as two GEMMs per head instead of one dot product per
// (query, key): prefill chunks take the GEMM route, decode steps the other.
const gemmAttention = 16

// attend computes causal softmax attention for every new row and head into
// out: each query sees the keys of its own sequence up to its own position.
// start[i] is the first row of sequence i.
func attend(c *Config, l int, q, out []float32, rows []row, batch []Input, start []int) {
	var few []int // rows attended one by one
	for i, in := range batch {
		if len(in.Tokens) >= gemmAttention {
			attendGemm(c, l, q, out, in, start[i], rows[start[i]].pos)
			continue
		}
		for r := start[i]; r < start[i]+len(in.Tokens); r++ {
			few = append(few, r)
		}
	}
	attendDots(c, l, q, out, rows, batch, few)
}

// attendGemm handles one sequence's n new rows, first at position pos0:
// per head and per block of rows, S = Q·Kᵀ over the cached positions the
// block can see (so the causal upper triangle is mostly skipped), a causal
// softmax by rows, then O = S·V. Keys and values of head group g are the
// columns [g·headDim, (g+1)·headDim) of the cache rows, read in place.
func attendGemm(c *Config, l int, q, out []float32, in Input, first, pos0 int) {
	const block = 128
	qd, kvd, hd := c.QDim(), c.KVDim(), c.HeadDim
	group := c.NumHeads / c.NumKVHeads
	n := len(in.Tokens)
	keys, vals := in.Cache.K[l], in.Cache.V[l]
	scale := float32(1 / math.Sqrt(float64(hd)))
	s := make([]float32, min(n, block)*(pos0+n))
	for i0 := 0; i0 < n; i0 += block {
		rows := min(block, n-i0)
		ctx := pos0 + i0 + rows // keys the last row of the block sees
		for h := range c.NumHeads {
			kvOff := (h / group) * hd
			qh := q[(first+i0)*qd+h*hd:]
			tensor.Gemm(false, true, rows, ctx, hd, scale, qh, qd, keys[kvOff:], kvd, 0, s, ctx)
			tensor.Parallel(rows, 16, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					row := s[i*ctx : (i+1)*ctx]
					seen := pos0 + i0 + i + 1
					tensor.Softmax(row[:seen])
					clear(row[seen:])
				}
			})
			tensor.Gemm(false, false, rows, hd, ctx, 1, s, ctx, vals[kvOff:], kvd, 0, out[(first+i0)*qd+h*hd:], qd)
		}
	}
}

// attendDots handles the listed rows one (row, head) at a time, in parallel.
func attendDots(c *Config, l int, q, out []float32, rows []row, batch []Input, which []int) {
	qd, kvd, hd := c.QDim(), c.KVDim(), c.HeadDim
	group := c.NumHeads / c.NumKVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	tensor.Parallel(len(which)*c.NumHeads, 8, func(lo, hi int) {
		var scores []float32
		for t := lo; t < hi; t++ {
			r, head := which[t/c.NumHeads], t%c.NumHeads
			cache := batch[rows[r].seq].Cache
			keys, vals := cache.K[l], cache.V[l]
			qv := q[r*qd+head*hd : r*qd+(head+1)*hd]
			kvOff := (head / group) * hd
			n := rows[r].pos + 1
			if cap(scores) < n {
				scores = make([]float32, n, 2*n)
			}
			scores = scores[:n]
			tensor.Scores(scores, qv, keys[kvOff:], kvd, scale)
			tensor.Softmax(scores)
			tensor.WeightedSum(out[r*qd+head*hd:r*qd+(head+1)*hd], scores, vals[kvOff:], kvd)
		}
	})
}
