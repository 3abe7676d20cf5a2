package tokenizer

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzTokenizers are the tokenizers the fuzzers run: the committed trained
// one always, Qwen2.5 and GPT-2 when ../shared is present.
func fuzzTokenizers(f *testing.F) []*Tokenizer {
	tks := []*Tokenizer{trained(f)}
	for _, rel := range []string{"tokenizers/qwen2.5/tokenizer.json", "tokenizers/gpt2"} {
		if _, err := os.Stat(shared + "/" + rel); err == nil {
			tk, err := Load(shared + "/" + rel)
			if err != nil {
				f.Fatal(err)
			}
			tks = append(tks, tk)
		}
	}
	return tks
}

// expectedText is what decoding the encoding of s must give: s with each
// stretch between added tokens NFC-normalised (HF normalises those stretches
// separately, so NFC never joins a mark to the end of an added token).
func expectedText(tk *Tokenizer, s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var sb strings.Builder
	for s != "" {
		start, end, a := tk.raw.find(s, true)
		if a == nil {
			start, end = len(s), len(s)
		}
		sb.WriteString(normNFCIf(tk, s[:start]))
		if a != nil {
			sb.WriteString(a.Content)
		}
		s = s[end:]
	}
	return sb.String()
}

// FuzzEncode: no input panics, ids are in the vocabulary, and decoding
// gives back the (normalised) text. For text without added tokens that is
// exactly NFC(s).
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "Hello world", " \t\n\r\n  x", "it's I'LL", "a\u0085b\ufeff",
		"e\u0301 ≯ >\u0338", "<|im_end|>\u0338", "🤖🦙 我想", "\xff\xfe", "3333 ½Ⅻ"} {
		f.Add(s)
	}
	tks := fuzzTokenizers(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, tk := range tks {
			ids := tk.Encode(s)
			got, err := tk.Decode(ids, false)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedText(tk, s)
			if tk.findAddedNone(s) && utf8.ValidString(s) {
				want = normNFCIf(tk, s)
			}
			if got != want {
				t.Fatalf("%s: decode(encode(%q)) = %q, want %q", tk.pattern, s, got, want)
			}
			if ord, _ := tk.Decode(tk.EncodeOrdinary(s), false); ord != normNFCIf(tk, strings.ToValidUTF8(s, "\uFFFD")) && tk.findAddedNone(s) {
				t.Fatalf("EncodeOrdinary(%q) decodes to %q", s, ord)
			}
		}
	})
}

// findAddedNone reports whether s holds no added token.
func (t *Tokenizer) findAddedNone(s string) bool {
	_, _, a := t.raw.find(s, true)
	return a == nil
}

// FuzzStreamDecoder: any id sequence streams to exactly Decode's text, in
// pieces that are each valid UTF-8.
func FuzzStreamDecoder(f *testing.F) {
	f.Add([]byte{0xF0, 0x9F, 0x98, 0x80, 'a'}, uint8(1))
	f.Add([]byte{0xE2, 0x82, 0xFF, 0x20}, uint8(2))
	tk := trained(f)
	f.Fuzz(func(t *testing.T, raw []byte, step uint8) {
		ids := make([]int, len(raw))
		for i, b := range raw {
			ids[i] = int(b) // ids 0-255 are single bytes in the trained vocab
			if i%3 == 2 {
				ids[i] = int(b) * 4 % tk.VocabSize()
			}
		}
		want, err := tk.Decode(ids, false)
		if err != nil {
			t.Fatal(err)
		}
		n := int(step%8) + 1
		d := tk.NewStreamDecoder(false)
		var sb strings.Builder
		for i := 0; i < len(ids); i += n {
			piece, err := d.Next(ids[i:min(i+n, len(ids))]...)
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.ValidString(piece) {
				t.Fatalf("invalid piece %q", piece)
			}
			sb.WriteString(piece)
		}
		sb.WriteString(d.Flush())
		if sb.String() != want {
			t.Fatalf("stream %q, Decode %q", sb.String(), want)
		}
	})
}

// FuzzLoadJSON: a malformed tokenizer.json is an error, never a panic.
func FuzzLoadJSON(f *testing.F) {
	good, err := os.ReadFile(trainedJSON)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"version":"1.0","model":{"type":"BPE","vocab":{"a":0},"merges":["a a"]}}`))
	f.Add([]byte(`{"version":"1.0","pre_tokenizer":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{"a":-1},"merges":[["a","a"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := parseJSON(data)
		if err == nil {
			tk.Encode("Hello, world! 123")
		}
	})
}
