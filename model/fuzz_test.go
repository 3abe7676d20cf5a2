package model

import (
	"os"
	"testing"
)

func FuzzParseConfig(f *testing.F) {
	if raw, err := os.ReadFile("testdata/tiny/config.json"); err == nil {
		f.Add(raw)
	}
	f.Add([]byte(`{"model_type":"qwen2","vocab_size":1,"hidden_size":2,"intermediate_size":1,"num_hidden_layers":1,"num_attention_heads":1,"eos_token_id":[0]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseConfig(raw)
		if err != nil {
			return
		}
		if c.NumHeads%c.NumKVHeads != 0 || c.HeadDim%2 != 0 || c.VocabSize <= 0 {
			t.Fatalf("accepted an unusable config: %+v", c)
		}
	})
}
