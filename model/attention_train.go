package model

import (
	"math"

	"research/tensor"
)

// attnBlock is the number of query rows whose scores are held at once in
// the training attention: memory is attnBlock × sequence length per head,
// never the whole square.
const attnBlock = 128

// attnHead is one (sequence, head) of a training attention: rows
// start..start+n-1 attend causally among themselves.
type attnHead struct {
	start, n, head int
}

// attnHeads lists every (sequence, query head), a sequence's heads in
// order, so the heads sharing a key-value head are consecutive.
func (t *Tape) attnHeads() []attnHead {
	var hs []attnHead
	for _, s := range t.seqs {
		for h := range t.m.Config.NumHeads {
			if s.n > 0 {
				hs = append(hs, attnHead{s.start, s.n, h})
			}
		}
	}
	return hs
}

// attentionForward computes causal attention of a.q over a.k, a.v into
// a.att, keeping each row's log-sum-exp per head in a.lse so backward can
// rebuild the probabilities block by block.
func (t *Tape) attentionForward(a *layerActs) {
	c := &t.m.Config
	qd, kvd, hd := c.QDim(), c.KVDim(), c.HeadDim
	group := c.NumHeads / c.NumKVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	heads := t.attnHeads()
	// Heads write disjoint columns of a.att and a.lse, so they run in
	// parallel: one head's small GEMMs cannot keep every core busy.
	tensor.Parallel(len(heads), 1, func(lo, hi int) {
		for _, ah := range heads[lo:hi] {
			kv := ah.start*kvd + (ah.head/group)*hd
			s := make([]float32, min(ah.n, attnBlock)*ah.n)
			for i0 := 0; i0 < ah.n; i0 += attnBlock {
				rows := min(attnBlock, ah.n-i0)
				ctx := i0 + rows
				qo := (ah.start+i0)*qd + ah.head*hd
				tensor.Gemm(false, true, rows, ctx, hd, scale, a.q[qo:], qd, a.k[kv:], kvd, 0, s, ctx)
				tensor.Parallel(rows, 16, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						row, seen := s[i*ctx:(i+1)*ctx], i0+i+1
						a.lse[(ah.start+i0+i)*c.NumHeads+ah.head] = softmaxLSE(row[:seen])
						clear(row[seen:])
					}
				})
				tensor.Gemm(false, false, rows, hd, ctx, 1, s, ctx, a.v[kv:], kvd, 0, a.att[qo:], qd)
			}
		}
	})
}

// softmaxLSE replaces x by softmax(x) and returns log Σ exp(x).
func softmaxLSE(x []float32) float32 {
	mx := tensor.Max(x)
	sum := tensor.ExpShiftSum(x, mx)
	tensor.Scale(float32(1/sum), x)
	return mx + float32(math.Log(sum))
}

// attentionBackward turns datt, the gradient of a.att, into the gradients
// of the rotated queries, keys and values (dk and dv are accumulated over
// the heads of a group, so they must start zeroed). Per block of rows it
// recomputes P = exp(S − lse), then
//
//	dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O)),  dQ = scale·dS·K,
//	dK += scale·dSᵀ·Q,  dV += Pᵀ·dO.
func (t *Tape) attentionBackward(a *layerActs, datt, dq, dk, dv []float32) {
	c := &t.m.Config
	qd, kvd, hd := c.QDim(), c.KVDim(), c.HeadDim
	group := c.NumHeads / c.NumKVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	heads := t.attnHeads()
	// The query heads of one key-value head accumulate into the same dk and
	// dv, so the parallel units are groups of them: attnHeads lists a
	// sequence's heads in order, group by group.
	tensor.Parallel(len(heads)/group, 1, func(lo, hi int) {
		for _, ah := range heads[lo*group : hi*group] {
			kv := ah.start*kvd + (ah.head/group)*hd
			p := make([]float32, min(ah.n, attnBlock)*ah.n)
			ds := make([]float32, len(p))
			for i0 := 0; i0 < ah.n; i0 += attnBlock {
				rows := min(attnBlock, ah.n-i0)
				ctx := i0 + rows
				qo := (ah.start+i0)*qd + ah.head*hd
				tensor.Gemm(false, true, rows, ctx, hd, scale, a.q[qo:], qd, a.k[kv:], kvd, 0, p, ctx)
				tensor.Gemm(false, true, rows, ctx, hd, 1, datt[qo:], qd, a.v[kv:], kvd, 0, ds, ctx)
				tensor.Parallel(rows, 16, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						r := ah.start + i0 + i
						prow, drow, seen := p[i*ctx:(i+1)*ctx], ds[i*ctx:(i+1)*ctx], i0+i+1
						lse := a.lse[r*c.NumHeads+ah.head]
						tensor.ExpShiftSum(prow[:seen], lse)
						clear(prow[seen:])
						d := tensor.Dot(datt[r*qd+ah.head*hd:r*qd+(ah.head+1)*hd], a.att[r*qd+ah.head*hd:r*qd+(ah.head+1)*hd])
						for j := range seen {
							drow[j] = prow[j] * (drow[j] - d)
						}
						clear(drow[seen:])
					}
				})
				tensor.Gemm(false, false, rows, hd, ctx, scale, ds, ctx, a.k[kv:], kvd, 0, dq[qo:], qd)
				tensor.Gemm(true, false, ctx, hd, rows, scale, ds, ctx, a.q[qo:], qd, 1, dk[kv:], kvd)
				tensor.Gemm(true, false, ctx, hd, rows, 1, p, ctx, datt[qo:], qd, 1, dv[kv:], kvd)
			}
		}
	})
}
