// Package wordpiece is the WordPiece tokenizer of BERT-family encoders (E5,
// BGE, DPR), read from a Hugging Face tokenizer.json: the BERT normalizer
// (control-character cleanup, CJK spacing, accent stripping, lower-casing),
// the BERT pre-tokenizer (whitespace and punctuation splitting), greedy
// longest-match-first WordPiece, and [CLS] … [SEP] with truncation.
//
// It lives under search/dense rather than in package tokenizer because only
// the dense retriever's encoder uses it, and it shares nothing with the
// byte-level BPE there: no byte alphabet, no merges, a different normalizer.
package wordpiece

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Tokenizer turns text into WordPiece ids. It is safe for concurrent use.
type Tokenizer struct {
	vocab           map[string]int
	prefix          string // continuing-subword prefix, "##"
	maxCharsPerWord int
	lowercase       bool
	stripAccents    bool
	cleanText       bool
	chineseChars    bool
	unk, cls, sep   int
	added           []addedToken // matched in the raw text before normalization
}

// addedToken is a special token such as [MASK] that HF matches verbatim in
// the input text.
type addedToken struct {
	content string
	id      int
}

// tokenizerJSON is the part of tokenizer.json a WordPiece tokenizer needs.
type tokenizerJSON struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		Normalized bool   `json:"normalized"`
	} `json:"added_tokens"`
	Normalizer *struct {
		Type               string `json:"type"`
		CleanText          *bool  `json:"clean_text"`
		HandleChineseChars *bool  `json:"handle_chinese_chars"`
		StripAccents       *bool  `json:"strip_accents"`
		Lowercase          *bool  `json:"lowercase"`
	} `json:"normalizer"`
	Model struct {
		Type                    string         `json:"type"`
		UnkToken                string         `json:"unk_token"`
		ContinuingSubwordPrefix *string        `json:"continuing_subword_prefix"`
		MaxInputCharsPerWord    int            `json:"max_input_chars_per_word"`
		Vocab                   map[string]int `json:"vocab"`
	} `json:"model"`
}

// Load reads a WordPiece tokenizer.json.
func Load(path string) (*Tokenizer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wordpiece: %w", err)
	}
	t, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("wordpiece: %s: %w", path, err)
	}
	return t, nil
}

// Parse builds a tokenizer from the bytes of a tokenizer.json.
func Parse(raw []byte) (*Tokenizer, error) {
	var j tokenizerJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if j.Model.Type != "WordPiece" {
		return nil, fmt.Errorf("model.type = %q, want \"WordPiece\"", j.Model.Type)
	}
	if len(j.Model.Vocab) == 0 {
		return nil, fmt.Errorf("model.vocab is empty")
	}
	t := &Tokenizer{vocab: j.Model.Vocab, prefix: "##", maxCharsPerWord: j.Model.MaxInputCharsPerWord}
	if j.Model.ContinuingSubwordPrefix != nil {
		t.prefix = *j.Model.ContinuingSubwordPrefix
	}
	if t.maxCharsPerWord <= 0 {
		t.maxCharsPerWord = 100
	}
	// HF's BertNormalizer defaults: everything on, accents follow lowercase.
	t.cleanText, t.chineseChars, t.lowercase = true, true, true
	if n := j.Normalizer; n != nil {
		if n.Type != "BertNormalizer" {
			return nil, fmt.Errorf("normalizer.type = %q, only BertNormalizer is supported", n.Type)
		}
		set := func(dst *bool, v *bool) {
			if v != nil {
				*dst = *v
			}
		}
		set(&t.cleanText, n.CleanText)
		set(&t.chineseChars, n.HandleChineseChars)
		set(&t.lowercase, n.Lowercase)
	} else {
		t.cleanText, t.chineseChars, t.lowercase = false, false, false
	}
	t.stripAccents = t.lowercase
	if n := j.Normalizer; n != nil && n.StripAccents != nil {
		t.stripAccents = *n.StripAccents
	}
	for _, s := range []struct {
		name string
		id   *int
	}{{j.Model.UnkToken, &t.unk}, {"[CLS]", &t.cls}, {"[SEP]", &t.sep}} {
		id, ok := t.vocab[s.name]
		if !ok {
			return nil, fmt.Errorf("vocabulary has no %q token", s.name)
		}
		*s.id = id
	}
	for _, a := range j.AddedTokens {
		if a.Normalized {
			return nil, fmt.Errorf("added token %q is matched after normalization; only raw-text added tokens are supported", a.Content)
		}
		if a.Content != "" {
			t.added = append(t.added, addedToken{a.Content, a.ID})
		}
	}
	// Longest first, so that at one position the longest token wins.
	slices.SortStableFunc(t.added, func(a, b addedToken) int { return len(b.content) - len(a.content) })
	return t, nil
}

