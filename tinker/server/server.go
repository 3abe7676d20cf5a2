// Package server serves the project's CPU training engine over the Tinker
// training API (package tinker holds the wire types): sessions, LoRA
// training models, forward_backward with the four documented losses,
// optim_step, checkpoints under tinker:// paths, sampling, and futures
// retrieved by long-poll. A Python user of the official SDK can point at it.
//
// Work runs one job at a time on one executor (the engine's kernels use
// every core already); each model's requests run in seq_id order. Memory
// and work in flight are bounded by Config: models, queued jobs, kept
// results, sampler copies of the weights, body and token sizes.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"time"

	"research/generate"
	"research/internal/httpguard"
	"research/model"
	"research/tinker"
)

// Config sets up a Server. Zero limits take the defaults in brackets.
type Config struct {
	Model     *model.Model     // the base model, frozen; its adapters train
	Name      string           // the base model's name, what create_model's base_model must say
	Decoder   generate.Decoder // for stop strings; nil refuses them
	DataDir   string           // checkpoints: DataDir/<model>/<kind>/<name>
	APIKey    string           // if set, every route but healthz needs X-API-Key
	LoRAAlpha float64          // [32, the service's fixed alpha]

	MaxModels       int   // training models at once [4]
	MaxSessions     int   // sessions at once; each expires SessionTTL after its last heartbeat [1024]
	MaxQueued       int   // jobs queued or running across models [256]
	MaxSeqAhead     int64 // how far past the next expected seq_id a request may come [256]
	MaxBodyBytes    int64 // request body, after zstd [64 MiB]
	MaxTokens       int   // tokens in one forward_backward [65536]
	MaxSampleTokens int   // default and cap of max_tokens × num_samples [4096]
	MaxNumSamples   int   // num_samples [64]
	MaxSamplers     int   // merged copies of the weights kept for sampling [2]
	// MaxKeptSequences bounds the sampled sequences whose KV caches are
	// kept for a rollout's next turn, each up to its context's length of
	// keys and values [64]
	MaxKeptSequences    int
	MaxSamplingSessions int           // [256]
	MaxResults          int           // finished futures kept for retrieve_future [4096]
	MicroBatchTokens    int           // tokens per forward pass [2048]
	LongPoll            time.Duration // retrieve_future holds a pending call this long [30 s]
	SeqWait             time.Duration // a request waits this long for an earlier seq_id [60 s]
	SessionTTL          time.Duration // a session without heartbeat is dropped after [10 min]
	Log                 io.Writer     // [os.Stderr]
}

func (c *Config) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxModels, 4)
	def(&c.MaxSessions, 1024)
	def(&c.MaxQueued, 256)
	def(&c.MaxTokens, 1<<16)
	def(&c.MaxSampleTokens, 4096)
	def(&c.MaxNumSamples, 64)
	def(&c.MaxSamplers, 2)
	def(&c.MaxKeptSequences, 64)
	def(&c.MaxSamplingSessions, 256)
	def(&c.MaxResults, 4096)
	def(&c.MicroBatchTokens, 2048)
	if c.MaxSeqAhead <= 0 {
		c.MaxSeqAhead = 256
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 20
	}
	if c.LoRAAlpha <= 0 {
		c.LoRAAlpha = 32
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	dur(&c.LongPoll, 30*time.Second)
	dur(&c.SeqWait, 60*time.Second)
	dur(&c.SessionTTL, 10*time.Minute)
	if c.Log == nil {
		c.Log = os.Stderr
	}
}

// Server is the Tinker API over one base model. It is an http.Handler.
type Server struct {
	cfg   Config
	guard *httpguard.Guard
	mux   *http.ServeMux
	h     http.Handler

	mu        sync.Mutex
	sessions  map[string]*session
	models    map[string]*trainModel
	samplers  map[string]*samplingSession
	futures   map[string]*future
	finished  []string          // finished future ids, oldest first
	idem      map[string]string // X-Idempotency-Key → request id
	idemOrder []string
	runq      []*job
	queued    int // jobs in runq, waiting for a seq_id, or running
	nextID    uint64
	wake      chan struct{}
	stop      chan struct{}
	closeOnce sync.Once
	rng       *rand.Rand

	merged  []*mergedModel // sampler copies of the weights, most recent last
	sampler *samplerEngine // the engine of the weights sampled last; the executor's
}

