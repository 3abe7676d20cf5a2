package bm25

import "research/internal/topk"

// better orders hits best first: higher score, then lower doc id, so that
// rankings are deterministic when scores tie.
func better(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Doc < b.Doc
}

// threshold is the score a new doc must beat to enter top, or -1 while
// top is not full (all BM25 scores are positive).
func threshold(top *topk.Heap[Hit]) float64 {
	if !top.Full() {
		return -1
	}
	return top.Worst().Score
}
