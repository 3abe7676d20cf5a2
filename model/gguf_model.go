package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ggufNames maps HF tensor names (the per-layer part after
// "model.layers.N.") to llama.cpp's qwen2 names (after "blk.N.").
var ggufNames = map[string]string{
	"input_layernorm.weight":          "attn_norm.weight",
	"post_attention_layernorm.weight": "ffn_norm.weight",
	"self_attn.q_proj.weight":         "attn_q.weight",
	"self_attn.q_proj.bias":           "attn_q.bias",
	"self_attn.k_proj.weight":         "attn_k.weight",
	"self_attn.k_proj.bias":           "attn_k.bias",
	"self_attn.v_proj.weight":         "attn_v.weight",
	"self_attn.v_proj.bias":           "attn_v.bias",
	"self_attn.o_proj.weight":         "attn_output.weight",
	"mlp.gate_proj.weight":            "ffn_gate.weight",
	"mlp.up_proj.weight":              "ffn_up.weight",
	"mlp.down_proj.weight":            "ffn_down.weight",
}

// ggufName returns llama.cpp's name for an HF tensor name.
func ggufName(hf string) string {
	switch hf {
	case "model.embed_tokens.weight":
		return "token_embd.weight"
	case "model.norm.weight":
		return "output_norm.weight"
	case "lm_head.weight":
		return "output.weight"
	}
	if rest, ok := strings.CutPrefix(hf, "model.layers."); ok {
		layer, sub, _ := strings.Cut(rest, ".")
		if g, ok := ggufNames[sub]; ok {
			return "blk." + layer + "." + g
		}
	}
	return hf
}

// ggufSource serves a GGUF file's tensors under their HF names.
type ggufSource struct{ g *GGUF }

func (s ggufSource) Tensor(name string, want ...int) ([]float32, error) {
	data, shape, err := s.g.Float32(ggufName(name))
	if err != nil {
		return nil, err
	}
	if !slices.Equal(shape, want) {
		return nil, fmt.Errorf("%s: tensor %q has shape %v, want %v", s.g.Path, ggufName(name), shape, want)
	}
	return data, nil
}

func (s ggufSource) Close() error { return s.g.Close() }

// ggufConfig reads the model shape from a qwen2 GGUF's metadata.
func ggufConfig(g *GGUF) (Config, error) {
	if arch, _ := g.Metadata["general.architecture"].(string); arch != "qwen2" {
		return Config{}, fmt.Errorf("%s: general.architecture %q: only \"qwen2\" is supported", g.Path, arch)
	}
	c := Config{ModelType: "qwen2", HiddenAct: "silu"}
	ints := []struct {
		key string
		dst *int
	}{
		{"qwen2.embedding_length", &c.HiddenSize}, {"qwen2.block_count", &c.NumLayers},
		{"qwen2.feed_forward_length", &c.IntermediateSize}, {"qwen2.attention.head_count", &c.NumHeads},
		{"qwen2.attention.head_count_kv", &c.NumKVHeads}, {"qwen2.context_length", &c.MaxPositions},
	}
	for _, f := range ints {
		v, ok := metaInt(g.Metadata[f.key])
		if !ok {
			return Config{}, fmt.Errorf("%s: metadata %s missing or not an integer", g.Path, f.key)
		}
		*f.dst = v
	}
	if v, ok := g.Metadata["qwen2.rope.freq_base"].(float32); ok {
		c.RopeTheta = shortest(v)
	}
	if v, ok := g.Metadata["qwen2.attention.layer_norm_rms_epsilon"].(float32); ok {
		c.RMSNormEps = shortest(v)
	}
	emb, ok := g.Tensors["token_embd.weight"]
	if !ok || len(emb.Dims) != 2 {
		return Config{}, fmt.Errorf("%s: missing or malformed tensor token_embd.weight", g.Path)
	}
	c.VocabSize = emb.Dims[1]
	_, untied := g.Tensors["output.weight"]
	c.TieWordEmbeddings = !untied
	if eos, ok := metaInt(g.Metadata["tokenizer.ggml.eos_token_id"]); ok {
		c.EOSTokenIDs = TokenIDs{eos}
	}
	if c.NumHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumHeads
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-6
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", g.Path, err)
	}
	return c, nil
}

func metaInt(v any) (int, bool) {
	switch x := v.(type) {
	case uint32:
		return int(x), true
	case int32:
		return int(x), true
	case uint64:
		if x < 1<<31 {
			return int(x), true
		}
	case int64:
		if x >= 0 && x < 1<<31 {
			return int(x), true
		}
	}
	return 0, false
}

// shortest widens a float32 to the float64 of its shortest decimal form, so
// 1e-6 stored as float32 reads back as the 1e-6 a config.json would give.
func shortest(v float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return f
}
