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
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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
}

// Server handles the search routes.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	metrics *metrics
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
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: newMetrics()}
	s.route("POST /search", "/search", true, s.handleSearch)
	s.route("POST /batch_search", "/batch_search", true, s.handleBatchSearch)
	s.route("POST /retrieve", "/retrieve", true, s.handleRetrieve)
	s.route("GET /health", "/health", false, s.handleHealth)
	s.route("GET /metrics", "/metrics", true, func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		s.metrics.write(w)
		return nil
	})
	s.route("/", "other", false, func(w http.ResponseWriter, r *http.Request) error {
		return &httpError{http.StatusNotFound, "Not Found"}
	})
	for _, p := range []string{"/search", "/batch_search", "/retrieve", "/health", "/metrics"} {
		s.route(p, p, false, func(w http.ResponseWriter, r *http.Request) error {
			return &httpError{http.StatusMethodNotAllowed, "Method Not Allowed"}
		})
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// httpError is an error with the status code to answer it with.
type httpError struct {
	status int
	detail string
}

func (e *httpError) Error() string { return e.detail }

// statusWriter remembers the status code written, for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.status, w.wroteHeader = code, true
	w.ResponseWriter.WriteHeader(code)
}

// route registers a handler that returns an error instead of writing one,
// with authentication, panic recovery and metrics around it.
func (s *Server) route(pattern, name string, auth bool, h func(http.ResponseWriter, *http.Request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("internal error: %v", p)
				}
			}()
			if auth && !s.authorized(r) {
				sw.Header().Set("WWW-Authenticate", "Bearer")
				return &httpError{http.StatusUnauthorized, "missing or invalid API key"}
			}
			return h(sw, r)
		}()
		// An error after the header went out (a client that hung up
		// mid-answer) cannot be reported to that client any more.
		if err != nil && !sw.wroteHeader {
			writeError(sw, err)
		}
		s.metrics.observe(name, sw.status, time.Since(start))
	})
}

func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.APIKey == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.APIKey)) == 1
}

// writeError answers err as {"detail": ...} with its status, or 500.
func writeError(w http.ResponseWriter, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{http.StatusInternalServerError, err.Error()}
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
	_, err = w.Write(body)
	return err
}

// decode reads a JSON body into v, mapping failures to 413 or 422.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", s.cfg.MaxBodyBytes)}
		case errors.As(err, &typeErr):
			return &httpError{http.StatusUnprocessableEntity, fmt.Sprintf("field %q: expected %s, got JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)}
		}
		return &httpError{http.StatusUnprocessableEntity, "invalid JSON body: " + err.Error()}
	}
	if dec.More() {
		return &httpError{http.StatusUnprocessableEntity, "invalid JSON body: data after the JSON value"}
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
		return 0, &httpError{http.StatusUnprocessableEntity, fmt.Sprintf("%s = %v: want an integer from 1 to %d", field, *v, s.cfg.MaxTopN)}
	}
	return n, nil
}

// search runs a batch on the retriever under the request timeout.
func (s *Server) search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	if len(queries) > s.cfg.MaxBatch {
		return nil, &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("%d queries: at most %d per request", len(queries), s.cfg.MaxBatch)}
	}
	if len(queries) == 0 {
		return [][]search.Doc{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SearchTimeout)
	defer cancel()
	res, err := s.cfg.Retriever.Search(ctx, queries, k)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &httpError{http.StatusServiceUnavailable, "search timed out or was cancelled"}
		}
		return nil, fmt.Errorf("search: %w", err)
	}
	if len(res) != len(queries) {
		return nil, fmt.Errorf("search: %d results for %d queries", len(res), len(queries))
	}
	return res, nil
}
