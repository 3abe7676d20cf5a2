package main

import (
	"fmt"
	"os"
	"path/filepath"

	"research/model"
)

// servedModel holds the flags every server of a model takes: serve-model
// and serve-tinker.
type servedModel struct {
	dir, tokenizer, apiKey, name string
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
	m, err := model.Load(s.dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmdName, err)
	}
	return m, nil
}