// New checks cfg and starts the server's executor and janitor; Close stops
// them.
func New(cfg Config) (*Server, error) {
	if cfg.Model == nil {
		return nil, errors.New("tinker server: no model")
	}
	if cfg.Name == "" {
		return nil, errors.New("tinker server: no model name")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("tinker server: no data directory for checkpoints")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("tinker server: %w", err)
	}
	cfg.defaults()
	s := &Server{
		cfg: cfg, sessions: map[string]*session{}, models: map[string]*trainModel{},
		samplers: map[string]*samplingSession{}, futures: map[string]*future{}, idem: map[string]string{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	s.guard = httpguard.New(httpguard.Policy{
		Name: "tinker", APIKey: cfg.APIKey, KeyScheme: httpguard.XAPIKey, Public: []string{"/api/v1/healthz", "/healthz"},
		// A long-poll holds its connection for up to LongPoll by design; the
		// futures it waits on are bounded by MaxQueued instead.
		Unbounded:   []string{"/api/v1/retrieve_future", "/metrics"},
		MaxInFlight: 256, MaxBodyBytes: cfg.MaxBodyBytes, Error: writeError, Log: cfg.Log,
	})
	s.routes()
	go s.execute()
	go s.janitor()
	return s, nil
}

// Close stops the executor and the janitor; jobs still queued fail.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.stop) })
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// routes registers every route under the guard (X-API-Key, in-flight
// bound, body cap, panic recovery, metrics).
func (s *Server) routes() {
	m := http.NewServeMux()
	get := func(p string, h http.HandlerFunc) { m.HandleFunc("GET /api/v1/"+p, h) }
	post := func(p string, h http.HandlerFunc) { m.HandleFunc("POST /api/v1/"+p, h) }
	get("healthz", s.healthz)
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /metrics", s.guard.ServeMetrics)
	post("client/config", s.clientConfig)
	get("get_server_capabilities", s.capabilities)
	post("create_session", s.createSession)
	post("session_heartbeat", s.heartbeat)
	post("telemetry", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "accepted"})
	})
	post("create_model", s.createModel)
	post("get_info", s.getInfo)
	post("unload_model", s.unloadModel)
	post("forward_backward", s.forwardBackward)
	post("forward", s.forward)
	post("optim_step", s.optimStep)
	post("save_weights", s.saveWeights)
	post("save_weights_for_sampler", s.saveWeightsForSampler)
	post("load_weights", s.loadWeights)
	post("weights_info", s.weightsInfo)
	post("create_sampling_session", s.createSamplingSession)
	post("asample", s.asample)
	post("retrieve_future", s.retrieveFuture)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s (this server speaks the Tinker API under /api/v1/)", r.Method, r.URL.Path))
	})
	s.mux = m
	s.h = s.guard.Wrap(m)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]string{"status": "ok"})
}

// clientConfig answers SDK ≥ 0.18's start-up call with the flags this
// server needs: plain httpx (no pyqwest), no zstd, no load-first models.
func (s *Server) clientConfig(w http.ResponseWriter, r *http.Request) {
	var req tinker.ClientConfigRequest
	if !s.decode(w, r, &req) {
		return
	}
	writeJSON(w, 200, map[string]any{
		"pjwt_auth_enabled": false, "proto_compress_fwdbwd": false, "use_pyqwest_transport": false,
		"create_model_via_load_weights": false, "parallel_fwdbwd_chunks": true,
		"fwdbwd_max_chunk_bytes_count": min(s.cfg.MaxBodyBytes/2, 5_000_000),
	})
}

func (s *Server) capabilities(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, tinker.ServerCapabilities{SupportedModels: []tinker.SupportedModel{
		{ModelName: s.cfg.Name, MaxContextLength: s.cfg.Model.Config.MaxPositions}}})
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes {"detail": msg} (FastAPI's shape, which SkyRL's errors
// have too).
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"detail": msg})
}

// badRequest answers 400 naming err's field.
func badRequest(w http.ResponseWriter, err error) {
	var fe *tinker.FieldError
	if errors.As(err, &fe) && fe.Field == "" {
		err = &tinker.FieldError{Field: "body", Msg: fe.Msg}
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// logf writes a line to the server's log.
func (s *Server) logf(format string, args ...any) {
	fmt.Fprintf(s.cfg.Log, "serve-tinker: "+format+"\n", args...)
}
