package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load reads a tokenizer from a tokenizer.json file, or from a directory
// holding tokenizer.json, vocab.json + merges.txt, or GPT-2's encoder.json +
// vocab.bpe. A vocab/merges pair gets GPT-2's pre-tokenizer and no
// normalizer; use LoadVocabMerges for other settings.
func Load(path string) (*Tokenizer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	if !st.IsDir() {
		return LoadJSON(path)
	}
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(path, name))
		return err == nil
	}
	switch {
	case exists("tokenizer.json"):
		return LoadJSON(filepath.Join(path, "tokenizer.json"))
	case exists("vocab.json") && exists("merges.txt"):
		return LoadVocabMerges(filepath.Join(path, "vocab.json"), filepath.Join(path, "merges.txt"), PatternGPT2, false)
	case exists("encoder.json") && exists("vocab.bpe"):
		return LoadVocabMerges(filepath.Join(path, "encoder.json"), filepath.Join(path, "vocab.bpe"), PatternGPT2, false)
	}
	return nil, fmt.Errorf("load tokenizer: %s holds neither tokenizer.json, vocab.json+merges.txt nor encoder.json+vocab.bpe", path)
}

// LoadVocabMerges reads a vocab.json (token → id) and merges.txt pair.
// A vocabulary entry "<|endoftext|>" becomes a special token, as in the
// GPT-2 and Qwen2 tokenizers that ship in this form.
func LoadVocabMerges(vocabPath, mergesPath string, pattern Pattern, nfc bool) (*Tokenizer, error) {
	data, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("load vocab: %w", err)
	}
	var vocab map[string]int
	if err := json.Unmarshal(data, &vocab); err != nil {
		return nil, fmt.Errorf("load vocab %s: %w", vocabPath, err)
	}
	merges, err := readMerges(mergesPath)
	if err != nil {
		return nil, err
	}
	c := config{vocab: vocab, merges: merges, pattern: pattern, nfc: nfc}
	if id, ok := vocab["<|endoftext|>"]; ok {
		c.added = []AddedToken{{ID: id, Content: "<|endoftext|>", Special: true}}
	}
	t, err := build(c)
	if err != nil {
		return nil, fmt.Errorf("load %s + %s: %w", vocabPath, mergesPath, err)
	}
	return t, nil
}

func readMerges(path string) ([][2]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load merges: %w", err)
	}
	defer f.Close()
	var merges [][2]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" || (line == 1 && strings.HasPrefix(text, "#version")) {
			continue
		}
		m, ok := parseMerge(text)
		if !ok {
			return nil, fmt.Errorf("%s:%d: want two tokens separated by one space, got %q", path, line, text)
		}
		merges = append(merges, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read merges %s: %w", path, err)
	}
	return merges, nil
}

// fileJSON is the part of HF's tokenizer.json that byte-level BPE uses.
type fileJSON struct {
	Version       string          `json:"version"`
	AddedTokens   []addedJSON     `json:"added_tokens"`
	Normalizer    *componentJSON  `json:"normalizer"`
	PreTokenizer  *componentJSON  `json:"pre_tokenizer"`
	PostProcessor *componentJSON  `json:"post_processor"`
	Decoder       *componentJSON  `json:"decoder"`
	Model         modelJSON       `json:"model"`
	Truncation    json.RawMessage `json:"truncation"`
	Padding       json.RawMessage `json:"padding"`
}

type addedJSON struct {
	AddedToken
	SingleWord bool `json:"single_word"`
}

// componentJSON is a normalizer, pre-tokenizer, post-processor or decoder.
type componentJSON struct {
	Type           string                           `json:"type"`
	Normalizers    []*componentJSON                 `json:"normalizers"`
	Pretokenizers  []*componentJSON                 `json:"pretokenizers"`
	Pattern        *struct{ Regex, String *string } `json:"pattern"`
	Behavior       string                           `json:"behavior"`
	Invert         bool                             `json:"invert"`
	AddPrefixSpace bool                             `json:"add_prefix_space"`
	UseRegex       *bool                            `json:"use_regex"`
}

