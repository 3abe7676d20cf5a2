// Package server serves a model on the in-process engine over the OpenAI
// API as vLLM speaks it: POST /v1/completions and /v1/chat/completions
// (stop strings, stop token ids, n, logprobs, max_tokens, temperature,
// top_p, top_k, seed, SSE streaming, and vLLM's stop_reason,
// include_stop_str_in_output, skip_special_tokens and
// return_tokens_as_token_ids), GET /v1/models and GET /health.
//
// Logprobs are those of the sampled tokens under softmax(logits / T), the
// distribution the trainer scores; top_logprobs lists only the sampled
// token. echo and best_of are refused.
package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"research/generate"
	"research/tokenizer"
)

// Config configures a Server. Zero limits take defaults.
type Config struct {
	Engine    *generate.Engine
	Tokenizer *tokenizer.Tokenizer
	ModelName string // the name clients must ask for ("" accepts any)
	EOSIDs    []int  // the model's end-of-sequence ids
	// MaxContext bounds prompt + max_tokens (the model's positions).
	MaxContext int
	// APIKey, if set, must come as "Authorization: Bearer KEY" on every
	// route but /health.
	APIKey       string
	MaxBodyBytes int64 // default 16 MiB
	MaxN         int   // most choices per request, default 16
}

// Server handles the OpenAI routes.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Tokenizer == nil {
		return nil, errors.New("server: an engine and a tokenizer are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 16 << 20
	}
	if cfg.MaxN <= 0 {
		cfg.MaxN = 16
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/completions", s.guard(s.handleCompletions))
	s.mux.HandleFunc("POST /v1/chat/completions", s.guard(s.handleChat))
	s.mux.HandleFunc("GET /v1/models", s.guard(s.handleModels))
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "healthy"})
	})
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path), ""})
	})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// apiError is an OpenAI-style error with its HTTP status.
type apiError struct {
	status  int
	message string
	param   string
}

func (e *apiError) Error() string { return e.message }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, fmt.Sprintf(format, args...), param}
}

func writeError(w http.ResponseWriter, e *apiError) {
	kind := "invalid_request_error"
	if e.status >= 500 {
		kind = "server_error"
	}
	writeJSON(w, e.status, map[string]any{"error": map[string]any{
		"message": e.message, "type": kind, "param": nullable(e.param), "code": e.status}})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// guard checks the API key, caps the body and turns handler errors into
// OpenAI error bodies.
func (s *Server) guard(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.APIKey != "" {
			got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.APIKey)) != 1 {
				writeError(w, &apiError{http.StatusUnauthorized, "missing or wrong API key", ""})
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		if err := h(w, r); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = &apiError{http.StatusInternalServerError, err.Error(), ""}
			}
			writeError(w, ae)
		}
	}
}

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) error {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", tooBig.Limit), ""}
		}
		return badRequest("", "malformed JSON body: %v", err)
	}
	return nil
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{
		map[string]any{"id": s.cfg.ModelName, "object": "model", "created": time.Now().Unix(), "owned_by": "research"}}})
	return nil
}

func (s *Server) checkModel(name string) error {
	if s.cfg.ModelName != "" && name != "" && name != s.cfg.ModelName {
		return &apiError{http.StatusNotFound, fmt.Sprintf("model %q is not served here (this server serves %q)", name, s.cfg.ModelName), "model"}
	}
	return nil
}

func newID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
