package main

import (
	"os"
	"path/filepath"
	"strconv"
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
		flag := "--special=" + strconv.FormatBool(special)
		ids, _, err := runCLI(t, "", "tokenize", "--tokenizer", trainedTokenizer, flag, in)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := runCLI(t, "", "detokenize", "--tokenizer", trainedTokenizer, flag, writeTemp(t, "ids.jsonl", ids))
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

// TestTrainTokenizer trains on a small corpus, then tokenizes with the
// result and decodes back, with and without the special token.
func TestTrainTokenizer(t *testing.T) {
	corpus := strings.Repeat("the cat sat on the mat\n{\"contents\":\"a hat for the cat\"}\n{\"text\":\"that fat cat\"}\n", 20)
	out := filepath.Join(t.TempDir(), "tok.json")
	if _, _, err := runCLI(t, "", "train-tokenizer", "--vocab-size", "300", "--output", out, writeTemp(t, "corpus", corpus)); err != nil {
		t.Fatal(err)
	}
	ids, _, err := runCLI(t, "", "tokenize", "--special", "--tokenizer", out, writeTemp(t, "in", "the cat<|im_end|>\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := decodeLines(t, ids)[0]["ids"].([]any)
	if len(got) > 4 {
		t.Errorf("ids %v: want merged tokens", got)
	}
	for special, want := range map[bool]string{false: "the cat", true: "the cat<|im_end|>"} {
		// Flags keep their values between runs in one process: always set them.
		text, _, err := runCLI(t, "", "detokenize", "--tokenizer", out, "--special="+strconv.FormatBool(special), writeTemp(t, "ids", ids))
		if err != nil || decodeLines(t, text)[0]["text"] != want {
			t.Errorf("special=%v: %s, %v; want %q", special, text, err, want)
		}
	}
	if _, _, err := runCLI(t, "", "train-tokenizer", "--vocab-size", "10", "--output", out, writeTemp(t, "c", "x\n")); err == nil {
		t.Error("vocab size 10: want an error")
	}
}
