package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"research/internal/safefile"
)

// Save writes the tokenizer as an HF tokenizer.json (format version 1.0)
// that HF tokenizers loads and encodes identically. The file is replaced
// atomically.
func (t *Tokenizer) Save(path string) error {
	data, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	return safefile.Write(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// MarshalJSON renders the tokenizer.json document, vocab in id order.
func (t *Tokenizer) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	w := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // only plain strings, numbers and maps of them
		}
		buf.Write(b)
	}
	var normalizer any
	if t.nfc {
		normalizer = map[string]any{"type": "NFC"}
	}
	// GPT-2's pattern is ByteLevel's own regex; others need a Split first.
	byteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}
	var preTokenizer any = map[string]any{"type": "ByteLevel", "add_prefix_space": t.addPrefixSpace, "trim_offsets": false, "use_regex": true}
	if t.pattern == PatternQwen2 {
		preTokenizer = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]string{"Regex": qwen2Regex}, "behavior": "Isolated", "invert": false},
			byteLevel,
		}}
	}
	added := []map[string]any{}
	for _, a := range t.AddedTokens() {
		added = append(added, map[string]any{"id": a.ID, "content": a.Content, "single_word": false,
			"lstrip": a.LStrip, "rstrip": a.RStrip, "normalized": a.Normalized, "special": a.Special})
	}

	buf.WriteString(`{"version":"1.0","truncation":null,"padding":null,"added_tokens":`)
	w(added)
	buf.WriteString(`,"normalizer":`)
	w(normalizer)
	buf.WriteString(`,"pre_tokenizer":`)
	w(preTokenizer)
	buf.WriteString(`,"post_processor":`)
	w(byteLevel)
	buf.WriteString(`,"decoder":`)
	w(byteLevel)
	buf.WriteString(`,"model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":"",` +
		`"end_of_word_suffix":"","fuse_unk":false,"byte_fallback":false,"ignore_merges":`)
	w(t.model.ignoreMerges)
	buf.WriteString(`,"vocab":{`)
	first := true
	for id, tok := range t.tokens {
		if !t.inModel[id] {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		w(tok)
		fmt.Fprintf(&buf, ":%d", id)
	}
	buf.WriteString(`},"merges":[`)
	for i, m := range t.merges {
		if i > 0 {
			buf.WriteByte(',')
		}
		w(t.tokens[m[0]] + " " + t.tokens[m[1]])
	}
	buf.WriteString("]}}\n")
	return buf.Bytes(), nil
}
