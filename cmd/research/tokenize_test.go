package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const trainedTokenizer = "../../tokenizer/testdata/trained/tokenizer.json"

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTokenizeRoundTrip: tokenize then detokenize gives back every text,
// with and without special-token parsing.
func TestTokenizeRoundTrip(t *testing.T) {
	texts := []string{"Hello world", "naïve café 🤖", "a<|im_end|>b"}
	in := writeTemp(t, "in.txt", texts[0]+"\n"+`{"text":"naïve café 🤖","id":"x"}`+"\n\n"+texts[2]+"\n")
	for _, special := range []bool{false, true} {
		args := []string{"tokenize", "--tokenizer", trainedTokenizer, in}
		if special {
			args = append(args, "--special")
		}
		ids, _, err := runCLI(t, "", args...)
		if err != nil {
			t.Fatal(err)
		}
		back := []string{"detokenize", "--tokenizer", trainedTokenizer, writeTemp(t, "ids.jsonl", ids)}
		if special {
			back = append(back, "--special")
		}
		out, _, err := runCLI(t, "", back...)
		if err != nil {
			t.Fatal(err)
		}
		recs := decodeLines(t, out)
		if len(recs) != len(texts) {
			t.Fatalf("special=%v: %d records, want %d", special, len(recs), len(texts))
		}
		for i, r := range recs {
			if r["text"] != texts[i] {
				t.Errorf("special=%v: record %d text %q, want %q", special, i, r["text"], texts[i])
			}
		}
		if recs[1]["id"] != "x" {
			t.Errorf("extra field lost: %v", recs[1])
		}
	}
}

func TestTokenizeErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		file string
		want string
	}{
		{[]string{"tokenize", "--tokenizer", "/nonexistent"}, "x\n", "nonexistent"},
		{[]string{"tokenize", "--tokenizer", trainedTokenizer}, "ok\n{\"text\":1}\n", "in:2"},
		{[]string{"tokenize", "--tokenizer", trainedTokenizer}, "{broken\n", "in:1"},
		{[]string{"detokenize", "--tokenizer", trainedTokenizer}, "1 2\n3 x\n", "in:2"},
		{[]string{"detokenize", "--tokenizer", trainedTokenizer}, "{\"ids\":[5000]}\n", "not in the vocabulary"},
	} {
		args := append(tc.args, writeTemp(t, "in", tc.file))
		_, _, err := runCLI(t, "", args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}
