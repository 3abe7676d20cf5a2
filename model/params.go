package model

// Param is one named trainable tensor: the weights themselves, or the
// gradient or optimizer state shaped like them.
type Param struct {
	Name  string // HF (or PEFT) tensor name
	Shape []int
	Data  []float32
}

// Params lists the model's tensors under their HF names, in checkpoint
// order. A tied LM head is listed once, as the embedding. It is for
// training, which takes F32 models: in a BF16 model the weight matrices
// are not float32, and their Data is nil.
func (m *Model) Params() []Param {
	refs := m.tensors()
	ps := make([]Param, len(refs))
	for i, r := range refs {
		ps[i] = Param{Name: r.name, Shape: r.shape, Data: *r.dst}
	}
	return ps
}

// NewGrads returns a zeroed model of m's shape, to accumulate gradients in.
// A tied head shares the embedding's gradient, as it shares its weights.
func (m *Model) NewGrads() *Model {
	g := &Model{Config: m.Config, Layers: make([]Layer, len(m.Layers))}
	for _, r := range g.tensors() {
		n := 1
		for _, d := range r.shape {
			n *= d
		}
		*r.dst = make([]float32, n)
	}
	if m.Config.TieWordEmbeddings {
		g.LMHead = g.Embed
	}
	return g
}
