package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"time"

	"research/internal/safefile"
)

// ManifestVersion is the format version of run manifests.
const ManifestVersion = 1

// Manifest says what produced a method's results: enough to tell two runs
// apart and to redo one.
type Manifest struct {
	Version   int        `json:"version"`
	Tool      string     `json:"tool"` // research module version and VCS revision
	Created   time.Time  `json:"created"`
	Method    Method     `json:"method"`
	Data      []DataFile `json:"data"`
	Retriever Retriever  `json:"retriever"`
	Prompt    Prompt     `json:"prompt"`
	Decoding  Decoding   `json:"decoding"`
	Policy    PolicyID   `json:"policy"`
	Workers   int        `json:"workers"`
}

// DataFile is one dataset file evaluated.
type DataFile struct {
	Name     string `json:"name"` // the dataset's column in the report
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Examples int    `json:"examples"`
}

// Retriever identifies the retriever: an index directory (identity is the
// SHA-256 of its meta.json, which lists every file's size and checksum) or
// a server URL.
type Retriever struct {
	Kind     string `json:"kind"` // "bm25" or a remote protocol
	Location string `json:"location"`
	Identity string `json:"identity,omitempty"`
	Docs     int    `json:"docs,omitempty"`
	TopK     int    `json:"top_k"`
}

// Prompt identifies the prompt: the template and a hash of its texts.
type Prompt struct {
	Template string `json:"template"`
	SHA256   string `json:"sha256"`
}

// Decoding holds the sampling parameters.
type Decoding struct {
	Temperature float64 `json:"temperature"`
	TopP        float64 `json:"top_p"`
	Seed        uint64  `json:"seed"`
	MaxTokens   int     `json:"max_tokens"`
	MaxPrompt   int     `json:"max_prompt_tokens"`
	EOSIDs      []int   `json:"eos_ids"`
}

// PolicyID identifies the policy: a model directory or file (identity is
// the SHA-256 of its config.json, or of the file itself for a GGUF) or a
// server URL and model name.
type PolicyID struct {
	Kind      string `json:"kind"` // "local" or the remote API
	Location  string `json:"location"`
	Model     string `json:"model,omitempty"`
	Identity  string `json:"identity,omitempty"`
	Tokenizer string `json:"tokenizer_sha256"`
	// DType is how an in-process model kept its weights, when not f32
	// (bf16 rounds them, which changes predictions); empty for f32, as
	// manifests written before there was a choice say.
	DType string `json:"dtype,omitempty"`
}

// SameSetup reports how m and o differ in anything that changes
// predictions: method, retriever, prompt, decoding or policy. Results of
// different setups must not share a file.
func (m *Manifest) SameSetup(o *Manifest) error {
	pairs := []struct {
		what string
		a, b any
	}{
		{"method", m.Method, o.Method},
		{"retriever", m.Retriever, o.Retriever},
		{"prompt", m.Prompt, o.Prompt},
		{"decoding", m.Decoding, o.Decoding},
		{"policy", m.Policy, o.Policy},
	}
	for _, p := range pairs {
		a, _ := json.Marshal(p.a)
		b, _ := json.Marshal(p.b)
		if string(a) != string(b) {
			return fmt.Errorf("%s was %s, now %s", p.what, b, a)
		}
	}
	return nil
}

// AddData records a data file, replacing an entry of the same name.
func (m *Manifest) AddData(d DataFile) {
	for i := range m.Data {
		if m.Data[i].Name == d.Name {
			m.Data[i] = d
			return
		}
	}
	m.Data = append(m.Data, d)
}

// ReadManifest reads a manifest; a missing file gives nil and no error.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	if m.Version != ManifestVersion {
		return nil, fmt.Errorf("manifest %s: format version %d, this build reads %d", path, m.Version, ManifestVersion)
	}
	return &m, nil
}

// WriteManifest writes a manifest atomically.
func WriteManifest(path string, m *Manifest) error {
	return safefile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	})
}

// FileSHA256 hashes a file's contents.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Release, when set at link time (-ldflags "-X research/eval.Release=v1.2"),
// names the build in manifests; useful where the build records no VCS
// information (GOFLAGS=-buildvcs=false).
var Release string

// ToolVersion names this build: module version, VCS revision and whether
// the tree was modified, and Release when set.
func ToolVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown " + Release
	}
	v := info.Main.Path + " " + info.Main.Version
	if Release != "" {
		v += " " + Release
	}
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision":
			v += " " + s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			v += " (modified)"
		}
	}
	return v
}
