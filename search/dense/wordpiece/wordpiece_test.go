package wordpiece

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func load(t testing.TB) *Tokenizer {
	t.Helper()
	tok, err := Load("testdata/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestMatchesHF compares ids with HF tokenizers (testdata/gen_ids.js) on
// edge cases and the first 200 wiki18 passages, whole and truncated to 32.
func TestMatchesHF(t *testing.T) {
	tok := load(t)
	f, err := os.Open("testdata/ids.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	n := 0
	for sc.Scan() {
		var c struct {
			Text  string `json:"text"`
			IDs   []int  `json:"ids"`
			IDs32 []int  `json:"ids32"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		if got := tok.Encode(c.Text, 0); !slices.Equal(got, c.IDs) {
			t.Errorf("%q:\n got %v\nwant %v", c.Text, got, c.IDs)
		}
		if got := tok.Encode(c.Text, 32); !slices.Equal(got, c.IDs32) {
			t.Errorf("%q truncated to 32:\n got %v\nwant %v", c.Text, got, c.IDs32)
		}
	}
	if n < 200 {
		t.Fatalf("only %d cases read", n)
	}
}

// TestSharedCorpus compares the ids of every shared corpus text (wiki18
// sample, then 2Wiki) at max length 512 with HF's, by hash.
func TestSharedCorpus(t *testing.T) {
	dir := "../../../../shared/data/corpus"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s: %v", dir, err)
	}
	var texts []string
	wiki, err := os.ReadFile(filepath.Join(dir, "wiki18_sample_1000.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(wiki)), "\n") {
		var p struct{ Contents string }
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, p.Contents)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "2wiki_dev_corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ps []struct{ Title, Text string }
	if err := json.Unmarshal(raw, &ps); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		texts = append(texts, p.Title+"\n"+p.Text)
	}
	want, err := os.ReadFile("testdata/hashes.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(want)), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("%d hashes for %d texts", len(lines), len(texts))
	}
	tok := load(t)
	bad := 0
	for i, text := range texts {
		ids := tok.Encode(text, 512)
		s := make([]string, len(ids))
		for j, id := range ids {
			s[j] = strconv.Itoa(id)
		}
		sum := sha256.Sum256([]byte(strings.Join(s, ",")))
		if got := `{"sha":"` + hex.EncodeToString(sum[:8]) + `"}`; got != lines[i] {
			if bad++; bad <= 5 {
				t.Errorf("text %d %.80q: ids differ from HF", i, text)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d texts differ", bad, len(texts))
	}
	t.Logf("%d texts match HF tokenizers", len(texts))
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, json, want string }{
		{"not json", `{`, "invalid JSON"},
		{"bpe", `{"model":{"type":"BPE","vocab":{"a":0}}}`, "want \"WordPiece\""},
		{"empty vocab", `{"model":{"type":"WordPiece","vocab":{}}}`, "vocab is empty"},
		{"no cls", `{"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"[SEP]":1}}}`, `no "[CLS]"`},
		{"normalizer", `{"normalizer":{"type":"NFC"},"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0}}}`, "BertNormalizer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func FuzzEncode(f *testing.F) {
	tok := load(f)
	for _, s := range []string{"Hello, World!", "北京 Café [MASK]", "\x00\xff", strings.Repeat("ab", 80)} {
		f.Add(s, 16)
	}
	f.Fuzz(func(t *testing.T, s string, maxLen int) {
		maxLen %= 600
		ids := tok.Encode(s, maxLen)
		if len(ids) < 2 || ids[0] != tok.cls || ids[len(ids)-1] != tok.sep {
			t.Fatalf("ids %v not framed by [CLS] … [SEP]", ids)
		}
		if maxLen >= 2 && len(ids) > maxLen {
			t.Fatalf("%d ids > max %d", len(ids), maxLen)
		}
	})
}

func FuzzParse(f *testing.F) {
	raw, err := os.ReadFile("testdata/tokenizer.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw[:2000])
	f.Add([]byte(`{"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2,"a":3}},"added_tokens":[{"id":0,"content":"[UNK]"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data)
		if err != nil {
			return
		}
		tok.Encode("Hello, wörld [UNK] 北京", 8) // must not panic
	})
}
