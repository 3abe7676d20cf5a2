package model

import (
	"fmt"
	"math"

	"research/tensor"
)

// scoreChunk bounds the positions fed per sequence per forward while
// scoring, so logits for a long sequence are never all in memory at once.
const scoreChunk = 256

// Logprobs returns, for every sequence and every position t ≥ from[i] (t ≥ 1),
// log p(seq[t] | seq[:t]) under softmax(logits / temperature): how a trainer
// scores the tokens a policy sampled. All sequences advance together, a chunk
// of positions at a time, so memory stays bounded for long sequences. The
// log-softmax is the training forward's, so both score alike.
func (m *Model) Logprobs(seqs [][]int, from []int, temperature float64) ([][]float64, error) {
	if len(from) != len(seqs) {
		return nil, fmt.Errorf("logprobs: %d sequences but %d start positions", len(seqs), len(from))
	}
	if !(temperature > 0) || math.IsInf(temperature, 0) {
		return nil, fmt.Errorf("logprobs: temperature %g: want a finite value > 0", temperature)
	}
	out := make([][]float64, len(seqs))
	caches := make([]*KVCache, len(seqs))
	for i, s := range seqs {
		if from[i] < 1 || from[i] > len(s) {
			return nil, fmt.Errorf("logprobs: sequence %d: start %d outside [1, %d]", i, from[i], len(s))
		}
		caches[i] = m.NewCache(len(s))
		out[i] = make([]float64, len(s)-from[i])
	}
	v := m.Config.VocabSize
	for {
		var batch []Input
		var which []int
		for i, s := range seqs {
			// Feed up to the last position that predicts a scored token;
			// positions before from[i]-1 predict none and need no logits.
			done := caches[i].Len
			if done >= len(s)-1 {
				continue
			}
			in := Input{Cache: caches[i], Tokens: s[done:min(len(s)-1, done+scoreChunk)], AllLogits: true}
			if unscored := from[i] - 1; done < unscored {
				in = Input{Cache: caches[i], Tokens: s[done:min(unscored, done+scoreChunk)], NoLogits: true}
			}
			batch = append(batch, in)
			which = append(which, i)
		}
		if len(batch) == 0 {
			return out, nil
		}
		logits, err := m.Forward(batch)
		if err != nil {
			return nil, fmt.Errorf("logprobs: %w", err)
		}
		for b, i := range which {
			if batch[b].NoLogits {
				continue
			}
			start := caches[i].Len - len(batch[b].Tokens) // position of the first fed token
			tensor.Parallel(len(batch[b].Tokens), 16, func(lo, hi int) {
				e := make([]float32, v)
				for r := lo; r < hi; r++ {
					t := start + r + 1 // the token this row predicts
					if t >= from[i] {
						out[i][t-from[i]], _, _ = logSoftmaxStats(logits[b][r*v:(r+1)*v], e, seqs[i][t], temperature)
					}
				}
			})
		}
	}
}
