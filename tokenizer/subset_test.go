package tokenizer

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

// A subset fixture is a real tokenizer cut down to the merges that BPE
// meets while encoding a given set of texts, with the original ids. On
// those texts it behaves exactly as the full tokenizer: at every step of
// every word the candidate merges, and so the chosen one, are the same.
// This lets the reference cases run on a clean clone without the 6 MB
// Qwen2.5 tokenizer.json. generate.sh checks with HF tokenizers that the
// subset files give the reference ids too.
var subsetFixtures = []struct {
	file  string
	full  func(testing.TB) *Tokenizer
	cases []string // reference files whose texts the subset covers
}{
	{"testdata/qwen2.5_subset.json", qwen, []string{
		"testdata/reference/qwen2.5_encodings.jsonl", "llama:ggml-vocab-qwen2.gguf",
		"testdata/qwen2.5_edge.jsonl", "testdata/qwen2.5_chat_ids.jsonl"}},
	{"testdata/gpt2_subset.json", gpt2, []string{
		"llama:ggml-vocab-gpt-2.gguf", "testdata/gpt2_edge.jsonl"}},
}

// loadCases reads a reference file: JSONL {text, ids}, or a llama.cpp
// vector pair named "llama:NAME" under testdata/reference.
func loadCases(t *testing.T, name string) []encodingCase {
	if llama, ok := strings.CutPrefix(name, "llama:"); ok {
		return readLlamaCppVectors(t, llama)
	}
	return readEncodings(t, name)
}

// subset cuts tk down to what encoding texts uses.
func subset(tk *Tokenizer, texts []string) (*Tokenizer, error) {
	usedTok := map[int32]bool{}
	usedPair := map[uint64]bool{}
	for b := range 256 {
		usedTok[tk.model.byteID[b]] = true
	}
	for _, text := range texts {
		tk.eachWord(text, func(word string) {
			syms := make([]int32, len(word))
			for i := range len(word) {
				syms[i] = tk.model.byteID[word[i]]
			}
			for len(syms) > 1 {
				best, at := merge{}, -1
				for i := 0; i+1 < len(syms); i++ {
					key := pairKey(syms[i], syms[i+1])
					mg, ok := tk.model.merges[key]
					if !ok {
						continue
					}
					usedPair[key] = true
					if at < 0 || mg.rank < best.rank {
						best, at = mg, i
					}
				}
				if at < 0 {
					break
				}
				usedTok[best.id] = true
				syms[at] = best.id
				syms = slices.Delete(syms, at+1, at+2)
			}
		})
	}
	c := config{vocab: map[string]int{}, pattern: tk.pattern, nfc: tk.nfc, addPrefixSpace: tk.addPrefixSpace}
	for _, m := range tk.merges {
		if key := pairKey(m[0], m[1]); usedPair[key] {
			c.merges = append(c.merges, [2]string{tk.tokens[m[0]], tk.tokens[m[1]]})
			usedTok[m[0]], usedTok[m[1]], usedTok[tk.model.merges[key].id] = true, true, true
		}
	}
	for id := range usedTok {
		c.vocab[tk.tokens[id]] = int(id)
	}
	// Added tokens go into the model vocab too: HF keeps the vocab id of an
	// added token found there, and would renumber the others.
	c.added = tk.AddedTokens()
	for _, a := range c.added {
		c.vocab[a.Content] = a.ID
	}
	return build(c)
}

// eachWord calls fn with every pre-token that encoding text runs BPE on.
func (t *Tokenizer) eachWord(text string, fn func(string)) {
	split := func(m *addedMatcher, text string, plain func(string)) {
		for text != "" {
			start, end, a := m.find(text, true)
			if a == nil {
				start, end = len(text), len(text)
			}
			plain(text[:start])
			text = text[end:]
		}
	}
	split(&t.raw, strings.ToValidUTF8(text, "\uFFFD"), func(seg string) {
		split(&t.normalized, normNFCIf(t, seg), func(plain string) {
			if t.addPrefixSpace && plain != "" && plain[0] != ' ' {
				plain = " " + plain
			}
			for i := 0; i < len(plain); {
				j := t.pattern.next(plain, i)
				fn(plain[i:j])
				i = j
			}
		})
	})
}

// TestSubsetFixtures rebuilds the subset fixtures from the full tokenizers
// and checks they are what is committed (-update rewrites them).
func TestSubsetFixtures(t *testing.T) {
	for _, sf := range subsetFixtures {
		full := sf.full(t)
		var texts []string
		for _, name := range sf.cases {
			for _, c := range loadCases(t, name) {
				texts = append(texts, c.Text)
			}
		}
		sub, err := subset(full, texts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sub.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := sub.Save(sf.file); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(sf.file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale (run go test -run TestSubsetFixtures -update)", sf.file)
		}
	}
}

// TestReferenceCopies: the reference files under testdata/reference are
// byte-for-byte the shared conformance files.
func TestReferenceCopies(t *testing.T) {
	entries, err := os.ReadDir("testdata/reference")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		orig, err := os.ReadFile(needShared(t, "conformance/tokenizer/"+e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := os.ReadFile("testdata/reference/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(orig, cp) {
			t.Errorf("testdata/reference/%s differs from the shared original", e.Name())
		}
	}
}
