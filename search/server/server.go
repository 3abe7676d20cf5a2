// Package server is an HTTP search server over any search.Retriever that
// speaks the wire formats of the two Python retrievers in use:
//
//   - ReSearch / FlashRAG (scripts/serving/retriever_serving.py):
//     POST /search, POST /batch_search, GET /health;
//   - Search-R1 and veRL's search tool (search_r1/search/retrieval_server.py):
//     POST /retrieve.
//
// Request and response bodies have exactly the reference shapes. Errors are
// JSON objects {"detail": "..."} as FastAPI writes them: 400 for an empty
// /search query (as the reference), 422 for a body that does not fit the
// schema or the limits, 413 for an oversized body, 401 for a missing or
// wrong API key. A client's mistake is never a 5xx.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"research/internal/httpguard"
	"research/search"
)

// Config configures a Server. Zero limits take the defaults below.
type Config struct {
	Retriever search.Retriever
	// APIKey, if set, must be sent as "Authorization: Bearer KEY" on every
	// route but /health.
	APIKey string
	// MaxBodyBytes caps request bodies (default 1 MiB).
	MaxBodyBytes int64
	// MaxBatch caps the number of queries in one request (default 1024).
	MaxBatch int
	// MaxTopN caps top_n and topk (default 100).
	MaxTopN int
	// DefaultTopK is /retrieve's topk when the request has none (default 3,
	// as Search-R1's server).
	DefaultTopK int
	// SearchTimeout bounds the search of one request (default 30 s).
	SearchTimeout time.Duration
	// MaxInFlight bounds the requests handled at once (default 64); more
	// get 503 with Retry-After before their bodies are read.
	MaxInFlight int
	// MaxPassagesInFlight bounds the passages (queries × top_n) being
	// searched and answered at once (default 262,144, at least MaxBatch ×
	// MaxTopN); a request that would pass it gets 503 with Retry-After.
	// A passage costs about 1.6 KB while answered (wiki18 sizes: result,
	// wire copy, JSON), so memory is bounded by MaxInFlight × MaxBodyBytes
	// + MaxPassagesInFlight × 1.6 KB: about 0.5 GB at the defaults, where
	// 200 maximal batches at once took 2.5 GB before.
	MaxPassagesInFlight int
	// Log receives handler panics and index corruption (default stderr).
	Log io.Writer
}

// Server handles the search routes.
type Server struct {
	cfg     Config
	handler http.Handler
	log     io.Writer

	mu       sync.Mutex
	passages int // being searched and answered now
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1024
	}
	if cfg.MaxTopN <= 0 {
		cfg.MaxTopN = 100
	}
	if cfg.DefaultTopK <= 0 {
		cfg.DefaultTopK = 3
	}
	if cfg.SearchTimeout <= 0 {
		cfg.SearchTimeout = 30 * time.Second
	}
	if cfg.MaxPassagesInFlight <= 0 {
		cfg.MaxPassagesInFlight = 1 << 18
	}
	// A maximal request must fit, or it could never be served.
	cfg.MaxPassagesInFlight = max(cfg.MaxPassagesInFlight, cfg.MaxBatch*cfg.MaxTopN)
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	guard := httpguard.New(httpguard.Policy{
		Name: "search", APIKey: cfg.APIKey, Public: []string{"/health"}, Unbounded: []string{"/metrics"},
		MaxInFlight: cfg.MaxInFlight, MaxBodyBytes: cfg.MaxBodyBytes, Log: cfg.Log,
		Error: func(w http.ResponseWriter, status int, msg string) {
			writeJSON(w, status, map[string]string{"detail": msg})
		},
	})
	s := &Server{cfg: cfg, log: cfg.Log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /search", handle(s.handleSearch))
	mux.HandleFunc("POST /batch_search", handle(s.handleBatchSearch))
	mux.HandleFunc("POST /retrieve", handle(s.handleRetrieve))
	mux.HandleFunc("GET /health", handle(s.handleHealth))
	mux.HandleFunc("GET /metrics", guard.ServeMetrics)
	mux.HandleFunc("/", handle(func(w http.ResponseWriter, r *http.Request) error {
		return &httpError{status: http.StatusNotFound, detail: "Not Found"}
	}))
	for _, p := range []string{"/search", "/batch_search", "/retrieve", "/health", "/metrics"} {
		mux.HandleFunc(p, handle(func(w http.ResponseWriter, r *http.Request) error {
			return &httpError{status: http.StatusMethodNotAllowed, detail: "Method Not Allowed"}
		}))
	}
	s.handler = guard.Wrap(mux)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// httpError is an error with the status code to answer it with.
type httpError struct {
	status     int
	detail     string
	retryAfter bool // a busy server's 503: the client may retry shortly
}

func (e *httpError) Error() string { return e.detail }

// handle adapts a handler that returns its error instead of writing it;
// the key, the bound, panics and metrics are the guard's business.
func handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			// Handlers return an error only before writing: writeJSON
			// writes the header once it has the whole body.
			writeError(w, err)
		}
	}
}

