// Package tokenizer implements HuggingFace-compatible byte-level BPE
// tokenizers (GPT-2, Qwen2/Qwen2.5): loading tokenizer.json or a
// vocab.json + merges.txt pair, encoding with added and special tokens,
// decoding (also incrementally, for streaming), the Qwen2.5 chat template and
// a BPE trainer that writes tokenizer.json files HF's library reads.
//
// Encoding reproduces HF tokenizers id for id: added tokens are cut out of
// the text first, the rest is NFC-normalised (when the tokenizer says so),
// split by the pre-tokenizer pattern, mapped to bytes and merged by rank.
package tokenizer

import (
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// AddedToken is a token matched verbatim in the text before pre-tokenization,
// as in the "added_tokens" list of tokenizer.json.
type AddedToken struct {
	ID      int    `json:"id"`
	Content string `json:"content"`
	// Special tokens are control tokens: Decode can skip them and
	// EncodeOrdinary treats their text as plain text.
	Special bool `json:"special"`
	// LStrip and RStrip make the match swallow whitespace on that side.
	LStrip bool `json:"lstrip"`
	RStrip bool `json:"rstrip"`
	// Normalized tokens are looked for in the normalised text, in their
	// normalised form; the others in the raw text, first.
	Normalized bool `json:"normalized"`
}

// Tokenizer is a byte-level BPE tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	model          bpe
	pattern        Pattern
	nfc            bool
	addPrefixSpace bool

	added      []AddedToken // by id
	raw        addedMatcher // added tokens matched before normalisation
	normalized addedMatcher // and after

	pieces  [][]byte // id → the bytes it decodes to; nil for unused ids
	special []bool   // id → is a special added token
	inModel []bool   // id → is in the BPE model's vocab (not only added)
	ids     map[string]int
	tokens  []string   // id → its string in the vocabulary (byte-level form)
	merges  [][2]int32 // in rank order, for Save
}

// VocabSize is one more than the largest id.
func (t *Tokenizer) VocabSize() int { return len(t.pieces) }

// TokenID returns the id of a token given in its vocabulary form (byte-level
// alphabet for model tokens, the content for added tokens).
func (t *Tokenizer) TokenID(token string) (int, bool) {
	id, ok := t.ids[token]
	return id, ok
}

// Token returns the vocabulary form of an id.
func (t *Tokenizer) Token(id int) (string, bool) {
	if id < 0 || id >= len(t.tokens) || t.pieces[id] == nil {
		return "", false
	}
	return t.tokens[id], true
}

// AddedTokens lists the added tokens, ordered by id.
func (t *Tokenizer) AddedTokens() []AddedToken {
	return slices.Clone(t.added)
}

// IsSpecial reports whether id is a special added token.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.special) && t.special[id]
}

// Pattern is the pre-tokenizer split pattern.
func (t *Tokenizer) Pattern() Pattern { return t.pattern }

// Encode returns the ids of text as HF's encode(text,
// add_special_tokens=False) does: every added token, special or not, is
// recognised in the text. Invalid UTF-8 is first replaced by U+FFFD.
func (t *Tokenizer) Encode(text string) []int {
	return t.encode(text, true)
}

// EncodeOrdinary is Encode with special tokens treated as plain text, for
// text that must not inject control tokens (documents, user data).
// Non-special added tokens are still recognised.
func (t *Tokenizer) EncodeOrdinary(text string) []int {
	return t.encode(text, false)
}

func (t *Tokenizer) encode(text string, special bool) []int {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	ids := make([]int, 0, len(text)/3+1)
	for text != "" {
		start, end, tok := t.raw.find(text, special)
		if tok == nil {
			return t.encodeSegment(ids, text, special)
		}
		ids = t.encodeSegment(ids, text[:start], special)
		ids = append(ids, tok.ID)
		text = text[end:]
	}
	return ids
}

// encodeSegment encodes text between raw-matched added tokens: normalise
// it, then cut out the added tokens matched in normalised form.
func (t *Tokenizer) encodeSegment(ids []int, text string, special bool) []int {
	if text == "" {
		return ids
	}
	if t.nfc {
		text = norm.NFC.String(text)
	}
	for text != "" {
		start, end, tok := t.normalized.find(text, special)
		if tok == nil {
			return t.encodePlain(ids, text)
		}
		ids = t.encodePlain(ids, text[:start])
		ids = append(ids, tok.ID)
		text = text[end:]
	}
	return ids
}

// encodePlain encodes normalised text that holds no added tokens.
func (t *Tokenizer) encodePlain(ids []int, text string) []int {
	if text == "" {
		return ids
	}
	if t.addPrefixSpace && text[0] != ' ' {
		text = " " + text
	}
	for i := 0; i < len(text); {
		j := t.pattern.next(text, i)
		ids = t.model.encode(ids, text[i:j])
		i = j
	}
	return ids
}

func normNFC(s string) string { return norm.NFC.String(s) }
