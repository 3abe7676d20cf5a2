package generate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
	rng   *rand.Rand
	probs []float64
	cand  []int
}

func newSampler(s Sampling, seq int) *sampler {
	return &sampler{Sampling: s, rng: rand.New(rand.NewPCG(s.Seed, uint64(seq)))}
}

// next picks a token from logits and returns it with its log-probability
// under softmax(logits / T), T = 1 when greedy.
func (s *sampler) next(logits []float32) (int, float64) {
	t := s.Temperature
	if t == 0 {
		id := argmax(logits)
		return id, logprob(logits, id, 1)
	}
	// probs = softmax(logits / t), in float64
	if cap(s.probs) < len(logits) {
		s.probs = make([]float64, len(logits))
	}
	p := s.probs[:len(logits)]
	mx := float64(logits[argmax(logits)])
	var sum float64
	for i, z := range logits {
		p[i] = math.Exp((float64(z) - mx) / t)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	id := s.draw(p)
	return id, math.Log(p[id])
}

// draw samples from p after top-k/top-p truncation. Tokens below
// (1 - TopP)/len(p) can never be in the nucleus (all of them together hold
// less than 1 - TopP), so only the rest are sorted.
func (s *sampler) draw(p []float64) int {
	truncK := s.TopK > 0 && s.TopK < len(p)
	truncP := s.TopP > 0 && s.TopP < 1
	if !truncK && !truncP {
		return pick(p, nil, 1, s.rng.Float64())
	}
	floor := 0.0
	if truncP && !truncK {
		floor = (1 - s.TopP) / float64(len(p))
	}
	cand := s.cand[:0]
	for i, v := range p {
		if v >= floor {
			cand = append(cand, i)
		}
	}
	slices.SortFunc(cand, func(a, b int) int {
		if p[a] != p[b] {
			if p[a] > p[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	if truncK && len(cand) > s.TopK {
		cand = cand[:s.TopK]
	}
	mass := 0.0
	for i, id := range cand {
		mass += p[id]
		if truncP && mass >= s.TopP {
			cand = cand[:i+1]
			break
		}
	}
	s.cand = cand
	return pick(p, cand, mass, s.rng.Float64())
}

// pick returns the token at cumulative probability u·mass among cand (all
// tokens when cand is nil).
func pick(p []float64, cand []int, mass, u float64) int {
	target := u * mass
	acc := 0.0
	if cand == nil {
		for i, v := range p {
			acc += v
			if acc > target {
				return i
			}
		}
		return len(p) - 1
	}
	for _, id := range cand {
		acc += p[id]
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

// logprob returns log softmax(logits / t)[id] in float64.
func logprob(logits []float32, id int, t float64) float64 {
	mx := float64(logits[argmax(logits)])
	var sum float64
	for _, z := range logits {
		sum += math.Exp((float64(z) - mx) / t)
	}
	return (float64(logits[id])-mx)/t - math.Log(sum)
}
