package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Save writes the tokenizer as an HF tokenizer.json (format version 1.0)
// that HF tokenizers loads and encodes identically. The file is replaced
// atomically.
func (t *Tokenizer) Save(path string) error {
	data, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
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

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so readers never see a partial file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}