// writeError answers err as {"detail": ...} with its status, or 500.
func writeError(w http.ResponseWriter, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{status: http.StatusInternalServerError, detail: err.Error()}
	}
	if he.retryAfter {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, he.status, map[string]string{"detail": he.detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body) // a client that hung up cannot be told; nothing to return
	return nil
}

// decode reads a JSON body into v, mapping failures to 413 or 422.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body) // capped by the guard
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return &httpError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("request body larger than %d bytes", s.cfg.MaxBodyBytes)}
		case errors.As(err, &typeErr):
			return &httpError{status: http.StatusUnprocessableEntity, detail: fmt.Sprintf("field %q: expected %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)}
		}
		return &httpError{status: http.StatusUnprocessableEntity, detail: "invalid JSON body: " + err.Error()}
	}
	if dec.More() {
		return &httpError{status: http.StatusUnprocessableEntity, detail: "invalid JSON body: data after the JSON value"}
	}
	return nil
}

// topN resolves a request's result count: absent or null means def; it must
// be an integer in [1, MaxTopN].
func (s *Server) topN(field string, v *float64, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	n := int(*v)
	if float64(n) != *v || n < 1 || n > s.cfg.MaxTopN {
		return 0, &httpError{status: http.StatusUnprocessableEntity, detail: fmt.Sprintf("%s = %v: want an integer from 1 to %d", field, *v, s.cfg.MaxTopN)}
	}
	return n, nil
}

// search runs a batch on the retriever under the request timeout, with
// len(queries) × k passages of the budget reserved until release.
func (s *Server) search(ctx context.Context, queries []string, k int) (res [][]search.Doc, release func(), err error) {
	if len(queries) > s.cfg.MaxBatch {
		return nil, nil, &httpError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("%d queries: at most %d per request", len(queries), s.cfg.MaxBatch)}
	}
	if len(queries) == 0 {
		return [][]search.Doc{}, func() {}, nil
	}
	held, err := s.reserve(len(queries) * k)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			held() // no answer will be written from these results
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SearchTimeout)
	defer cancel()
	res, err = s.cfg.Retriever.Search(ctx, queries, k)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, &httpError{status: http.StatusServiceUnavailable, detail: "search timed out or was cancelled"}
		}
		if errors.Is(err, search.ErrCorrupt) {
			// The client is not at fault and a retry cannot succeed: say
			// what is wrong and how to find the damage, here and in the log.
			msg := fmt.Sprintf("the index is damaged (%v): restart serve-search without --no-verify to check its checksums, or rebuild the index", err)
			fmt.Fprintln(s.log, "serve-search:", msg)
			return nil, nil, &httpError{status: http.StatusInternalServerError, detail: msg}
		}
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	if len(res) != len(queries) {
		return nil, nil, fmt.Errorf("search: %d results for %d queries", len(res), len(queries))
	}
	return res, held, nil
}
