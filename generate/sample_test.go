package generate

import (
	"math"
	"slices"
	"testing"
)

// TestSamplerDistribution draws many tokens from fixed logits and compares
// the frequencies with the truncated, renormalised softmax they should follow.
func TestSamplerDistribution(t *testing.T) {
	logits := []float32{2, 1, 0.5, 0, -1, -3}
	full := func(temp float64) []float64 {
		p := make([]float64, len(logits))
		var s float64
		for i, z := range logits {
			p[i] = math.Exp(float64(z) / temp)
			s += p[i]
		}
		for i := range p {
			p[i] /= s
		}
		return p
	}
	keep := func(p []float64, n int) []float64 { // keep the n largest (logits are sorted)
		q := make([]float64, len(p))
		var s float64
		for i := range n {
			s += p[i]
		}
		for i := range n {
			q[i] = p[i] / s
		}
		return q
	}
	p1, p07 := full(1), full(0.7)
	cases := []struct {
		name string
		s    Sampling
		want []float64
	}{
		{"temperature 1", Sampling{Temperature: 1}, p1},
		{"temperature 0.7", Sampling{Temperature: 0.7}, p07},
		{"top-k 2", Sampling{Temperature: 1, TopK: 2}, keep(p1, 2)},
		// p1 ≈ .53 .20 .12 .07 .03 .003: mass .85 needs three tokens
		{"top-p 0.8", Sampling{Temperature: 1, TopP: 0.8}, keep(p1, 3)},
		{"top-k 4 top-p 0.99", Sampling{Temperature: 1, TopK: 4, TopP: 0.99}, keep(p1, 4)},
	}
	const n = 40000
	for _, tc := range cases {
		s := newSampler(tc.s, 0)
		counts := make([]float64, len(logits))
		for range n {
			id, lp := s.next(logits)
			counts[id]++
			if want := math.Log(full(tc.s.Temperature)[id]); math.Abs(lp-want) > 1e-6 {
				t.Fatalf("%s: logprob of %d = %v, want %v (untruncated)", tc.name, id, lp, want)
			}
		}
		for i, w := range tc.want {
			got := counts[i] / n
			if sd := math.Sqrt(w * (1 - w) / n); math.Abs(got-w) > 5*sd+1e-9 {
				t.Errorf("%s: token %d frequency %.4f, want %.4f", tc.name, i, got, w)
			}
		}
	}
}

func TestSeedReproducible(t *testing.T) {
	logits := []float32{0.1, 0.2, 0.3, 0.4, 0.5}
	draw := func(seed uint64, seq int) []int {
		s := newSampler(Sampling{Temperature: 1, Seed: seed}, seq)
		var ids []int
		for range 50 {
			id, _ := s.next(logits)
			ids = append(ids, id)
		}
		return ids
	}
	a, b, c := draw(1, 0), draw(1, 0), draw(2, 0)
	if !slices.Equal(a, b) {
		t.Error("same seed gave different draws")
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same 50 draws")
	}
}
