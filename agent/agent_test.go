package agent

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"research/internal/tinymodel"
	"research/model"
	"research/policy"
	"research/search/bm25"
)

// TestCheck: a retriever configuration that cannot open is refused with
// the key to fix.
func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		c    RetrieverConfig
		key  string // "" for none
	}{
		{"bm25", RetrieverConfig{Index: "ix"}, ""},
		{"server", RetrieverConfig{URL: "http://x", Protocol: "search-r1"}, ""},
		{"dense", RetrieverConfig{Method: Dense, DenseIndex: "d", Encoder: EncoderConfig{Dir: "e5"}}, ""},
		{"hybrid", RetrieverConfig{Method: Hybrid, Index: "ix", DenseIndex: "d", Encoder: EncoderConfig{URL: "http://e"}}, ""},
		{"server and index", RetrieverConfig{Index: "ix", URL: "http://x", Protocol: "flashrag"}, "url"},
		{"bad protocol", RetrieverConfig{URL: "http://x", Protocol: "grpc"}, "protocol"},
		{"bm25 without index", RetrieverConfig{Method: BM25, DenseIndex: "d"}, "index"},
		{"dense without index", RetrieverConfig{Method: Dense, Index: "ix"}, "dense_index"},
		{"hybrid without bm25", RetrieverConfig{Method: Hybrid, DenseIndex: "d", Encoder: EncoderConfig{Dir: "e5"}}, "index"},
		{"no encoder", RetrieverConfig{Method: Dense, DenseIndex: "d"}, "encoder"},
		{"two encoders", RetrieverConfig{Method: Dense, DenseIndex: "d", Encoder: EncoderConfig{Dir: "e5", URL: "http://e"}}, "encoder"},
		{"negative ef", RetrieverConfig{Method: Dense, DenseIndex: "d", Encoder: EncoderConfig{Dir: "e5"}, Ef: -1}, "ef"},
		{"unknown method", RetrieverConfig{Method: "sparse", Index: "ix"}, "method"},
	}
	for _, tc := range tests {
		err := tc.c.Check()
		var fe *FieldError
		switch {
		case tc.key == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.key != "" && (!errors.As(err, &fe) || fe.Key != tc.key):
			t.Errorf("%s: error %v, want one about %s", tc.name, err, tc.key)
		}
	}
}

// TestOpen: the tiny model in process with a BM25 index, and the errors
// that name what to fix.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	mdir := filepath.Join(dir, "model")
	if err := tinymodel.Copy(mdir, 256); err != nil {
		t.Fatal(err)
	}
	corpus := `{"id":"1","contents":"\"A\"\nA is a city."}` + "\n"
	ix := filepath.Join(dir, "ix")
	if _, err := bm25.Build(context.Background(), strings.NewReader(corpus), "corpus", ix, bm25.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := Open(Config{Template: "base", Policy: PolicyConfig{Model: mdir}, Retriever: RetrieverConfig{Index: ix}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Policy.(policy.Local); !ok || a.Model == nil || len(a.EOSIDs) == 0 || a.EOSText != "<|endoftext|>" {
		t.Errorf("policy %T, model %v, eos %v %q", a.Policy, a.Model != nil, a.EOSIDs, a.EOSText)
	}
	if _, ok := a.Retriever.(*bm25.Index); !ok {
		t.Errorf("retriever %T, want the BM25 index", a.Retriever)
	}
	a.Close()

	// bf16 keeps the in-process model's weights in BF16.
	a, err = Open(Config{Template: "base", Policy: PolicyConfig{Model: mdir, DType: "bf16"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Model.DType() != model.BF16 {
		t.Errorf("dtype bf16 opened a %s model", a.Model.DType())
	}
	a.Close()

	tests := []struct {
		name string
		c    Config
		key  string
	}{
		{"template", Config{Template: "chat", Tokenizer: mdir}, "template"},
		{"no tokenizer", Config{Template: "base", Policy: PolicyConfig{URL: "http://x"}}, "tokenizer"},
		{"two policies", Config{Template: "base", Policy: PolicyConfig{Model: mdir, URL: "http://x"}}, "model"},
		{"policy api", Config{Template: "base", Tokenizer: mdir, Policy: PolicyConfig{URL: "http://x", API: "grpc"}}, "api"},
		{"dtype", Config{Template: "base", Policy: PolicyConfig{Model: mdir, DType: "f16"}}, "dtype"},
		{"remote dtype", Config{Template: "base", Tokenizer: mdir, Policy: PolicyConfig{URL: "http://x", DType: "bf16"}}, "dtype"},
		{"missing index", Config{Template: "base", Tokenizer: mdir, Retriever: RetrieverConfig{Index: filepath.Join(dir, "none")}}, "index"},
	}
	for _, tc := range tests {
		_, err := Open(tc.c)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Key != tc.key {
			t.Errorf("%s: error %v, want one about %s", tc.name, err, tc.key)
		}
	}
}
