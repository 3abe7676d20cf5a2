package generate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"research/tensor"
)

// Sampling chooses how the next token is drawn from the logits.
type Sampling struct {
	Temperature float64 // 0 means greedy (argmax)
	TopK        int     // keep the k most likely tokens; 0 keeps all
	TopP        float64 // keep the smallest set of tokens with mass ≥ TopP; 0 or 1 keeps all
	Seed        uint64  // sequence i draws from PCG(Seed, i): results do not depend on batching
}

func (s Sampling) validate() error {
	switch {
	case s.Temperature < 0 || math.IsNaN(s.Temperature) || math.IsInf(s.Temperature, 0):
		return fmt.Errorf("temperature %g: want a finite value ≥ 0", s.Temperature)
	case s.TopK < 0:
		return fmt.Errorf("top-k %d: want ≥ 0", s.TopK)
	case !(s.TopP >= 0 && s.TopP <= 1):
		return fmt.Errorf("top-p %g: want a value in [0, 1]", s.TopP)
	}
	return nil
}

// sampler draws tokens for one sequence.
type sampler struct {
	Sampling
	rng  *rand.Rand
	w    []float32 // e^((logit - max) / T): unnormalised probabilities
	cand []int
}

func newSampler(s Sampling, seq int) *sampler {
	return &sampler{Sampling: s, rng: rand.New(rand.NewPCG(s.Seed, uint64(seq)))}
}

// next picks a token from logits and returns it with its log-probability
// under softmax(logits / T), T = 1 when greedy.
func (s *sampler) next(logits []float32) (int, float64) {
	t := s.Temperature
	var id int
	if t == 0 {
		id, t = argmax(logits), 1
	}
	mass, mx := s.weigh(logits, t)
	if s.Temperature > 0 {
		id = s.draw(s.w, mass)
	}
	return id, (float64(logits[id])-mx)/t - math.Log(mass)
}

// weigh fills s.w with e^((logit - max) / t), using the vectorised float32
// exp (relative error ~1e-7), and returns their sum and the max logit.
func (s *sampler) weigh(logits []float32, t float64) (mass, mx float64) {
	if cap(s.w) < len(logits) {
		s.w = make([]float32, len(logits))
	}
	w := s.w[:len(logits)]
	mx = float64(logits[argmax(logits)])
	for i, z := range logits {
		w[i] = float32((float64(z) - mx) / t)
	}
	tensor.ExpInPlace(w)
	for _, v := range w {
		mass += float64(v)
	}
	return mass, mx
}

// draw samples from the weights w (summing to mass) after top-k/top-p
// truncation. Tokens below (1 - TopP)/len(w) of the mass can never be in
// the nucleus (all of them together hold less than 1 - TopP), so only the
// rest are sorted.
func (s *sampler) draw(w []float32, mass float64) int {
	truncK := s.TopK > 0 && s.TopK < len(w)
	truncP := s.TopP > 0 && s.TopP < 1
	if !truncK && !truncP {
		return pick(w, nil, mass, s.rng.Float64())
	}
	floor := float32(0)
	if truncP && !truncK {
		floor = float32((1 - s.TopP) / float64(len(w)) * mass)
	}
	cand := s.cand[:0]
	for i, v := range w {
		if v >= floor {
			cand = append(cand, i)
		}
	}
	slices.SortFunc(cand, func(a, b int) int {
		if w[a] != w[b] {
			if w[a] > w[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	if truncK && len(cand) > s.TopK {
		cand = cand[:s.TopK]
	}
	kept := 0.0
	for i, id := range cand {
		kept += float64(w[id])
		if truncP && kept >= s.TopP*mass {
			cand = cand[:i+1]
			break
		}
	}
	s.cand = cand
	return pick(w, cand, kept, s.rng.Float64())
}

// pick returns the token at cumulative weight u·mass among cand (all tokens
// when cand is nil).
func pick(w []float32, cand []int, mass, u float64) int {
	target := u * mass
	acc := 0.0
	if cand == nil {
		for i, v := range w {
			acc += float64(v)
			if acc > target {
				return i
			}
		}
		return len(w) - 1
	}
	for _, id := range cand {
		acc += float64(w[id])
		if acc > target {
			return id
		}
	}
	return cand[len(cand)-1]
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
