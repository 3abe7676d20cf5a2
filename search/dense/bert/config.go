// Package bert is the BERT encoder of dense retrievers (E5, BGE, DPR): HF
// config.json and safetensors weights in, one pooled (optionally
// L2-normalised) vector per text out. The transformer is the original one:
// word + learned absolute position + token-type embeddings, post-LayerNorm
// blocks, exact erf GELU. The matrix products run on package tensor.
package bert

import (
	"encoding/json"
	"fmt"
	"os"
)

// Config is the part of a HF BertConfig the forward pass needs.
type Config struct {
	ModelType             string  `json:"model_type"`
	VocabSize             int     `json:"vocab_size"`
	HiddenSize            int     `json:"hidden_size"`
	NumHiddenLayers       int     `json:"num_hidden_layers"`
	NumAttentionHeads     int     `json:"num_attention_heads"`
	IntermediateSize      int     `json:"intermediate_size"`
	MaxPositionEmbeddings int     `json:"max_position_embeddings"`
	TypeVocabSize         int     `json:"type_vocab_size"`
	HiddenAct             string  `json:"hidden_act"`
	LayerNormEps          float64 `json:"layer_norm_eps"`
	PositionEmbeddingType string  `json:"position_embedding_type"`
}

// ReadConfig reads and checks a config.json.
func ReadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bert config: %w", err)
	}
	c := Config{LayerNormEps: 1e-12, HiddenAct: "gelu", TypeVocabSize: 2}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("bert config %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("bert config %s: %w", path, err)
	}
	return &c, nil
}

// Validate rejects configurations this encoder does not implement.
func (c *Config) Validate() error {
	switch {
	case c.ModelType != "" && c.ModelType != "bert":
		return fmt.Errorf("model_type %q, want \"bert\"", c.ModelType)
	case c.HiddenAct != "gelu":
		return fmt.Errorf("hidden_act %q, only \"gelu\" (exact erf) is implemented", c.HiddenAct)
	case c.PositionEmbeddingType != "" && c.PositionEmbeddingType != "absolute":
		return fmt.Errorf("position_embedding_type %q, only \"absolute\" is implemented", c.PositionEmbeddingType)
	case c.VocabSize <= 0 || c.HiddenSize <= 0 || c.NumHiddenLayers <= 0 || c.IntermediateSize <= 0 ||
		c.MaxPositionEmbeddings <= 0 || c.TypeVocabSize <= 0:
		return fmt.Errorf("sizes must be positive: vocab %d, hidden %d, layers %d, intermediate %d, positions %d, types %d",
			c.VocabSize, c.HiddenSize, c.NumHiddenLayers, c.IntermediateSize, c.MaxPositionEmbeddings, c.TypeVocabSize)
	case c.NumAttentionHeads <= 0 || c.HiddenSize%c.NumAttentionHeads != 0:
		return fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	case !(c.LayerNormEps > 0):
		return fmt.Errorf("layer_norm_eps %v, want > 0", c.LayerNormEps)
	}
	return nil
}
