package model

import (
	"encoding/json"
	"io"

	"research/internal/safefile"
	"research/safetensors"

	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Layer holds one decoder block's weights, HF layout: a linear weight is
// [out][in] row-major, so y = x·Wᵀ + b.
type Layer struct {
	AttnNorm   []float32 // [hidden]
	Wq, Bq     []float32 // [heads·headDim][hidden], [heads·headDim]
	Wk, Bk     []float32 // [kvHeads·headDim][hidden], [kvHeads·headDim]
	Wv, Bv     []float32 // [kvHeads·headDim][hidden], [kvHeads·headDim]
	Wo         []float32 // [hidden][heads·headDim]
	MLPNorm    []float32 // [hidden]
	Wgate, Wup []float32 // [ffn][hidden]
	Wdown      []float32 // [hidden][ffn]
}

// Model is a Qwen2-family decoder with its weights in memory.
type Model struct {
	Config Config
	Embed  []float32 // [vocab][hidden]
	Layers []Layer
	Norm   []float32 // [hidden]
	LMHead []float32 // [vocab][hidden]; the same slice as Embed when tied

	src tensorSource // keeps memory-mapped weights alive
}

// tensorSource is where weights come from: a safetensors checkpoint or a GGUF
// file, both addressed by HF tensor names.
type tensorSource interface {
	Tensor(name string, shape ...int) ([]float32, error)
	Close() error
}

// tensorRef names one weight with its HF name and shape, so loading and
// saving walk the same list.
type tensorRef struct {
	name  string
	shape []int
	dst   *[]float32
}

func (m *Model) tensors() []tensorRef {
	c := &m.Config
	h, q, kv, f := c.HiddenSize, c.QDim(), c.KVDim(), c.IntermediateSize
	refs := []tensorRef{{"model.embed_tokens.weight", []int{c.VocabSize, h}, &m.Embed}}
	for i := range m.Layers {
		l, p := &m.Layers[i], fmt.Sprintf("model.layers.%d.", i)
		refs = append(refs,
			tensorRef{p + "input_layernorm.weight", []int{h}, &l.AttnNorm},
			tensorRef{p + "self_attn.q_proj.weight", []int{q, h}, &l.Wq},
			tensorRef{p + "self_attn.q_proj.bias", []int{q}, &l.Bq},
			tensorRef{p + "self_attn.k_proj.weight", []int{kv, h}, &l.Wk},
			tensorRef{p + "self_attn.k_proj.bias", []int{kv}, &l.Bk},
			tensorRef{p + "self_attn.v_proj.weight", []int{kv, h}, &l.Wv},
			tensorRef{p + "self_attn.v_proj.bias", []int{kv}, &l.Bv},
			tensorRef{p + "self_attn.o_proj.weight", []int{h, q}, &l.Wo},
			tensorRef{p + "post_attention_layernorm.weight", []int{h}, &l.MLPNorm},
			tensorRef{p + "mlp.gate_proj.weight", []int{f, h}, &l.Wgate},
			tensorRef{p + "mlp.up_proj.weight", []int{f, h}, &l.Wup},
			tensorRef{p + "mlp.down_proj.weight", []int{h, f}, &l.Wdown},
		)
	}
	refs = append(refs, tensorRef{"model.norm.weight", []int{h}, &m.Norm})
	if !c.TieWordEmbeddings {
		refs = append(refs, tensorRef{"lm_head.weight", []int{c.VocabSize, h}, &m.LMHead})
	}
	return refs
}

// Load reads a model from path: a directory with HF config.json and
// safetensors weights (F32 weights stay memory-mapped, copy-on-write; F16 and
// BF16 are converted to float32), or a llama.cpp .gguf file of a qwen2 model
// with F32/F16 tensors.
func Load(path string) (*Model, error) {
	if strings.HasSuffix(path, ".gguf") {
		return loadGGUF(path)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, err
	}
	ckpt, err := OpenCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return fill(cfg, ckpt)
}

func loadGGUF(path string) (*Model, error) {
	g, err := OpenGGUF(path)
	if err != nil {
		return nil, err
	}
	cfg, err := ggufConfig(g)
	if err != nil {
		g.Close()
		return nil, err
	}
	return fill(cfg, ggufSource{g})
}

// fill reads every weight the config calls for from src.
func fill(cfg Config, src tensorSource) (*Model, error) {
	m := &Model{Config: cfg, Layers: make([]Layer, cfg.NumLayers), src: src}
	for _, r := range m.tensors() {
		var err error
		if *r.dst, err = src.Tensor(r.name, r.shape...); err != nil {
			src.Close()
			return nil, err
		}
	}
	if cfg.TieWordEmbeddings {
		m.LMHead = m.Embed
	}
	return m, nil
}

// Close releases the memory-mapped weights; the model must not be used after.
func (m *Model) Close() error {
	if m.src == nil {
		return nil
	}
	err := m.src.Close()
	m.src = nil
	return err
}

// Save writes the model to dir as config.json and model.safetensors in dtype
// (F32, F16 or BF16), each file atomically. The config is written as read
// (HF field names) with torch_dtype set to match.
func (m *Model) Save(dir, dtype string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	var ts []safetensors.Tensor
	for _, r := range m.tensors() {
		ts = append(ts, safetensors.Tensor{Name: r.name, Shape: r.shape, Data: *r.dst})
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), ts, dtype, nil); err != nil {
		return err
	}
	cfg := struct {
		Config
		TorchDType string `json:"torch_dtype"`
	}{m.Config, map[string]string{"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[dtype]}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("save model config: %w", err)
	}
	path := filepath.Join(dir, "config.json")
	return safefile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}
