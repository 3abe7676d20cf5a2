// Package hybrid fuses the rankings of several retrievers (BM25 and dense)
// by reciprocal-rank fusion (Cormack, Clarke and Büttcher, 2009): a passage
// scores Σ 1/(K + rank) over the lists it appears in, rank counted from 1.
// RRF needs no score calibration between BM25's unbounded scores and
// cosine similarities, which is why it is the usual hybrid baseline.
package hybrid

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"research/search"
)

// DefaultK is the RRF constant of the original paper.
const DefaultK = 60

// Retriever fuses the results of its retrievers. It is safe for concurrent
// use when they are.
type Retriever struct {
	Retrievers []search.Retriever
	K          int // RRF constant; 0 means DefaultK
	// Depth is how many passages each retriever contributes per query;
	// 0 means max(k, 50).
	Depth int
}

// Search implements search.Retriever: it queries every retriever at once
// and fuses their lists per query.
func (r *Retriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	if k <= 0 {
		return nil, fmt.Errorf("hybrid: k = %d, want k > 0", k)
	}
	depth := r.Depth
	if depth <= 0 {
		depth = max(k, 50)
	}
	lists := make([][][]search.Doc, len(r.Retrievers))
	errs := make([]error, len(r.Retrievers))
	var wg sync.WaitGroup
	for i, ret := range r.Retrievers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], errs[i] = ret.Search(ctx, queries, depth)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("hybrid: retriever %d: %w", i, err)
		}
		if len(lists[i]) != len(queries) {
			return nil, fmt.Errorf("hybrid: retriever %d answered %d of %d queries", i, len(lists[i]), len(queries))
		}
	}
	c := r.K
	if c <= 0 {
		c = DefaultK
	}
	out := make([][]search.Doc, len(queries))
	for q := range queries {
		per := make([][]search.Doc, len(lists))
		for i := range lists {
			per[i] = lists[i][q]
		}
		out[q] = Fuse(per, k, c)
	}
	return out, nil
}

// Fuse merges ranked lists (best first) by reciprocal-rank fusion with
// constant c and returns the k best, their Score set to the fused score.
// Passages are identified by ID; a passage's fields come from the first
// list that holds it. Ties go to the passage seen first.
func Fuse(lists [][]search.Doc, k, c int) []search.Doc {
	type entry struct {
		doc   search.Doc
		score float64
		order int
	}
	byID := map[string]*entry{}
	var all []*entry
	for _, list := range lists {
		for rank, d := range list {
			e, ok := byID[d.ID]
			if !ok {
				e = &entry{doc: d, order: len(all)}
				byID[d.ID] = e
				all = append(all, e)
			}
			e.score += 1 / float64(c+rank+1)
		}
	}
	slices.SortStableFunc(all, func(a, b *entry) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.order - b.order
	})
	out := make([]search.Doc, min(k, len(all)))
	for i := range out {
		out[i] = all[i].doc
		out[i].Score = all[i].score
	}
	return out
}
