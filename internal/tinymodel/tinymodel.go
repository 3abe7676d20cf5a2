// Package tinymodel hands tests the project's tiny random Qwen2 model
// (model/testdata/tiny: 2 layers, hidden 64, 258 ids) with the tokenizer
// that fits it — the 256 bytes, then <|endoftext|> and <|im_end|> — so that
// tests of generation, rollouts, serving, evaluation and training build
// them one way.
package tinymodel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"

	"research/tokenizer"
)

// The tokenizer's special ids.
const (
	EndOfText = 256 // <|endoftext|>
	IMEnd     = 257 // <|im_end|>
)

// Dir is the tiny model's directory (config.json, model.safetensors).
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "model", "testdata", "tiny")
}

// Tokenizer returns the byte-level tokenizer of the tiny model's 258 ids.
func Tokenizer() (*tokenizer.Tokenizer, error) {
	tr, err := tokenizer.NewTrainer(tokenizer.TrainOptions{VocabSize: 258, Special: []string{"<|endoftext|>", "<|im_end|>"}})
	if err != nil {
		return nil, err
	}
	tr.Add("x") // no pair repeats: no merges, only the bytes and the specials
	return tr.Train()
}

// Copy writes the tiny model with its tokenizer.json into dir, with
// max_position_embeddings set to positions: the ReSearch prompt alone is
// about 940 byte tokens, past the model's nominal 128, which RoPE does not
// enforce.
func Copy(dir string, positions int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(Dir(), "config.json"))
	if err != nil {
		return err
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		return err
	}
	cfg["max_position_embeddings"] = positions
	if data, err = json.Marshal(cfg); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		return err
	}
	weights, err := os.ReadFile(filepath.Join(Dir(), "model.safetensors"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), weights, 0o644); err != nil {
		return err
	}
	tok, err := Tokenizer()
	if err != nil {
		return err
	}
	return tok.Save(filepath.Join(dir, "tokenizer.json"))
}
