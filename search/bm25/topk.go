package bm25

import (
	"container/heap"
	"slices"
)

// better orders hits best first: higher score, then lower doc id, so that
// rankings are deterministic when scores tie.
func better(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Doc < b.Doc
}

// topK keeps the k best hits seen, worst at the root.
type topK struct {
	k    int
	hits []Hit
}

func (t *topK) Len() int           { return len(t.hits) }
func (t *topK) Less(i, j int) bool { return better(t.hits[j], t.hits[i]) }
func (t *topK) Swap(i, j int)      { t.hits[i], t.hits[j] = t.hits[j], t.hits[i] }
func (t *topK) Push(x any)         { t.hits = append(t.hits, x.(Hit)) }
func (t *topK) Pop() any {
	h := t.hits[len(t.hits)-1]
	t.hits = t.hits[:len(t.hits)-1]
	return h
}

// offer adds h if it is among the k best and reports whether it was.
func (t *topK) offer(h Hit) bool {
	if len(t.hits) < t.k {
		heap.Push(t, h)
		return true
	}
	if !better(h, t.hits[0]) {
		return false
	}
	t.hits[0] = h
	heap.Fix(t, 0)
	return true
}

// threshold is the score a new doc must beat to enter, or -1 while the
// heap is not full (all BM25 scores are positive).
func (t *topK) threshold() float64 {
	if len(t.hits) < t.k {
		return -1
	}
	return t.hits[0].Score
}

// sorted returns the hits best first.
func (t *topK) sorted() []Hit {
	out := slices.Clone(t.hits)
	slices.SortFunc(out, func(a, b Hit) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return out
}
