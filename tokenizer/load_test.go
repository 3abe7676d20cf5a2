package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAddedIDsAsHF: renumber.json lists wrong ids for its added tokens;
// HF renumbers them (renumber_hf.jsonl holds its encodings) and so must we.
func TestAddedIDsAsHF(t *testing.T) {
	tk, err := Load("testdata/renumber.json")
	if err != nil {
		t.Fatal(err)
	}
	checkEncodings(t, tk, readEncodings(t, "testdata/renumber_hf.jsonl"))
}

// TestLoadErrors: what we cannot reproduce exactly is refused, with an
// error naming the part.
func TestLoadErrors(t *testing.T) {
	good, err := os.ReadFile(trainedJSON)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string) string {
		if !strings.Contains(string(good), old) {
			t.Fatalf("fixture lacks %q", old)
		}
		return strings.Replace(string(good), old, new, 1)
	}
	for _, tc := range []struct{ json, want string }{
		{"{", "unexpected end"},
		{edit(`"version":"1.0"`, `"version":"2.0"`), "version"},
		{edit(`{"type":"NFC"}`, `{"type":"NFKC"}`), "normalizer"},
		{edit(`\\s+(?!\\S)|\\s+"`, `\\s+"`), "split regex"},
		{edit(`"behavior":"Isolated"`, `"behavior":"Removed"`), "Isolated"},
		{edit(`"decoder":{"add_prefix_space":false,"trim_offsets":false,"type":"ByteLevel"`, `"decoder":{"type":"Metaspace"`), "decoder"},
		{edit(`"type":"BPE"`, `"type":"Unigram"`), "model: type"},
		{edit(`"dropout":null`, `"dropout":0.1`), "dropout"},
		{edit(`"continuing_subword_prefix":""`, `"continuing_subword_prefix":"##"`), "continuing_subword_prefix"},
		{edit(`"merges":["`, `"merges":["x y","`), "merge 1"},
		{edit(`"merges":["`, `"merges":["xy","`), "model.merges[0]"},
		{edit(`"!":33,`, ``), "byte"},
		{edit(`"single_word":false`, `"single_word":true`), "single_word"},
	} {
		_, err := parseJSON([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one containing %q", err, tc.want)
		}
	}
}

func TestLoadPaths(t *testing.T) {
	if _, err := Load("testdata/trained"); err != nil {
		t.Errorf("directory with tokenizer.json: %v", err)
	}
	for _, p := range []string{"testdata/nonexistent.json", "testdata/reference"} {
		if _, err := Load(p); err == nil {
			t.Errorf("Load(%q) succeeded", p)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "vocab.json"), []byte(`{"a":0}`), 0o644)
	os.WriteFile(filepath.Join(dir, "merges.txt"), []byte("#version: 0.2\na a b\n"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "merges.txt:2") {
		t.Errorf("bad merges line: %v", err)
	}
}

// TestNormalizedAddedAsHF: added tokens with normalized=true are found in
// the NFC-normalised text in NFC form, the others in the raw text first;
// normalized_hf.jsonl holds HF's encodings.
func TestNormalizedAddedAsHF(t *testing.T) {
	tk, err := Load("testdata/normalized.json")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range readEncodings(t, "testdata/normalized_hf.jsonl") {
		if got := tk.Encode(c.Text); !slices.Equal(got, c.IDs) {
			t.Errorf("case %d %q: got %v, want %v", i, c.Text, got, c.IDs)
		}
	}
}
