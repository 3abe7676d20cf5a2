package model

import (
	"encoding/json"
	"io"

	"research/internal/safefile"
	"research/safetensors"
	"research/tensor"

	"fmt"
	"os"
	"path/filepath"
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

	// BF16 holds the weight matrices of a model kept in BF16 (see DType);
	// Wq, Wk, Wv, Wo, Wgate, Wup and Wdown are then nil.
	BF16 LayerBF16
}

// LayerBF16 is a Layer's weight matrices in bfloat16, each of the float32
// one's shape, in the kernels' layout.
type LayerBF16 struct {
	Wq, Wk, Wv, Wo, Wgate, Wup, Wdown *tensor.BF16Matrix
}

// Model is a Qwen2-family decoder with its weights in memory, in float32
// or, for inference, with its weight matrices in bfloat16 (see DType): a
// BF16 model runs Forward, Logprobs and Save; training refuses it.
type Model struct {
	Config Config
	Embed  []float32 // [vocab][hidden]
	Layers []Layer
	Norm   []float32 // [hidden]
	LMHead []float32 // [vocab][hidden]; the same slice as Embed when tied

	// EmbedBF16 and LMHeadBF16 replace Embed and LMHead (nil then) in a
	// model kept in BF16; tied, they are one matrix.
	EmbedBF16, LMHeadBF16 *tensor.BF16Matrix

	src tensorSource // keeps memory-mapped weights alive
}

// tensorSource is where weights come from: a safetensors checkpoint or a GGUF
// file, both addressed by HF tensor names.
type tensorSource interface {
	Tensor(name string, shape ...int) ([]float32, error)
	Close() error
}

// tensorRef names one weight with its HF name and shape, so loading and
// saving walk the same list. bf16, set for the weight matrices, is where a
// BF16 model keeps them instead of dst.
type tensorRef struct {
	name  string
	shape []int
	dst   *[]float32
	bf16  **tensor.BF16Matrix
}

func (m *Model) tensors() []tensorRef {
	c := &m.Config
	h, q, kv, f := c.HiddenSize, c.QDim(), c.KVDim(), c.IntermediateSize
	refs := []tensorRef{{"model.embed_tokens.weight", []int{c.VocabSize, h}, &m.Embed, &m.EmbedBF16}}
	for i := range m.Layers {
		l, p := &m.Layers[i], fmt.Sprintf("model.layers.%d.", i)
		b := &l.BF16
		refs = append(refs,
			tensorRef{p + "input_layernorm.weight", []int{h}, &l.AttnNorm, nil},
			tensorRef{p + "self_attn.q_proj.weight", []int{q, h}, &l.Wq, &b.Wq},
			tensorRef{p + "self_attn.q_proj.bias", []int{q}, &l.Bq, nil},
			tensorRef{p + "self_attn.k_proj.weight", []int{kv, h}, &l.Wk, &b.Wk},
			tensorRef{p + "self_attn.k_proj.bias", []int{kv}, &l.Bk, nil},
			tensorRef{p + "self_attn.v_proj.weight", []int{kv, h}, &l.Wv, &b.Wv},
			tensorRef{p + "self_attn.v_proj.bias", []int{kv}, &l.Bv, nil},
			tensorRef{p + "self_attn.o_proj.weight", []int{h, q}, &l.Wo, &b.Wo},
			tensorRef{p + "post_attention_layernorm.weight", []int{h}, &l.MLPNorm, nil},
			tensorRef{p + "mlp.gate_proj.weight", []int{f, h}, &l.Wgate, &b.Wgate},
			tensorRef{p + "mlp.up_proj.weight", []int{f, h}, &l.Wup, &b.Wup},
			tensorRef{p + "mlp.down_proj.weight", []int{h, f}, &l.Wdown, &b.Wdown},
		)
	}
	refs = append(refs, tensorRef{"model.norm.weight", []int{h}, &m.Norm, nil})
	if !c.TieWordEmbeddings {
		refs = append(refs, tensorRef{"lm_head.weight", []int{c.VocabSize, h}, &m.LMHead, &m.LMHeadBF16})
	}
	return refs
}

// Load reads a model from path in float32: a directory with HF config.json
// and safetensors weights (F32 weights stay memory-mapped, copy-on-write;
// F16 and BF16 are converted to float32), or a llama.cpp .gguf file of a
// qwen2 model with F32/F16 tensors. LoadAs keeps the weights in BF16.
func Load(path string) (*Model, error) { return LoadAs(path, F32) }

func loadGGUF(path string, dtype DType) (*Model, error) {
	g, err := OpenGGUF(path)
	if err != nil {
		return nil, err
	}
	cfg, err := ggufConfig(g)
	if err != nil {
		g.Close()
		return nil, err
	}
	return fill(cfg, ggufSource{g}, dtype)
}

// fill reads every weight the config calls for from src, the weight
// matrices in dtype.
func fill(cfg Config, src tensorSource, dtype DType) (*Model, error) {
	m := &Model{Config: cfg, Layers: make([]Layer, cfg.NumLayers), src: src}
	for _, r := range m.tensors() {
		var err error
		if dtype == BF16 && r.bf16 != nil {
			*r.bf16, err = tensorBF16(src, r.name, r.shape...)
		} else {
			*r.dst, err = src.Tensor(r.name, r.shape...)
		}
		if err != nil {
			src.Close()
			return nil, err
		}
	}
	if cfg.TieWordEmbeddings {
		m.LMHead, m.LMHeadBF16 = m.Embed, m.EmbedBF16
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
// (HF field names) with torch_dtype set to match. A BF16 model saved as
// BF16 is written bit for bit.
func (m *Model) Save(dir, dtype string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	var ts []safetensors.Tensor
	for _, r := range m.tensors() {
		ts = append(ts, safetensors.Tensor{Name: r.name, Shape: r.shape, Data: r.weights()})
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
