package server

import (
	"net/http"
	"strings"

	"research/search"
)

// wireDoc is a passage on the wire: {"id", "contents"}.
type wireDoc struct {
	ID       string `json:"id"`
	Contents string `json:"contents"`
}

func toWire(docs []search.Doc) ([]wireDoc, []float64) {
	w := make([]wireDoc, len(docs))
	scores := make([]float64, len(docs))
	for i, d := range docs {
		w[i] = wireDoc{ID: d.ID, Contents: d.Contents}
		scores[i] = d.Score
	}
	return w, scores
}

// flashragRequest is the body of /search (Query a string) and /batch_search
// (Query a list of strings).
type flashragRequest[Q any] struct {
	Query       *Q       `json:"query"`
	TopN        *float64 `json:"top_n"`
	ReturnScore bool     `json:"return_score"`
}

// handleSearch answers POST /search {"query", "top_n"=10, "return_score"}
// with [docs], or [[docs], [scores]] when return_score is set.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	var req flashragRequest[string]
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Query == nil {
		return &httpError{status: http.StatusUnprocessableEntity, detail: `field "query" is required`}
	}
	if strings.TrimSpace(*req.Query) == "" {
		return &httpError{status: http.StatusBadRequest, detail: "Query content cannot be empty"}
	}
	k, err := s.topN("top_n", req.TopN, 10)
	if err != nil {
		return err
	}
	res, release, err := s.search(r.Context(), []string{*req.Query}, k)
	if err != nil {
		return err
	}
	defer release()
	docs, scores := toWire(res[0])
	if req.ReturnScore {
		return writeJSON(w, http.StatusOK, []any{docs, scores})
	}
	return writeJSON(w, http.StatusOK, docs)
}

// handleBatchSearch answers POST /batch_search {"query": [...], "top_n",
// "return_score"} with [[docs]...], or [[[docs]...], [[scores]...]].
func (s *Server) handleBatchSearch(w http.ResponseWriter, r *http.Request) error {
	var req flashragRequest[[]string]
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Query == nil {
		return &httpError{status: http.StatusUnprocessableEntity, detail: `field "query" is required`}
	}
	k, err := s.topN("top_n", req.TopN, 10)
	if err != nil {
		return err
	}
	res, release, err := s.search(r.Context(), *req.Query, k)
	if err != nil {
		return err
	}
	defer release()
	docs := make([][]wireDoc, len(res))
	scores := make([][]float64, len(res))
	for i, ds := range res {
		docs[i], scores[i] = toWire(ds)
	}
	if req.ReturnScore {
		return writeJSON(w, http.StatusOK, []any{docs, scores})
	}
	return writeJSON(w, http.StatusOK, docs)
}

// retrieveRequest is the body of Search-R1's POST /retrieve.
type retrieveRequest struct {
	Queries      *[]string `json:"queries"`
	TopK         *float64  `json:"topk"`
	ReturnScores bool      `json:"return_scores"`
}

// scoredDoc is one /retrieve result with return_scores.
type scoredDoc struct {
	Document wireDoc `json:"document"`
	Score    float64 `json:"score"`
}

// handleRetrieve answers POST /retrieve {"queries", "topk", "return_scores"}
// with {"result": [[{"document": doc, "score": s}...]...]}, or with
// {"result": [[doc...]...]} when return_scores is false. A topk of 0 or null
// means the default, as in the reference ("if not request.topk").
func (s *Server) handleRetrieve(w http.ResponseWriter, r *http.Request) error {
	var req retrieveRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Queries == nil {
		return &httpError{status: http.StatusUnprocessableEntity, detail: `field "queries" is required`}
	}
	if req.TopK != nil && *req.TopK == 0 {
		req.TopK = nil
	}
	k, err := s.topN("topk", req.TopK, s.cfg.DefaultTopK)
	if err != nil {
		return err
	}
	res, release, err := s.search(r.Context(), *req.Queries, k)
	if err != nil {
		return err
	}
	defer release()
	if !req.ReturnScores {
		out := make([][]wireDoc, len(res))
		for i, ds := range res {
			out[i], _ = toWire(ds)
		}
		return writeJSON(w, http.StatusOK, map[string]any{"result": out})
	}
	out := make([][]scoredDoc, len(res))
	for i, ds := range res {
		out[i] = make([]scoredDoc, len(ds))
		for j, d := range ds {
			out[i][j] = scoredDoc{Document: wireDoc{ID: d.ID, Contents: d.Contents}, Score: d.Score}
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"result": out})
}

// handleHealth answers GET /health as the ReSearch server does.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{
		"status":     "healthy",
		"retrievers": map[string]int{"total": 1, "available": 1},
	})
}
