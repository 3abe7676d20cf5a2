// Package server serves a model on the in-process engine over the OpenAI
// API as vLLM speaks it: POST /v1/completions and /v1/chat/completions
// (stop strings, stop token ids, n, logprobs, max_tokens, temperature,
// top_p, top_k, seed, SSE streaming, and vLLM's stop_reason,
// include_stop_str_in_output, skip_special_tokens and
// return_tokens_as_token_ids), GET /v1/models, GET /health and GET /metrics.
//
// Logprobs are those of the sampled tokens under softmax(logits / T), the
// distribution the trainer scores; top_logprobs lists only the sampled
// token. echo and best_of are refused.
//
// The field rule: a request field is served, or refused with a 400 whose
// param names it. Unknown fields are refused as OpenAI's API refuses them
// (Config.IgnoreUnknownFields ignores them as vLLM does); fields of the
// OpenAI API we do not implement (presence_penalty, frequency_penalty,
// repetition_penalty, logit_bias, stream_options, response_format) are
// served only with the value that asks for nothing, and user with any.
// Out-of-range values (top_k < -1, top_logprobs outside [0, 20], ...) are
// refused. The key, the bound on requests in flight, panics and metrics
// follow the project's one policy, internal/httpguard.
package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"research/generate"
	"research/internal/httpguard"
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
	MaxN         int   // most choices per prompt, default 16
	// MaxSequences bounds the sequences one request generates (prompts ×
	// n), default 64: each holds a KV cache of up to MaxContext positions.
	MaxSequences int
	// MaxInFlight bounds the requests generating at once, default 64; more
	// get 503 with Retry-After. Memory is bounded by MaxInFlight ×
	// (MaxBodyBytes + MaxSequences KV caches of MaxContext positions).
	MaxInFlight int
	// Timeout ends a request's generation this long after it arrived
	// (0: no limit).
	Timeout time.Duration
	// IgnoreUnknownFields ignores request fields this server does not know,
	// as vLLM does, instead of refusing them with a 400 that names them.
	IgnoreUnknownFields bool
	// Log receives handler panics (default stderr).
	Log io.Writer
}

// Server handles the OpenAI routes.
type Server struct {
	cfg     Config
	handler http.Handler
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
	if cfg.MaxSequences <= 0 {
		cfg.MaxSequences = 64
	}
	guard := httpguard.New(httpguard.Policy{
		Name: "model", APIKey: cfg.APIKey, Public: []string{"/health"}, Unbounded: []string{"/metrics", "/v1/models"},
		MaxInFlight: cfg.MaxInFlight, MaxBodyBytes: cfg.MaxBodyBytes, Timeout: cfg.Timeout, Log: cfg.Log,
		Error: func(w http.ResponseWriter, status int, msg string) { writeError(w, &apiError{status, msg, ""}) },
	})
	s := &Server{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", handle(s.handleCompletions))
	mux.HandleFunc("POST /v1/chat/completions", handle(s.handleChat))
	mux.HandleFunc("GET /v1/models", handle(s.handleModels))
	mux.HandleFunc("GET /metrics", guard.ServeMetrics)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "healthy"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{http.StatusNotFound, fmt.Sprintf("no route %s %s", r.Method, r.URL.Path), ""})
	})
	s.handler = guard.Wrap(mux)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

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

// handle turns a handler's error into an OpenAI error body; the key, the
// bound, the body cap, panics and metrics are the guard's business.
func handle(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = &apiError{http.StatusInternalServerError, err.Error(), ""}
			}
			writeError(w, ae)
		}
	}
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