// VocabSize is one more than the largest id.
func (t *Tokenizer) VocabSize() int {
	n := 0
	for _, id := range t.vocab {
		n = max(n, id+1)
	}
	return n
}

// Encode returns the ids of text as a single sequence, [CLS] tokens [SEP],
// truncated (dropping tokens from the end) to at most maxLen ids in all.
// maxLen <= 0 means no limit.
func (t *Tokenizer) Encode(text string, maxLen int) []int {
	ids := []int{t.cls}
	for text != "" {
		i, tok := t.nextAdded(text)
		for _, w := range t.words(t.normalize(text[:i])) {
			ids = t.appendWord(ids, w)
		}
		if tok == nil {
			break
		}
		ids = append(ids, tok.id)
		text = text[i+len(tok.content):]
	}
	if maxLen > 0 && len(ids) > maxLen-1 {
		ids = ids[:max(maxLen-1, 1)]
	}
	return append(ids, t.sep)
}

// nextAdded finds the leftmost added token in s, the longest at that
// position; it returns len(s) and nil if there is none.
func (t *Tokenizer) nextAdded(s string) (int, *addedToken) {
	for i := range len(s) {
		for k := range t.added {
			if strings.HasPrefix(s[i:], t.added[k].content) {
				return i, &t.added[k]
			}
		}
	}
	return len(s), nil
}

// normalize applies the BertNormalizer steps in HF's order.
func (t *Tokenizer) normalize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if t.cleanText {
			if r == 0 || r == 0xfffd || isControl(r) {
				continue
			}
			if isWhitespace(r) {
				r = ' '
			}
		}
		if t.chineseChars && isChinese(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	s = b.String()
	if t.stripAccents {
		b.Reset()
		for _, r := range norm.NFD.String(s) {
			if !unicode.Is(unicode.Mn, r) {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	if t.lowercase {
		s = lower(s)
	}
	return s
}

// lower lower-cases rune by rune as Rust's char::to_lowercase does (no
// context-sensitive final sigma); U+0130 expands to "i̇" there.
func lower(s string) string {
	return strings.Map(unicode.ToLower, strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// words splits normalized text on whitespace and isolates punctuation.
func (t *Tokenizer) words(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		switch {
		case unicode.IsSpace(r):
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		case isPunct(r):
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			out = append(out, string(r))
		default:
			if start < 0 {
				start = i
			}
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// appendWord appends the greedy longest-match-first pieces of one word, or
// [UNK] for the whole word if some part of it matches nothing.
func (t *Tokenizer) appendWord(ids []int, w string) []int {
	runes := []rune(w)
	if len(runes) > t.maxCharsPerWord {
		return append(ids, t.unk)
	}
	n := len(ids)
	for start := 0; start < len(runes); {
		end, id := len(runes), -1
		for ; end > start; end-- {
			piece := string(runes[start:end])
			if start > 0 {
				piece = t.prefix + piece
			}
			if v, ok := t.vocab[piece]; ok {
				id = v
				break
			}
		}
		if id < 0 {
			return append(ids[:n], t.unk)
		}
		ids = append(ids, id)
		start = end
	}
	return ids
}

// isWhitespace is HF's BERT whitespace test.
func isWhitespace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || unicode.Is(unicode.White_Space, r)
}

// isControl is HF's BERT control test: Unicode "other" categories except
// tab, newline and carriage return.
func isControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C)
}

// isPunct is HF's BERT punctuation test: ASCII punctuation (which includes
// symbols such as $ and +) or any Unicode punctuation category.
func isPunct(r rune) bool {
	return r < 128 && unicode.IsPrint(r) && !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' || unicode.IsPunct(r)
}

// isChinese reports whether r is a CJK ideograph, as BERT defines it.
func isChinese(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF ||
		r >= 0x20000 && r <= 0x2A6DF || r >= 0x2A700 && r <= 0x2B73F ||
		r >= 0x2B740 && r <= 0x2B81F || r >= 0x2B820 && r <= 0x2CEAF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x2F800 && r <= 0x2FA1F
}
