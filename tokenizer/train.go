package tokenizer

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TrainOptions configures a Trainer.
type TrainOptions struct {
	// VocabSize is the most ids there will be: 256 byte tokens, the merged
	// tokens and the special tokens. Training stops short of it when no
	// pair is frequent enough.
	VocabSize int
	// Special tokens get the last ids, in this order.
	Special []string
	// Pattern splits text into words; merges never cross words.
	Pattern Pattern
	// NFC normalises text (before training and encoding).
	NFC bool
	// MinFrequency stops training when the best pair is rarer (default 2).
	MinFrequency int
	// Progress, when set, is called after each merge with the number done
	// and the most there will be.
	Progress func(done, total int)
}

// Trainer learns a byte-level BPE vocabulary from a corpus: bytes are the
// alphabet and the most frequent adjacent pair within a word is merged into
// a new token until the vocabulary is full. Ids 0-255 are the bytes, merged
// tokens follow in merge order, special tokens come last.
type Trainer struct {
	opts  TrainOptions
	index map[string]int // word (raw bytes) → position in words
	words []trainWord
}

type trainWord struct {
	syms  []int32
	count int
}

// NewTrainer checks the options and returns an empty trainer.
func NewTrainer(opts TrainOptions) (*Trainer, error) {
	if opts.Pattern == 0 {
		opts.Pattern = PatternQwen2
	}
	if opts.MinFrequency <= 0 {
		opts.MinFrequency = 2
	}
	if opts.VocabSize < 256+len(opts.Special) {
		return nil, fmt.Errorf("train: vocab size %d is smaller than 256 bytes + %d special tokens", opts.VocabSize, len(opts.Special))
	}
	for i, s := range opts.Special {
		if s == "" || !utf8.ValidString(s) || slices.Contains(opts.Special[:i], s) {
			return nil, fmt.Errorf("train: special token %d (%q) is empty, not UTF-8 or repeated", i, s)
		}
	}
	return &Trainer{opts: opts, index: map[string]int{}}, nil
}

// Add counts the words of one text of the corpus. Special tokens in the
// text are not words and are skipped, as encoding would cut them out.
func (tr *Trainer) Add(text string) {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD") // as Encode does
	}
	for text != "" {
		cut, end := len(text), len(text)
		for _, s := range tr.opts.Special {
			if i := strings.Index(text, s); i >= 0 && (i < cut || i == cut && i+len(s) > end) {
				cut, end = i, i+len(s)
			}
		}
		tr.addPlain(text[:cut])
		text = text[end:]
	}
}

func (tr *Trainer) addPlain(text string) {
	if tr.opts.NFC {
		text = norm.NFC.String(text)
	}
	for i := 0; i < len(text); {
		j := tr.opts.Pattern.next(text, i)
		w := text[i:j]
		k, ok := tr.index[w]
		if !ok {
			syms := make([]int32, len(w))
			for b := range len(w) {
				syms[b] = int32(w[b])
			}
			k = len(tr.words)
			tr.index[w] = k
			tr.words = append(tr.words, trainWord{syms: syms})
		}
		tr.words[k].count++
		i = j
	}
}

// pairCount is a heap entry; entries go stale as counts change and are
// checked against the live count when popped.
type pairCount struct {
	pair  uint64
	count int
}

type pairHeap []pairCount

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].pair < h[j].pair // ties: smallest ids first, for determinism
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairCount)) }
func (h *pairHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}

// Train runs the merges and returns the tokenizer.
func (tr *Trainer) Train() (*Tokenizer, error) {
	if len(tr.words) == 0 {
		return nil, errors.New("train: the corpus is empty")
	}
	counts := map[uint64]int{}
	where := map[uint64]map[int]bool{} // pair → words holding it
	h := &pairHeap{}
	grown := map[uint64]bool{} // pairs whose count rose since the last push
	addPairs := func(k, sign int) {
		w := tr.words[k]
		for i := 0; i+1 < len(w.syms); i++ {
			p := pairKey(w.syms[i], w.syms[i+1])
			counts[p] += sign * w.count
			if sign > 0 {
				if where[p] == nil {
					where[p] = map[int]bool{}
				}
				where[p][k] = true
				grown[p] = true
			}
		}
	}
	pushGrown := func() {
		for p := range grown {
			heap.Push(h, pairCount{p, counts[p]})
		}
		clear(grown)
	}
	for k := range tr.words {
		addPairs(k, +1)
	}
	pushGrown()

	pieces := make([][]byte, 256, tr.opts.VocabSize)
	for b := range pieces {
		pieces[b] = []byte{byte(b)}
	}
	ids := map[string]int32{}
	for b := range pieces {
		ids[string(pieces[b])] = int32(b)
	}
	var merges [][2]int32
	target := tr.opts.VocabSize - len(tr.opts.Special)
	for len(pieces) < target && h.Len() > 0 {
		top := heap.Pop(h).(pairCount)
		if live := counts[top.pair]; live != top.count {
			if live > 0 {
				heap.Push(h, pairCount{top.pair, live})
			}
			continue
		}
		if top.count < tr.opts.MinFrequency {
			break
		}
		a, b := int32(top.pair>>32), int32(uint32(top.pair))
		joined := slices.Concat(pieces[a], pieces[b])
		id, ok := ids[string(joined)]
		if !ok {
			id = int32(len(pieces))
			pieces = append(pieces, joined)
			ids[string(joined)] = id
		}
		merges = append(merges, [2]int32{a, b})
		for k := range where[top.pair] {
			addPairs(k, -1)
			tr.words[k].syms = replacePair(tr.words[k].syms, a, b, id)
			addPairs(k, +1)
		}
		delete(where, top.pair)
		pushGrown()
		if tr.opts.Progress != nil {
			tr.opts.Progress(len(pieces)-256, target-256)
		}
	}
	return tr.tokenizer(pieces, merges)
}

// replacePair merges each non-overlapping (a, b), left to right, into id.
func replacePair(syms []int32, a, b, id int32) []int32 {
	out := syms[:0]
	for i := 0; i < len(syms); i++ {
		if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
			out = append(out, id)
			i++
			continue
		}
		out = append(out, syms[i])
	}
	return out
}

// tokenizer assembles the trained vocabulary into a Tokenizer.
func (tr *Trainer) tokenizer(pieces [][]byte, merges [][2]int32) (*Tokenizer, error) {
	c := config{vocab: make(map[string]int, len(pieces)), pattern: tr.opts.Pattern, nfc: tr.opts.NFC}
	for id, p := range pieces {
		c.vocab[byteLevelString(p)] = id
	}
	for _, m := range merges {
		c.merges = append(c.merges, [2]string{byteLevelString(pieces[m[0]]), byteLevelString(pieces[m[1]])})
	}
	for i, s := range tr.opts.Special {
		c.added = append(c.added, AddedToken{ID: len(pieces) + i, Content: s, Special: true})
	}
	return build(c)
}
