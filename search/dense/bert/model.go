package bert

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"research/safetensors"
)

// linear is a weight stored [out][in] and its bias.
type linear struct {
	w, b    []float32
	out, in int
}

// layer is one transformer block.
type layer struct {
	q, k, v, attnOut, inter, out linear
	ln1w, ln1b, ln2w, ln2b       []float32
}

// Model is a loaded BERT: its config and weights (F32 weights alias the
// memory-mapped file).
type Model struct {
	Config
	wordEmb, posEmb, typeEmb []float32
	embLnW, embLnB           []float32
	layers                   []layer
	st                       *safetensors.File
}

// Load reads dir/config.json and dir/model.safetensors. Tensor names may
// carry the "bert." prefix of task-head checkpoints.
func Load(dir string) (*Model, error) {
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, err
	}
	st, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		return nil, fmt.Errorf("bert: %w", err)
	}
	m := &Model{Config: *cfg, st: st}
	if err := m.loadWeights(); err != nil {
		st.Close()
		return nil, fmt.Errorf("bert: %w", err)
	}
	return m, nil
}

// Close releases the weight file.
func (m *Model) Close() error { return m.st.Close() }

// loadWeights binds every tensor, checking its shape.
func (m *Model) loadWeights() error {
	prefix := ""
	if slices.ContainsFunc(m.st.Names(), func(n string) bool { return strings.HasPrefix(n, "bert.embeddings.") }) {
		prefix = "bert."
	}
	var err error
	get := func(name string, shape ...int) []float32 {
		if err != nil {
			return nil
		}
		var t []float32
		var got []int
		t, got, err = m.st.Float32(prefix + name)
		if err == nil && !slices.Equal(got, shape) {
			err = fmt.Errorf("%s: tensor %q has shape %v, config says %v", m.st.Path, prefix+name, got, shape)
		}
		return t
	}
	lin := func(name string, out, in int) linear {
		return linear{w: get(name+".weight", out, in), b: get(name+".bias", out), out: out, in: in}
	}
	H, I := m.HiddenSize, m.IntermediateSize
	m.wordEmb = get("embeddings.word_embeddings.weight", m.VocabSize, H)
	m.posEmb = get("embeddings.position_embeddings.weight", m.MaxPositionEmbeddings, H)
	m.typeEmb = get("embeddings.token_type_embeddings.weight", m.TypeVocabSize, H)
	m.embLnW = get("embeddings.LayerNorm.weight", H)
	m.embLnB = get("embeddings.LayerNorm.bias", H)
	for l := range m.NumHiddenLayers {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		m.layers = append(m.layers, layer{
			q:       lin(p+"attention.self.query", H, H),
			k:       lin(p+"attention.self.key", H, H),
			v:       lin(p+"attention.self.value", H, H),
			attnOut: lin(p+"attention.output.dense", H, H),
			ln1w:    get(p+"attention.output.LayerNorm.weight", H),
			ln1b:    get(p+"attention.output.LayerNorm.bias", H),
			inter:   lin(p+"intermediate.dense", I, H),
			out:     lin(p+"output.dense", H, I),
			ln2w:    get(p+"output.LayerNorm.weight", H),
			ln2b:    get(p+"output.LayerNorm.bias", H),
		})
	}
	return err
}
