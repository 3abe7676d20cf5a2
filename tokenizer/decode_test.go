package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func trained(t testing.TB) *Tokenizer {
	t.Helper()
	tk, err := Load(trainedJSON)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// TestLossy checks U+FFFD replacement against Rust's from_utf8_lossy, whose
// results for these inputs are given in the Rust documentation and the
// Unicode "maximal subpart" practice (one U+FFFD per maximal invalid prefix).
func TestLossy(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "abc"},
		{"\xff", "\uFFFD"},
		{"a\xe2\x82", "a\uFFFD"},               // truncated 3-byte sequence: one
		{"\xe2\x82a", "\uFFFDa"},               // truncated, then ASCII
		{"\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"}, // overlong: E0 needs A0-BF next
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // surrogate
		{"\xf0\x9f\x98", "\uFFFD"},             // truncated emoji
		{"\xf0\x9f\x98\x80", "😀"},
		{"\xc3\x28", "\uFFFD("},
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // above U+10FFFF
	} {
		got, n := appendLossy(nil, []byte(tc.in), true)
		if string(got) != tc.want || n != len(tc.in) {
			t.Errorf("lossy(%q) = %q (%d bytes), want %q", tc.in, got, n, tc.want)
		}
	}
}

func TestDecodeSpecial(t *testing.T) {
	tk := trained(t)
	ids := tk.Encode("<|im_start|>user\nhi<|im_end|>")
	with, err := tk.Decode(ids, false)
	if err != nil || with != "<|im_start|>user\nhi<|im_end|>" {
		t.Errorf("Decode = %q, %v", with, err)
	}
	without, err := tk.Decode(ids, true)
	if err != nil || without != "user\nhi" {
		t.Errorf("Decode(skip special) = %q, %v", without, err)
	}
	for _, bad := range [][]int{{-1}, {tk.VocabSize()}, {1 << 40}} {
		if _, err := tk.Decode(bad, false); err == nil {
			t.Errorf("Decode(%v) succeeded, want an error", bad)
		}
	}
}

func TestEncodeOrdinary(t *testing.T) {
	tk := trained(t)
	text := "a<|im_end|>b"
	if ids := tk.Encode(text); !slices.Contains(ids, mustID(t, tk, "<|im_end|>")) {
		t.Errorf("Encode(%q) = %v lacks the special token", text, ids)
	}
	ids := tk.EncodeOrdinary(text)
	if slices.ContainsFunc(ids, tk.IsSpecial) {
		t.Errorf("EncodeOrdinary(%q) = %v holds a special token", text, ids)
	}
	if got, _ := tk.Decode(ids, true); got != text {
		t.Errorf("EncodeOrdinary text does not round-trip: %q", got)
	}
}

func mustID(t *testing.T, tk *Tokenizer, tok string) int {
	id, ok := tk.TokenID(tok)
	if !ok {
		t.Fatalf("no token %q", tok)
	}
	return id
}

// TestStreamDecoder feeds an emoji-heavy text one id at a time: every
// piece must be valid UTF-8 and the pieces must add up to Decode.
func TestStreamDecoder(t *testing.T) {
	tk := trained(t)
	text := "emoji 🤖🦙 and CJK 我想在apple工作, Führer café<|im_end|>"
	ids := tk.Encode(text)
	for _, skip := range []bool{false, true} {
		d := tk.NewStreamDecoder(skip)
		var sb strings.Builder
		for _, id := range ids {
			piece, err := d.Next(id)
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.ValidString(piece) || strings.ContainsRune(piece, utf8.RuneError) {
				t.Errorf("piece %q splits a character", piece)
			}
			sb.WriteString(piece)
		}
		sb.WriteString(d.Flush())
		want, _ := tk.Decode(ids, skip)
		if sb.String() != want {
			t.Errorf("stream = %q, want %q", sb.String(), want)
		}
	}
	d := tk.NewStreamDecoder(false)
	if _, err := d.Next(0xE2, -5); err == nil {
		t.Error("Next with a bad id succeeded")
	}
	if got := d.Flush(); got != "" {
		t.Errorf("a failed Next left %q behind", got)
	}
	// A lone lead byte is held, then flushed as U+FFFD.
	if got, _ := d.Next(0xE2); got != "" {
		t.Errorf("lead byte emitted %q early", got)
	}
	if got := d.Flush(); got != "\uFFFD" {
		t.Errorf("Flush = %q, want U+FFFD", got)
	}
}

// TestMergeHeapAgrees checks the heap merge of long words against the
// plain quadratic loop on the same words.
func TestMergeHeapAgrees(t *testing.T) {
	tk := trained(t)
	for _, word := range []string{
		strings.Repeat("the ", 40), strings.Repeat("a", 200), strings.Repeat("ab", 77),
		strings.Repeat("Thermodynamics", 9), strings.Repeat("我想", 30),
	} {
		syms := make([]int32, len(word))
		for i := range len(word) {
			syms[i] = tk.model.byteID[word[i]]
		}
		quad := tk.model.mergeQuadratic(slices.Clone(syms))
		heap := tk.model.mergeHeap(slices.Clone(syms))
		if !slices.Equal(quad, heap) {
			t.Errorf("%q: quadratic %v, heap %v", word[:20], quad, heap)
		}
	}
}
