package bert

import (
	"fmt"
	"math"

	"research/tensor"
)

// Forward runs the encoder over a batch of token-id sequences and returns
// the last hidden states of all tokens packed row after row (sequence i
// occupies rows start[i]..start[i+1]) and the row starts. Sequences are
// not padded: each attends only to its own tokens, which is exactly what
// an attention mask over a padded batch computes, without the wasted rows.
func (m *Model) Forward(seqs [][]int) (hidden []float32, start []int, err error) {
	start = make([]int, len(seqs)+1)
	for i, s := range seqs {
		if len(s) == 0 || len(s) > m.MaxPositionEmbeddings {
			return nil, nil, fmt.Errorf("bert: sequence %d has %d tokens, want 1..%d", i, len(s), m.MaxPositionEmbeddings)
		}
		for _, id := range s {
			if id < 0 || id >= m.VocabSize {
				return nil, nil, fmt.Errorf("bert: sequence %d: token id %d outside the vocabulary (%d)", i, id, m.VocabSize)
			}
		}
		start[i+1] = start[i] + len(s)
	}
	T, H, I := start[len(seqs)], m.HiddenSize, m.IntermediateSize
	x := m.embed(seqs, start)
	q, k, v := make([]float32, T*H), make([]float32, T*H), make([]float32, T*H)
	ctx, tmp, inter := make([]float32, T*H), make([]float32, T*H), make([]float32, T*I)
	eps := float32(m.LayerNormEps)
	for _, l := range m.layers {
		l.q.apply(q, x, T)
		l.k.apply(k, x, T)
		l.v.apply(v, x, T)
		m.attention(ctx, q, k, v, start)
		l.attnOut.apply(tmp, ctx, T)
		tensor.Add(tmp, x)
		layerNorm(x, tmp, l.ln1w, l.ln1b, H, eps)
		l.inter.apply(inter, x, T)
		gelu(inter)
		l.out.apply(tmp, inter, T)
		tensor.Add(tmp, x)
		layerNorm(x, tmp, l.ln2w, l.ln2b, H, eps)
	}
	return x, start, nil
}

// embed sums word, position and token-type (all type 0) embeddings and
// normalizes them.
func (m *Model) embed(seqs [][]int, start []int) []float32 {
	H := m.HiddenSize
	x := make([]float32, start[len(seqs)]*H)
	for i, s := range seqs {
		for p, id := range s {
			row := x[(start[i]+p)*H : (start[i]+p+1)*H]
			w, pe, te := m.wordEmb[id*H:], m.posEmb[p*H:], m.typeEmb[:H]
			for j := range row {
				row[j] = w[j] + te[j] + pe[j]
			}
		}
	}
	layerNorm(x, x, m.embLnW, m.embLnB, H, float32(m.LayerNormEps))
	return x
}

// apply sets out (rows×out) = x·Wᵀ + b.
func (l linear) apply(out, x []float32, rows int) {
	tensor.MatMulT(out, x, l.w, rows, l.out, l.in)
	tensor.Parallel(rows, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			tensor.Add(out[r*l.out:(r+1)*l.out], l.b)
		}
	})
}

// attention computes softmax(q·kᵀ/√d)·v per sequence and head into ctx,
// as two matrix products over the head's strided columns; each product
// spreads over the cores.
func (m *Model) attention(ctx, q, k, v []float32, start []int) {
	H, nh := m.HiddenSize, m.NumAttentionHeads
	hd := H / nh
	scale := float32(1 / math.Sqrt(float64(hd)))
	var scores []float32
	for s := range len(start) - 1 {
		L := start[s+1] - start[s]
		scores = append(scores[:0], make([]float32, L*L)...)
		for h := range nh {
			off := start[s]*H + h*hd
			tensor.Gemm(false, true, L, L, hd, scale, q[off:], H, k[off:], H, 0, scores, L)
			tensor.Parallel(L, 32, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					tensor.Softmax(scores[i*L : (i+1)*L])
				}
			})
			tensor.Gemm(false, false, L, hd, L, 1, scores, L, v[off:], H, 0, ctx[off:], H)
		}
	}
}

// layerNorm sets out = (x − mean)/√(var + eps)·w + b per row of width n;
// out may alias x. Statistics accumulate in float64.
func layerNorm(out, x, w, b []float32, n int, eps float32) {
	rows := len(x) / n
	tensor.Parallel(rows, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, or := x[r*n:(r+1)*n], out[r*n:(r+1)*n]
			var sum float64
			for _, v := range xr {
				sum += float64(v)
			}
			mean := sum / float64(n)
			var ss float64
			for _, v := range xr {
				d := float64(v) - mean
				ss += d * d
			}
			inv := 1 / math.Sqrt(ss/float64(n)+float64(eps))
			for j, v := range xr {
				or[j] = float32((float64(v)-mean)*inv)*w[j] + b[j]
			}
		}
	})
}

// gelu applies the exact GELU, x·Φ(x) = x/2·(1 + erf(x/√2)), in place.
func gelu(x []float32) {
	tensor.Parallel(len(x), 4096, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			x[i] = float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
		}
	})
}
