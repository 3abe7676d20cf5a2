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

// sharedTexts returns every text of the shared corpora in gen_ids.js's
// order: wiki18 contents, 2Wiki "title\ntext", then for HotpotQA and MuSiQue
// each question followed by its paragraphs.
func sharedTexts(t *testing.T, dir string) []string {
	read := func(name string) []byte {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	unmarshal := func(raw []byte, v any) {
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
	var texts []string
	for _, line := range strings.Split(strings.TrimSpace(string(read("wiki18_sample_1000.jsonl"))), "\n") {
		var p struct{ Contents string }
		unmarshal([]byte(line), &p)
		texts = append(texts, p.Contents)
	}
	var ps []struct{ Title, Text string }
	unmarshal(read("2wiki_dev_corpus.json"), &ps)
	for _, p := range ps {
		texts = append(texts, p.Title+"\n"+p.Text)
	}
	for _, line := range strings.Split(string(read("hotpotqa_dev500_distractor.jsonl")), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var q struct {
			Question string
			Context  [][2]json.RawMessage
		}
		unmarshal([]byte(line), &q)
		texts = append(texts, q.Question)
		for _, c := range q.Context {
			var title string
			var sents []string
			unmarshal(c[0], &title)
			unmarshal(c[1], &sents)
			texts = append(texts, title+"\n"+strings.Join(sents, ""))
		}
	}
	var mq []struct {
		Question   string
		Paragraphs []struct {
			Title         string
			ParagraphText string `json:"paragraph_text"`
		}
	}
	unmarshal(read("musique_train100_with_paragraphs.json"), &mq)
	for _, q := range mq {
		texts = append(texts, q.Question)
		for _, p := range q.Paragraphs {
			texts = append(texts, p.Title+"\n"+p.ParagraphText)
		}
	}
	return texts
}

// TestSharedCorpus compares the ids of every shared corpus text (passages
// and questions) at max length 512 with HF's, by hash.
func TestSharedCorpus(t *testing.T) {
	dir := "../../../../shared/data/corpus"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s: %v", dir, err)
	}
	texts := sharedTexts(t, dir)
	want, err := os.ReadFile("testdata/hashes.txt")
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
		if hex.EncodeToString(sum[:8]) != lines[i] {
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
