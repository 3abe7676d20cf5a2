package tokenizer

import (
	"fmt"
	"slices"
	"strings"
)

// config is everything a Tokenizer is made from, whatever the file format.
type config struct {
	vocab          map[string]int // byte-level token string → id
	merges         [][2]string    // in rank order
	added          []AddedToken
	pattern        Pattern
	nfc            bool
	addPrefixSpace bool
	ignoreMerges   bool
}

// maxSparseID bounds the ids of a vocabulary with gaps.
const maxSparseID = 1 << 20

// build checks a config and turns it into a Tokenizer.
func build(c config) (*Tokenizer, error) {
	size := 0
	for _, id := range c.vocab {
		if id < 0 {
			return nil, fmt.Errorf("vocab: negative id %d", id)
		}
		size = max(size, id+1)
	}
	for _, a := range c.added {
		if a.ID < 0 || a.Content == "" {
			return nil, fmt.Errorf("added token %q: id %d: need a non-negative id and non-empty content", a.Content, a.ID)
		}
		size = max(size, a.ID+1)
	}
	// Ids index tables: refuse ids far beyond the number of tokens rather
	// than allocate for them (a sparse subset of a real vocab still fits).
	if limit := max(2*(len(c.vocab)+len(c.added))+256, maxSparseID); size > limit {
		return nil, fmt.Errorf("vocab: id %d is far beyond the %d tokens defined", size-1, len(c.vocab)+len(c.added))
	}
	t := &Tokenizer{
		pattern:        c.pattern,
		nfc:            c.nfc,
		addPrefixSpace: c.addPrefixSpace,
		pieces:         make([][]byte, size),
		special:        make([]bool, size),
		inModel:        make([]bool, size),
		tokens:         make([]string, size),
		ids:            make(map[string]int, len(c.vocab)+len(c.added)),
	}
	t.model.ignoreMerges = c.ignoreMerges
	t.model.vocab = make(map[string]int, len(c.vocab))
	t.model.cache = make(map[string][]int32)
	for tok, id := range c.vocab {
		if t.pieces[id] != nil && t.tokens[id] != tok {
			return nil, fmt.Errorf("vocab: id %d is used by both %q and %q", id, t.tokens[id], tok)
		}
		t.pieces[id], t.tokens[id], t.ids[tok] = tokenBytes(tok), tok, id
		t.inModel[id] = true
		t.model.vocab[string(t.pieces[id])] = id
	}
	for b := 0; b < 256; b++ {
		tok := string(byteToRune[b])
		id, ok := c.vocab[tok]
		if !ok {
			return nil, fmt.Errorf("vocab: byte-level token %q for byte 0x%02x is missing", tok, b)
		}
		t.model.byteID[b] = int32(id)
	}
	t.model.merges = make(map[uint64]merge, len(c.merges))
	for rank, m := range c.merges {
		a, okA := c.vocab[m[0]]
		b, okB := c.vocab[m[1]]
		ab, okAB := c.vocab[m[0]+m[1]]
		if !okA || !okB || !okAB {
			return nil, fmt.Errorf("merge %d (%q %q): a token or their join is not in the vocab", rank+1, m[0], m[1])
		}
		t.merges = append(t.merges, [2]int32{int32(a), int32(b)})
		// A repeated pair keeps its last rank, as in HF.
		t.model.merges[pairKey(int32(a), int32(b))] = merge{rank: int32(rank), id: int32(ab)}
	}
	var raw, normalized []AddedToken
	for _, a := range c.added {
		t.pieces[a.ID], t.tokens[a.ID], t.ids[a.Content] = tokenBytes(a.Content), a.Content, a.ID
		t.special[a.ID] = a.Special
		if a.Normalized && c.nfc {
			normalized = append(normalized, a)
		} else {
			raw = append(raw, a)
		}
	}
	t.added = slices.Clone(c.added)
	slices.SortFunc(t.added, func(a, b AddedToken) int { return a.ID - b.ID })
	t.raw = newAddedMatcher(raw, func(s string) string { return s })
	t.normalized = newAddedMatcher(normalized, normNFC)
	return t, nil
}

// parseMerge splits a merges.txt line "a b" into its two tokens.
func parseMerge(line string) ([2]string, bool) {
	a, b, ok := strings.Cut(line, " ")
	if !ok || a == "" || b == "" || strings.Contains(b, " ") {
		return [2]string{}, false
	}
	return [2]string{a, b}, true
}
