package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config is the part of a HF Qwen2 config.json that fixes the network's shape.
type Config struct {
	ModelType         string   `json:"model_type"`
	VocabSize         int      `json:"vocab_size"`
	HiddenSize        int      `json:"hidden_size"`
	IntermediateSize  int      `json:"intermediate_size"`
	NumLayers         int      `json:"num_hidden_layers"`
	NumHeads          int      `json:"num_attention_heads"`
	NumKVHeads        int      `json:"num_key_value_heads"`
	HeadDim           int      `json:"head_dim"`
	RopeTheta         float64  `json:"rope_theta"`
	RMSNormEps        float64  `json:"rms_norm_eps"`
	MaxPositions      int      `json:"max_position_embeddings"`
	TieWordEmbeddings bool     `json:"tie_word_embeddings"`
	HiddenAct         string   `json:"hidden_act"`
	BOSTokenID        *int     `json:"bos_token_id"`
	EOSTokenIDs       TokenIDs `json:"eos_token_id"`

	// Features this package does not implement; a config that turns them on
	// is refused rather than run wrongly.
	RopeScaling      json.RawMessage `json:"rope_scaling,omitempty"`
	UseSlidingWindow bool            `json:"use_sliding_window,omitempty"`
}

// TokenIDs reads a config field that HF writes either as one id or a list.
type TokenIDs []int

// UnmarshalJSON accepts null, an integer or a list of integers.
func (t *TokenIDs) UnmarshalJSON(b []byte) error {
	var one *int
	if err := json.Unmarshal(b, &one); err == nil {
		*t = nil
		if one != nil {
			*t = TokenIDs{*one}
		}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want an integer or a list of integers")
	}
	*t = many
	return nil
}

// KVDim is the width of one position's keys (or values): KV heads × head dim.
func (c *Config) KVDim() int { return c.NumKVHeads * c.HeadDim }

// QDim is the width of one position's queries: heads × head dim.
func (c *Config) QDim() int { return c.NumHeads * c.HeadDim }

// LoadConfig reads dir/config.json.
func LoadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read model config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig decodes a config.json, fills HF's defaults and checks that the
// shape is one this package can run.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, fmt.Errorf("parse config: %w", err)
	}
	if c.NumKVHeads == 0 {
		c.NumKVHeads = c.NumHeads
	}
	if c.HeadDim == 0 && c.NumHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumHeads
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-6
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// maxDim bounds every size so that products of them cannot overflow and a
// corrupt file cannot ask for absurd allocations.
const maxDim = 1 << 24

func (c *Config) validate() error {
	if c.ModelType != "qwen2" {
		return fmt.Errorf("model_type %q: only \"qwen2\" is supported", c.ModelType)
	}
	if len(c.RopeScaling) > 0 && string(c.RopeScaling) != "null" {
		return fmt.Errorf("rope_scaling %s: only plain RoPE is supported", c.RopeScaling)
	}
	if c.UseSlidingWindow {
		return errors.New("use_sliding_window: sliding-window attention is not supported")
	}
	if c.HiddenAct != "" && c.HiddenAct != "silu" {
		return fmt.Errorf("hidden_act %q: only \"silu\" is supported", c.HiddenAct)
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumLayers}, {"num_attention_heads", c.NumHeads},
		{"num_key_value_heads", c.NumKVHeads}, {"head_dim", c.HeadDim},
	} {
		if f.v <= 0 || f.v > maxDim {
			return fmt.Errorf("%s = %d: want 1..%d", f.name, f.v, maxDim)
		}
	}
	if c.NumHeads%c.NumKVHeads != 0 {
		return fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", c.NumHeads, c.NumKVHeads)
	}
	if c.HeadDim%2 != 0 {
		return fmt.Errorf("head_dim %d is odd: rotary embeddings need an even head dimension", c.HeadDim)
	}
	if c.QDim() > maxDim {
		return fmt.Errorf("num_attention_heads × head_dim = %d is too large", c.QDim())
	}
	if c.RopeTheta <= 0 || c.RMSNormEps <= 0 {
		return fmt.Errorf("rope_theta %g and rms_norm_eps %g must be positive", c.RopeTheta, c.RMSNormEps)
	}
	for _, id := range c.EOSTokenIDs {
		if id < 0 || id >= c.VocabSize {
			return fmt.Errorf("eos_token_id %d outside the vocabulary [0, %d)", id, c.VocabSize)
		}
	}
	return nil
}
