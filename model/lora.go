package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"research/tensor"
)

// LoRATargets are the projections LoRA can adapt, by their PEFT module names.
var LoRATargets = []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}

// Adapter is one low-rank update of a linear weight W [out][in]:
// W' = W + scale·B·A with A [rank][in] and B [out][rank].
type Adapter struct {
	A, B []float32
}

// LoRA holds low-rank adapters for some projections of every layer; the base
// weights stay frozen while the adapters train.
type LoRA struct {
	Rank    int
	Alpha   float64
	Targets []string              // PEFT module names, a subset of LoRATargets
	Layers  []map[string]*Adapter // per layer, by target name
}

// Scale is alpha / rank, the factor on B·A.
func (l *LoRA) Scale() float32 { return float32(l.Alpha / float64(l.Rank)) }

// linearShape returns a projection's [out, in] in m's config.
func linearShape(c *Config, target string) (out, in int) {
	h, q, kv, f := c.HiddenSize, c.QDim(), c.KVDim(), c.IntermediateSize
	switch target {
	case "q_proj":
		return q, h
	case "k_proj", "v_proj":
		return kv, h
	case "o_proj":
		return h, q
	case "gate_proj", "up_proj":
		return f, h
	case "down_proj":
		return h, f
	}
	return 0, 0
}

// NewLoRA returns adapters for the named targets of every layer of m,
// initialised as PEFT does: A uniform in ±1/√in (Kaiming-uniform with a=√5),
// B zero, so the adapted model starts equal to the base.
func NewLoRA(m *Model, rank int, alpha float64, targets []string, rng *rand.Rand) (*LoRA, error) {
	l, err := emptyLoRA(&m.Config, rank, alpha, targets)
	if err != nil {
		return nil, err
	}
	for _, layer := range l.Layers {
		for _, t := range l.Targets {
			a := layer[t]
			bound := 1 / math.Sqrt(float64(len(a.A)/rank))
			for i := range a.A {
				a.A[i] = float32((2*rng.Float64() - 1) * bound)
			}
		}
	}
	return l, nil
}

// emptyLoRA allocates zeroed adapters of m's shape.
func emptyLoRA(c *Config, rank int, alpha float64, targets []string) (*LoRA, error) {
	// A rank above the hidden size adds nothing a full update lacks, and
	// bounding it keeps a corrupt config from asking for absurd memory.
	if rank <= 0 || rank > c.HiddenSize {
		return nil, fmt.Errorf("lora: rank %d: want 1..%d (the hidden size)", rank, c.HiddenSize)
	}
	if !(alpha > 0) || math.IsInf(alpha, 0) {
		return nil, fmt.Errorf("lora: alpha %g: want a finite positive number", alpha)
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("lora: no target modules")
	}
	for i, t := range targets {
		if !slices.Contains(LoRATargets, t) {
			return nil, fmt.Errorf("lora: target module %q: want one of %v", t, LoRATargets)
		}
		if slices.Contains(targets[:i], t) {
			return nil, fmt.Errorf("lora: target module %q listed twice", t)
		}
	}
	l := &LoRA{Rank: rank, Alpha: alpha, Targets: slices.Clone(targets), Layers: make([]map[string]*Adapter, c.NumLayers)}
	for i := range l.Layers {
		l.Layers[i] = map[string]*Adapter{}
		for _, t := range targets {
			out, in := linearShape(c, t)
			l.Layers[i][t] = &Adapter{A: make([]float32, rank*in), B: make([]float32, out*rank)}
		}
	}
	return l, nil
}

// NewGrads returns zeroed adapters of l's shape, to accumulate gradients in.
func (l *LoRA) NewGrads(c *Config) *LoRA {
	g, err := emptyLoRA(c, l.Rank, l.Alpha, l.Targets)
	if err != nil {
		panic(err) // l was valid when made
	}
	return g
}

// Params lists the adapters under PEFT's tensor names
// (base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight …),
// layer by layer in target order.
func (l *LoRA) Params() []Param {
	var ps []Param
	for i, layer := range l.Layers {
		for _, t := range l.Targets {
			a := layer[t]
			in, out := len(a.A)/l.Rank, len(a.B)/l.Rank
			prefix := fmt.Sprintf("base_model.model.model.layers.%d.%s.%s.", i, loraModule(t), t)
			ps = append(ps,
				Param{Name: prefix + "lora_A.weight", Shape: []int{l.Rank, in}, Data: a.A},
				Param{Name: prefix + "lora_B.weight", Shape: []int{out, l.Rank}, Data: a.B})
		}
	}
	return ps
}

// loraModule is the sub-module holding a target: self_attn or mlp.
func loraModule(target string) string {
	switch target {
	case "gate_proj", "up_proj", "down_proj":
		return "mlp"
	}
	return "self_attn"
}

// Merge adds scale·B·A into the base weights of m, so m alone computes what
// m with the adapters did.
func (l *LoRA) Merge(m *Model) {
	s := l.Scale()
	for i, layer := range l.Layers {
		w := m.Layers[i].linears()
		for _, t := range l.Targets {
			out, in := linearShape(&m.Config, t)
			a := layer[t]
			tensor.Gemm(false, false, out, in, l.Rank, s, a.B, l.Rank, a.A, in, 1, *w[t], in)
		}
	}
}

// linears maps PEFT target names to the layer's weight slices.
func (l *Layer) linears() map[string]*[]float32 {
	return map[string]*[]float32{
		"q_proj": &l.Wq, "k_proj": &l.Wk, "v_proj": &l.Wv, "o_proj": &l.Wo,
		"gate_proj": &l.Wgate, "up_proj": &l.Wup, "down_proj": &l.Wdown,
	}
}
