package main

import (
	"fmt"
	"os"
	"path/filepath"

	"research/model"
)

// servedModel holds the flags every server of a model takes: serve-model
// and serve-tinker. dtype is serve-model's alone (serve-tinker trains, in
// float32).
type servedModel struct {
	dir, tokenizer, apiKey, name, dtype string
}

// open checks the flags, fills in their defaults (the tokenizer and the
// served name from the model directory, the key from $RESEARCH_API_KEY)
// and loads the model; cmdName prefixes the errors.
func (s *servedModel) open(cmdName string) (*model.Model, error) {
	if s.dir == "" {
		return nil, fmt.Errorf("%s: --model is required", cmdName)
	}
	if s.apiKey == "" {
		s.apiKey = os.Getenv("RESEARCH_API_KEY")
	}
	if s.tokenizer == "" {
		s.tokenizer = s.dir
	}
	if s.name == "" {
		s.name = filepath.Base(filepath.Clean(s.dir))
	}
	m, err := loadModel(s.dir, s.dtype)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmdName, err)
	}
	return m, nil
}

// dtypeUsage is the help of every --dtype flag.
const dtypeUsage = "how the weight matrices are kept in memory: f32, or bf16 (half the bytes per decode step; float32 accumulation; for inference)"

// loadModel loads the model at path with its weight matrices in dtype (a
// --dtype value; empty is f32).
func loadModel(path, dtype string) (*model.Model, error) {
	dt, err := model.ParseDType(dtype)
	if err != nil {
		return nil, fmt.Errorf("--dtype: %w", err)
	}
	return model.LoadAs(path, dt)
}
