package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"research/agent"
	"research/eval"
	"research/model"
	"research/search/bm25"
)

// evalManifest describes the run the flags set up.
func evalManifest(f *agentFlags, a *agent.Agent, cfg eval.Config, sets []namedSet) (*eval.Manifest, error) {
	m := &eval.Manifest{
		Version: eval.ManifestVersion, Tool: eval.ToolVersion(), Created: time.Now().UTC(), Method: cfg.Method,
		Prompt:   eval.Prompt{Template: string(cfg.Template), SHA256: eval.PromptHash(cfg.Method, cfg.Template)},
		Decoding: eval.Decoding{Temperature: f.temperature, TopP: f.topP, Seed: f.seed, MaxTokens: cfg.MaxTokens, MaxPrompt: cfg.MaxPromptTokens, EOSIDs: cfg.EOSIDs},
		Workers:  cfg.Workers,
	}
	for _, s := range sets {
		m.Data = append(m.Data, s.file)
	}
	m.Retriever = eval.Retriever{Kind: f.searchAPI, Location: f.searchURL, TopK: cfg.TopK}
	if f.index != "" {
		sum, err := eval.FileSHA256(filepath.Join(f.index, "meta.json"))
		if err != nil {
			return nil, fmt.Errorf("--index: %w", err)
		}
		abs, _ := filepath.Abs(f.index)
		m.Retriever = eval.Retriever{Kind: "bm25", Location: abs, Identity: sum, TopK: cfg.TopK}
		if ix, ok := a.Retriever.(*bm25.Index); ok {
			m.Retriever.Docs = ix.NumDocs()
		}
	}
	m.Policy = eval.PolicyID{Kind: f.llmAPI, Location: f.llmURL, Model: f.llmModel}
	if f.model != "" {
		abs, _ := filepath.Abs(f.model)
		id, err := modelFingerprint(f.model)
		if err != nil {
			return nil, fmt.Errorf("--model: %w", err)
		}
		m.Policy = eval.PolicyID{Kind: "local", Location: abs, Identity: id}
		if dt := a.Model.DType(); dt != model.F32 {
			m.Policy.DType = string(dt)
		}
	}
	tokPath := f.tokenizer
	if tokPath == "" {
		tokPath = f.model
	}
	if st, err := os.Stat(tokPath); err == nil && st.IsDir() {
		tokPath = filepath.Join(tokPath, "tokenizer.json")
	}
	if sum, err := eval.FileSHA256(tokPath); err == nil {
		m.Policy.Tokenizer = sum
	}
	return m, nil
}

// modelFingerprint identifies a model directory or file without reading
// gigabytes: a SHA-256 over config.json, and over each weight file's name,
// size and first and last MiB.
func modelFingerprint(path string) (string, error) {
	h := sha256.New()
	files := []string{path}
	if st, err := os.Stat(path); err != nil {
		return "", err
	} else if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return "", err
		}
		files = files[:0]
		for _, e := range entries {
			n := e.Name()
			if n == "config.json" || strings.HasSuffix(n, ".safetensors") || strings.HasSuffix(n, ".gguf") {
				files = append(files, filepath.Join(path, n))
			}
		}
		sort.Strings(files)
	}
	for _, p := range files {
		if err := hashEnds(h, p); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashEnds(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	const end = 1 << 20
	fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(path), st.Size())
	if _, err := io.CopyN(h, f, min(st.Size(), end)); err != nil {
		return err
	}
	if st.Size() > end {
		if _, err := f.Seek(max(end, st.Size()-end), io.SeekStart); err != nil {
			return err
		}
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
	}
	return nil
}
