package model

import (
	"fmt"
	"math"
)

// scoreChunk bounds the positions fed per sequence per forward while
// scoring, so logits for a long sequence are never all in memory at once.
const scoreChunk = 256

// Logprobs returns, for every sequence and every position t ≥ from[i] (t ≥ 1),
// log p(seq[t] | seq[:t]) under softmax(logits / temperature): how a trainer
// scores the tokens a policy sampled. All sequences advance together, a chunk
// of positions at a time, so memory stays bounded for long sequences.
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
	}
	v := m.Config.VocabSize
	for {
		var batch []Input
		var which []int
		for i, s := range seqs {
			// Feed up to the last position that predicts a scored token.
			done := caches[i].Len
			if done >= len(s)-1 {
				continue
			}
			batch = append(batch, Input{Cache: caches[i], Tokens: s[done:min(len(s)-1, done+scoreChunk)], AllLogits: true})
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
			start := caches[i].Len - len(batch[b].Tokens) // position of the first fed token
			for r := range batch[b].Tokens {
				t := start + r + 1 // the token this row predicts
				if t < from[i] {
					continue
				}
				row := logits[b][r*v : (r+1)*v]
				out[i] = append(out[i], logSoftmaxAt(row, seqs[i][t], temperature))
			}
		}
	}
}

// logSoftmaxAt returns log softmax(row / temperature)[id] in float64.
func logSoftmaxAt(row []float32, id int, temperature float64) float64 {
	mx := float64(row[0])
	for _, z := range row[1:] {
		mx = max(mx, float64(z))
	}
	var sum float64
	for _, z := range row {
		sum += math.Exp((float64(z) - mx) / temperature)
	}
	return (float64(row[id])-mx)/temperature - math.Log(sum)
}
