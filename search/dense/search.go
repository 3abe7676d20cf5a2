package dense

import (
	"context"
	"fmt"

	"research/internal/topk"
	"research/search"
	"research/tensor"
)

// Hit is one search result: a passage number and its inner product with
// the query.
type Hit struct {
	Doc   int
	Score float32
}

// better orders hits best first, ties by lower passage number.
func better(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Doc < b.Doc
}

// chunkRows is how many stored vectors one matrix product covers: the
// scores of a batch of queries against them stay in cache for selection.
const chunkRows = 4096

// Exact returns the k passages with the largest inner product with each
// query: for each chunk of stored vectors, one matrix product with all the
// queries, then a bounded heap per query keeps the best k.
func (ix *Index) Exact(queries [][]float32, k int) ([][]Hit, error) {
	if k <= 0 {
		return nil, fmt.Errorf("k = %d, want k > 0", k)
	}
	v, d := ix.vecs, ix.Meta.Dim
	q := make([]float32, 0, len(queries)*d)
	for i, x := range queries {
		if len(x) != d {
			return nil, fmt.Errorf("query %d has %d dimensions, the index %d", i, len(x), d)
		}
		q = append(q, x...)
	}
	nq := len(queries)
	tops := make([]*topk.Heap[Hit], nq)
	for i := range tops {
		tops[i] = topk.New(k, better)
	}
	scores := make([]float32, nq*chunkRows)
	var buf []float32
	if v.dtype != F32 {
		buf = make([]float32, chunkRows*d)
	}
	for lo := 0; lo < v.n; lo += chunkRows {
		hi := min(v.n, lo+chunkRows)
		rows := hi - lo
		mat := v.rows(lo, hi, buf)
		tensor.Gemm(false, true, nq, rows, d, 1, q, d, mat, d, 0, scores, rows)
		for qi := range nq {
			s := scores[qi*rows : (qi+1)*rows]
			t := tops[qi]
			for j, sc := range s {
				if v.scales != nil {
					sc *= v.scales[lo+j]
				}
				if !t.Full() || sc >= t.Worst().Score {
					t.Offer(Hit{lo + j, sc})
				}
			}
		}
	}
	out := make([][]Hit, nq)
	for i := range tops {
		out[i] = tops[i].Sorted()
	}
	return out, nil
}

// Approx searches the HNSW graph with a candidate list of ef.
func (ix *Index) Approx(query []float32, k, ef int) ([]Hit, error) {
	if ix.graph == nil {
		return nil, fmt.Errorf("dense index has no HNSW graph (build it with an HNSW option)")
	}
	if k <= 0 {
		return nil, fmt.Errorf("k = %d, want k > 0", k)
	}
	if len(query) != ix.Meta.Dim {
		return nil, fmt.Errorf("query has %d dimensions, the index %d", len(query), ix.Meta.Dim)
	}
	res := ix.graph.Search(ix.vecs, query, k, ef)
	hits := make([]Hit, len(res))
	for i, r := range res {
		hits[i] = Hit{r.ID, r.Score}
	}
	return hits, nil
}

// Retriever is a search.Retriever over a dense index: it encodes queries
// (with the index's query prefix) and searches exactly, or with the HNSW
// graph when Ef > 0.
type Retriever struct {
	Index       *Index
	Encoder     Encoder
	QueryPrefix string
	Ef          int
}

// NewRetriever returns a retriever using the query prefix the index was
// built with; ef > 0 selects the HNSW graph.
func NewRetriever(ix *Index, enc Encoder, ef int) (*Retriever, error) {
	if ef > 0 && ix.graph == nil {
		return nil, fmt.Errorf("dense: ef = %d needs an HNSW graph, and the index has none", ef)
	}
	return &Retriever{Index: ix, Encoder: enc, QueryPrefix: ix.Meta.Prefixes.Query, Ef: ef}, nil
}

// Search implements search.Retriever.
func (r *Retriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	if k <= 0 {
		return nil, fmt.Errorf("dense: k = %d, want k > 0", k)
	}
	if len(queries) == 0 {
		return [][]search.Doc{}, nil
	}
	texts := make([]string, len(queries))
	for i, q := range queries {
		texts[i] = r.QueryPrefix + q
	}
	vecs, err := r.Encoder.Encode(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("dense: encode queries: %w", err)
	}
	if len(vecs) != len(queries) {
		return nil, fmt.Errorf("dense: encoder returned %d vectors for %d queries", len(vecs), len(queries))
	}
	var hits [][]Hit
	if r.Ef > 0 {
		hits = make([][]Hit, len(vecs))
		errs := make([]error, len(vecs))
		tensor.Parallel(len(vecs), 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i], errs[i] = r.Index.Approx(vecs[i], k, r.Ef)
			}
		})
		for i, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("dense: query %d: %w", i, err)
			}
		}
	} else if hits, err = r.Index.Exact(vecs, k); err != nil {
		return nil, fmt.Errorf("dense: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]search.Doc, len(hits))
	for i, hs := range hits {
		out[i] = make([]search.Doc, len(hs))
		for j, h := range hs {
			d, err := r.Index.Passage(h.Doc)
			if err != nil {
				return nil, fmt.Errorf("dense: %w", err)
			}
			d.Score = float64(h.Score)
			out[i][j] = d
		}
	}
	return out, nil
}
