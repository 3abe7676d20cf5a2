package tokenizer

import (
	"container/heap"
	"sync"
)

// merge is the result of joining a pair of tokens: the merge's rank (its
// line in the merges list, lower merges first) and the joined token's id.
type merge struct{ rank, id int32 }

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// bpe is the byte-level BPE model: it turns one pre-token into ids.
type bpe struct {
	byteID       [256]int32
	merges       map[uint64]merge
	ignoreMerges bool           // a pre-token found whole in the vocabulary is one token
	vocab        map[string]int // raw bytes → id, for ignoreMerges

	mu    sync.RWMutex
	cache map[string][]int32
}

// cacheLimit bounds the word cache; once full, new words are not cached.
const cacheLimit = 1 << 17

// shortWord is the length up to which the quadratic merge loop beats the heap.
const shortWord = 48

// encode appends the ids of one pre-token (raw bytes) to dst.
func (m *bpe) encode(dst []int, word string) []int {
	if len(word) == 1 {
		return append(dst, int(m.byteID[word[0]]))
	}
	m.mu.RLock()
	ids, ok := m.cache[word]
	m.mu.RUnlock()
	if !ok {
		ids = m.merge(word)
		m.mu.Lock()
		if len(m.cache) < cacheLimit {
			m.cache[word] = ids
		}
		m.mu.Unlock()
	}
	for _, id := range ids {
		dst = append(dst, int(id))
	}
	return dst
}

// merge runs BPE on a word: repeatedly join the adjacent pair with the
// lowest merge rank, leftmost first, until no pair has a merge.
func (m *bpe) merge(word string) []int32 {
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return []int32{int32(id)}
		}
	}
	syms := make([]int32, len(word))
	for i := 0; i < len(word); i++ {
		syms[i] = m.byteID[word[i]]
	}
	if len(syms) > shortWord {
		return m.mergeHeap(syms)
	}
	return m.mergeQuadratic(syms)
}

// mergeQuadratic is merge for short words: scan for the best pair, join it,
// repeat.
func (m *bpe) mergeQuadratic(syms []int32) []int32 {
	for len(syms) > 1 {
		best, at := merge{rank: -1}, -1
		for i := 0; i+1 < len(syms); i++ {
			mg, ok := m.merges[pairKey(syms[i], syms[i+1])]
			if ok && (at < 0 || mg.rank < best.rank) {
				best, at = mg, i
			}
		}
		if at < 0 {
			break
		}
		syms[at] = best.id
		syms = append(syms[:at+1], syms[at+2:]...)
	}
	return syms
}

// candidate is a possible merge of the symbol at pos with its right
// neighbour, valid while both still hold the ids it was made from.
type candidate struct {
	rank, id    int32
	pos         int
	left, right int32
}

type candidates []candidate

func (h candidates) Len() int { return len(h) }
func (h candidates) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h candidates) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candidates) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candidates) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// mergeHeap is merge for long words: a priority queue of candidate merges
// over a linked list of symbols keeps it O(n log n) instead of O(n²).
func (m *bpe) mergeHeap(syms []int32) []int32 {
	n := len(syms)
	prev, next := make([]int, n), make([]int, n)
	for i := range syms {
		prev[i], next[i] = i-1, i+1
	}
	next[n-1] = -1
	h := &candidates{}
	push := func(i int) {
		if i < 0 || next[i] < 0 {
			return
		}
		a, b := syms[i], syms[next[i]]
		if mg, ok := m.merges[pairKey(a, b)]; ok {
			heap.Push(h, candidate{rank: mg.rank, id: mg.id, pos: i, left: a, right: b})
		}
	}
	for i := 0; i+1 < n; i++ {
		push(i)
	}
	for h.Len() > 0 {
		c := heap.Pop(h).(candidate)
		j := next[c.pos]
		if syms[c.pos] != c.left || j < 0 || syms[j] != c.right {
			continue // stale: one side was merged away since
		}
		syms[c.pos] = c.id
		syms[j] = -1
		next[c.pos] = next[j]
		if next[j] >= 0 {
			prev[next[j]] = c.pos
		}
		push(prev[c.pos])
		push(c.pos)
	}
	out := make([]int32, 0, n)
	for i := 0; i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}
