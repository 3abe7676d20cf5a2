package model

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	base := `"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":4,"num_hidden_layers":1,"num_attention_heads":2`
	cases := []struct {
		name, json, wantErr string
	}{
		{"defaults", `{` + base + `}`, ""},
		{"eos list", `{` + base + `,"eos_token_id":[1,2]}`, ""},
		{"rope_scaling null", `{` + base + `,"rope_scaling":null}`, ""},
		{"not json", `{`, "parse config"},
		{"llama", `{"model_type":"llama"}`, "model_type"},
		{"gelu", `{` + base + `,"hidden_act":"gelu"}`, "hidden_act"},
		{"kv heads", `{` + base + `,"num_key_value_heads":3}`, "multiple"},
		{"odd head dim", `{` + base + `,"head_dim":3}`, "odd"},
		{"zero vocab", `{"model_type":"qwen2","vocab_size":0,"hidden_size":8,"intermediate_size":4,"num_hidden_layers":1,"num_attention_heads":2}`, "vocab_size"},
		{"eos outside", `{` + base + `,"eos_token_id":10}`, "eos_token_id"},
		{"eos string", `{` + base + `,"eos_token_id":"x"}`, "want an integer"},
		{"yarn", `{` + base + `,"rope_scaling":{"type":"yarn","factor":4}}`, "rope_scaling"},
		{"sliding window", `{` + base + `,"use_sliding_window":true}`, "sliding"},
	}
	for _, tc := range cases {
		c, err := ParseConfig([]byte(tc.json))
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if c.NumKVHeads != 2 || c.HeadDim != 4 || c.RopeTheta != 10000 || c.RMSNormEps != 1e-6 {
				t.Errorf("%s: defaults not filled: %+v", tc.name, c)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.wantErr)
		}
	}
}
