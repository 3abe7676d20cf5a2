package model

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// New returns a model of shape c initialised as HF initialises Qwen2 for
// pretraining: weights drawn from N(0, std²) (initializer_range, 0.02 in
// Qwen2's configs), biases zero, norm weights one.
func New(c Config, std float64, rng *rand.Rand) (*Model, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("new model: %w", err)
	}
	m := &Model{Config: c, Layers: make([]Layer, c.NumLayers)}
	for _, r := range m.tensors() {
		n := 1
		for _, d := range r.shape {
			n *= d
		}
		w := make([]float32, n)
		switch {
		case strings.HasSuffix(r.name, "norm.weight"):
			for i := range w {
				w[i] = 1
			}
		case strings.HasSuffix(r.name, ".bias"):
		default:
			for i := range w {
				w[i] = float32(std * rng.NormFloat64())
			}
		}
		*r.dst = w
	}
	if c.TieWordEmbeddings {
		m.LMHead = m.Embed
	}
	return m, nil
}