type modelJSON struct {
	Type                    string          `json:"type"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
}

// LoadJSON reads an HF tokenizer.json holding a byte-level BPE model.
// Parts it cannot reproduce exactly are refused with an error rather than
// approximated.
func LoadJSON(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	t, err := parseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer %s: %w", path, err)
	}
	return t, nil
}

func parseJSON(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Version != "1.0" {
		return nil, fmt.Errorf("version %q: only tokenizer.json version 1.0 is known", f.Version)
	}
	c := config{}
	var err error
	if c.nfc, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, err
	}
	if c.pattern, c.addPrefixSpace, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, err
	}
	if f.Decoder != nil && f.Decoder.Type != "ByteLevel" {
		return nil, fmt.Errorf("decoder: type %q is not supported (want ByteLevel)", f.Decoder.Type)
	}
	if c.merges, err = parseMerges(f.Model.Merges); err != nil {
		return nil, err
	}
	if err := checkModel(f.Model); err != nil {
		return nil, err
	}
	c.vocab, c.ignoreMerges = f.Model.Vocab, f.Model.IgnoreMerges
	for _, a := range f.AddedTokens {
		if a.SingleWord {
			return nil, fmt.Errorf("added token %q: single_word is not supported", a.Content)
		}
	}
	c.added = assignAddedIDs(f.AddedTokens, f.Model.Vocab)
	return build(c)
}

// assignAddedIDs gives added tokens the ids HF gives them when it loads a
// tokenizer.json, which are not always the ids written in the file: a token
// in the model vocab keeps its vocab id, the others are numbered from the
// vocab's size on, in file order; a repeated content keeps its first id and
// its last flags.
func assignAddedIDs(tokens []addedJSON, vocab map[string]int) []AddedToken {
	var out []AddedToken
	index := map[string]int{} // content → position in out
	next := len(vocab)
	for _, a := range tokens {
		t := a.AddedToken
		if t.Content == "" {
			continue // HF ignores empty added tokens
		}
		if k, ok := index[t.Content]; ok {
			t.ID = out[k].ID
			out[k] = t
			continue
		}
		if id, ok := vocab[t.Content]; ok {
			t.ID = id
		} else {
			t.ID = next
			next++
		}
		index[t.Content] = len(out)
		out = append(out, t)
	}
	return out
}

func checkModel(m modelJSON) error {
	switch {
	case m.Type != "BPE":
		return fmt.Errorf("model: type %q is not supported (want BPE)", m.Type)
	case m.Dropout != nil && *m.Dropout != 0:
		return errors.New("model: BPE dropout is not supported")
	case m.ByteFallback:
		return errors.New("model: byte_fallback is not supported (byte-level BPE needs none)")
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
		return errors.New("model: continuing_subword_prefix is not supported")
	case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return errors.New("model: end_of_word_suffix is not supported")
	case len(m.Vocab) == 0:
		return errors.New("model: empty vocab")
	}
	return nil
}

func parseNormalizer(n *componentJSON) (nfc bool, err error) {
	if n == nil {
		return false, nil
	}
	switch n.Type {
	case "NFC":
		return true, nil
	case "Sequence":
		for _, m := range n.Normalizers {
			ok, err := parseNormalizer(m)
			if err != nil {
				return false, err
			}
			nfc = nfc || ok
		}
		return nfc, nil
	}
	return false, fmt.Errorf("normalizer: type %q is not supported (want NFC or none)", n.Type)
}

// parsePreTokenizer accepts ByteLevel alone (GPT-2's regex when use_regex)
// or Sequence[Split(known regex, Isolated), ByteLevel(use_regex=false)].
func parsePreTokenizer(p *componentJSON) (Pattern, bool, error) {
	if p == nil {
		return 0, false, errors.New("pre_tokenizer: missing; byte-level BPE needs ByteLevel")
	}
	switch p.Type {
	case "ByteLevel":
		if p.UseRegex != nil && !*p.UseRegex {
			return 0, false, errors.New("pre_tokenizer: ByteLevel without a regex split is not supported")
		}
		return PatternGPT2, p.AddPrefixSpace, nil
	case "Sequence":
		if len(p.Pretokenizers) != 2 {
			break
		}
		split, bl := p.Pretokenizers[0], p.Pretokenizers[1]
		if split.Type != "Split" || bl.Type != "ByteLevel" || (bl.UseRegex != nil && *bl.UseRegex) {
			break
		}
		if split.Behavior != "Isolated" || split.Invert || split.Pattern == nil || split.Pattern.Regex == nil {
			return 0, false, errors.New("pre_tokenizer: Split must use a Regex with behavior Isolated, not inverted")
		}
		if bl.AddPrefixSpace {
			// HF would prefix every split piece, not each text: refuse it.
			return 0, false, errors.New("pre_tokenizer: ByteLevel add_prefix_space after a Split is not supported")
		}
		switch *split.Pattern.Regex {
		case qwen2Regex:
			return PatternQwen2, false, nil
		case gpt2Regex:
			return PatternGPT2, false, nil
		}
		return 0, false, fmt.Errorf("pre_tokenizer: split regex %q is not one of the supported patterns (GPT-2, Qwen2)", *split.Pattern.Regex)
	}
	return 0, false, fmt.Errorf("pre_tokenizer: type %q is not supported (want ByteLevel or Sequence[Split, ByteLevel])", p.Type)
}

// parseMerges accepts both merge encodings: "a b" strings and ["a","b"] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return nil, fmt.Errorf("model.merges: want strings \"a b\" or pairs [\"a\",\"b\"]: %w", err)
	}
	merges := make([][2]string, len(lines))
	for i, l := range lines {
		m, ok := parseMerge(l)
		if !ok {
			return nil, fmt.Errorf("model.merges[%d]: want two tokens separated by one space, got %q", i, l)
		}
		merges[i] = m
	}
	return merges, nil
}
