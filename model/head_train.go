package model

import (
	"math"
	"slices"

	"research/tensor"
)

// headChunkValues bounds the logits in memory at once (128 MiB): logits of
// a long sequence over a large vocabulary never are all held, yet chunks
// stay tall enough for the LM head's GEMMs to run at full speed. A variable
// so tests can make chunks small.
var headChunkValues = 1 << 25

// keepLogitsValues bounds the logits a tape keeps from forward to backward
// (1 GiB): below it backward reuses them instead of computing them again.
// A variable so tests can take both paths.
var keepLogitsValues = 1 << 28

// headChunk is the number of scored rows per chunk of logits.
func (t *Tape) headChunk() int {
	return min(1024, max(64, headChunkValues/t.m.Config.VocabSize))
}

// headForward applies the final norm to the scored rows and, chunk by chunk,
// the LM head, returning each scored token's logprob and entropy.
func (t *Tape) headForward() (logp, entropy []float64) {
	c := &t.m.Config
	h, k := c.HiddenSize, len(t.scored)
	t.xF, t.nF, t.rstdF = make([]float32, k*h), make([]float32, k*h), make([]float32, k)
	for i, r := range t.scored {
		copy(t.xF[i*h:(i+1)*h], t.last[r*h:(r+1)*h])
	}
	t.last = nil
	rmsNormTrain(t.nF, t.rstdF, t.xF, t.m.Norm, c.RMSNormEps)
	logp, entropy = make([]float64, k), make([]float64, k)
	keep := k*c.VocabSize <= keepLogitsValues
	t.headChunks(func(lo, hi int, logits []float32) {
		t.rowsOfChunk(lo, hi, logits, func(i int, z, e []float32) {
			logp[i], entropy[i], _ = logSoftmaxStats(z, e, t.targets[i], t.opt.Temperature)
		})
		if keep {
			t.logits = append(t.logits, slices.Clone(logits))
		}
	})
	return logp, entropy
}

// headBackward recomputes the logits chunk by chunk, turns the weights on
// each scored token's logprob and entropy into the gradient of its logits,
// and returns the gradient of the final-norm output; the LM head's gradient
// goes to gW (nil when frozen).
func (t *Tape) headBackward(dLogp, dEntropy []float64, gW []float32) []float32 {
	c := &t.m.Config
	h, v := c.HiddenSize, c.VocabSize
	dnF := make([]float32, len(t.scored)*h)
	temp := t.opt.Temperature
	// Kept logits are already scaled and shifted; shifting again is a no-op.
	statsTemp := temp
	if t.logits != nil {
		statsTemp = 1
	}
	t.headChunks(func(lo, hi int, logits []float32) {
		t.rowsOfChunk(lo, hi, logits, func(i int, z, e []float32) {
			_, ent, logS := logSoftmaxStats(z, e, t.targets[i], statsTemp)
			// z holds the shifted, scaled logits and e their exponentials.
			gl, gh := dLogp[i], dEntropy[i]
			invS := math.Exp(-logS)
			for j := range z {
				p := float64(e[j]) * invS
				dz := -gl*p - gh*p*(float64(z[j])-logS+ent)
				z[j] = float32(dz / temp)
			}
			z[t.targets[i]] += float32(gl / temp)
		})
		n := hi - lo
		tensor.Gemm(false, false, n, h, v, 1, logits, v, t.m.LMHead, h, 0, dnF[lo*h:], h)
		if gW != nil {
			tensor.Gemm(true, false, v, h, n, 1, logits, v, t.nF[lo*h:], h, 1, gW, h)
		}
	})
	return dnF
}

// headChunks calls fn with the logits of each chunk of scored rows: the
// ones the forward kept, or computed afresh.
func (t *Tape) headChunks(fn func(lo, hi int, logits []float32)) {
	h, v := t.m.Config.HiddenSize, t.m.Config.VocabSize
	chunk := t.headChunk()
	kept := t.logits
	var logits []float32
	if kept == nil {
		logits = make([]float32, min(chunk, len(t.scored))*v)
	}
	for c, lo := 0, 0; lo < len(t.scored); c, lo = c+1, lo+chunk {
		hi := min(lo+chunk, len(t.scored))
		if kept != nil {
			fn(lo, hi, kept[c])
			continue
		}
		tensor.MatMulTBlock(logits, t.nF[lo*h:hi*h], t.m.LMHead, hi-lo, v, h)
		fn(lo, hi, logits[:(hi-lo)*v])
	}
}

// rowsOfChunk calls fn for each scored row lo..hi-1 in parallel with its
// logits and a scratch row of the same width.
func (t *Tape) rowsOfChunk(lo, hi int, logits []float32, fn func(i int, z, e []float32)) {
	v := t.m.Config.VocabSize
	tensor.Parallel(hi-lo, 1, func(a, b int) {
		e := make([]float32, v)
		for i := a; i < b; i++ {
			fn(lo+i, logits[i*v:(i+1)*v], e)
		}
	})
}

// logSoftmaxStats scales z by 1/temperature and shifts it by its maximum in
// place, writes exp(z) to e, and returns log p(target), the entropy, and
// log Σ exp(z) of the shifted row.
func logSoftmaxStats(z, e []float32, target int, temperature float64) (logp, entropy, logS float64) {
	tensor.Scale(float32(1/temperature), z)
	mx := tensor.Max(z)
	for j := range z {
		z[j] -= mx
	}
	copy(e, z)
	tensor.ExpInPlace(e)
	var sum, dot float64
	for j, ej := range e {
		sum += float64(ej)
		dot += float64(ej) * float64(z[j])
	}
	logS = math.Log(sum)
	return float64(z[target]) - logS, logS - dot/sum, logS
}
