package server

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"research/model"
	"research/tinker"
	"research/train"
)

// session is a client's session: its heartbeat keeps its models alive.
type session struct {
	id       string
	lastSeen time.Time
	models   map[int]string // model_seq_id → model id
}

// trainModel is one LoRA training run on the shared frozen base.
type trainModel struct {
	id, session string
	lora        *model.LoRA
	engine      *train.Engine
	cfg         tinker.LoRAConfig

	// Ordering: the next seq_id to run, the jobs that came early, whether
	// one is running, and since when the next one has been awaited.
	nextSeq      int64
	waiting      map[int64]*job
	running      bool
	blockedSince time.Time
	seen         map[int64]seenRequest // recent seq_ids, for idempotent repeats
}

type seenRequest struct {
	requestID string
	hash      [32]byte
}

// touch keeps a session alive. s.mu is held.
func (s *Server) touch(id string) {
	if ss := s.sessions[id]; ss != nil {
		ss.lastSeen = time.Now()
	}
}

// dropSession forgets a session, its models and its sampling sessions.
// Jobs already queued still run on the model they hold. s.mu is held.
func (s *Server) dropSession(id string) {
	ss := s.sessions[id]
	if ss == nil {
		return
	}
	for _, mid := range ss.models {
		delete(s.models, mid)
	}
	for sid, sp := range s.samplers {
		if sp.session == id {
			delete(s.samplers, sid)
		}
	}
	delete(s.sessions, id)
	s.logf("session %s dropped (no heartbeat for %v)", id, s.cfg.SessionTTL)
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var req tinker.CreateSessionRequest
	if !s.decode(w, r, &req) {
		return
	}
	var b [8]byte
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	id := hex.EncodeToString(b[:])
	if len(s.sessions) >= s.cfg.MaxSessions {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("this server holds at most %d sessions; retry when an idle one expires", s.cfg.MaxSessions))
		return
	}
	s.sessions[id] = &session{id: id, lastSeen: time.Now(), models: map[int]string{}}
	writeJSON(w, 200, tinker.CreateSessionResponse{Type: "create_session", SessionID: id})
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	var req tinker.SessionHeartbeatRequest
	if !s.decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[req.SessionID] == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("session_id: %q is unknown or expired", req.SessionID))
		return
	}
	s.touch(req.SessionID)
	writeJSON(w, 200, map[string]string{"type": "session_heartbeat"})
}

// createModel makes a LoRA model on the base: rank from the request, alpha
// fixed by the server (the SDK has no alpha), adapters on the attention
// and/or MLP projections as train_attn / train_mlp say. The unembedding is
// never adapted (train_unembed is accepted and reported false). The result
// is ready at once but, as on the service, comes as a future.
func (s *Server) createModel(w http.ResponseWriter, r *http.Request) {
	var req tinker.CreateModelRequest
	if !s.decode(w, r, &req) {
		return
	}
	switch {
	case req.BaseModel != s.cfg.Name:
		badRequest(w, &tinker.FieldError{Field: "base_model", Msg: fmt.Sprintf("%q: this server trains %q", req.BaseModel, s.cfg.Name)})
		return
	case req.LoRAConfig == nil:
		badRequest(w, &tinker.FieldError{Field: "lora_config", Msg: "required: this server trains LoRA adapters only"})
		return
	case req.ModelSeqID < 0:
		badRequest(w, &tinker.FieldError{Field: "model_seq_id", Msg: fmt.Sprintf("%d: want ≥ 0", req.ModelSeqID)})
		return
	}
	lc := *req.LoRAConfig
	var targets []string
	if lc.TrainAttn {
		targets = append(targets, "q_proj", "k_proj", "v_proj", "o_proj")
	}
	if lc.TrainMLP {
		targets = append(targets, "gate_proj", "up_proj", "down_proj")
	}
	if len(targets) == 0 {
		badRequest(w, &tinker.FieldError{Field: "lora_config.train_attn", Msg: "train_attn and train_mlp are both false: nothing to train (the unembedding is not adapted here)"})
		return
	}
	if h := s.cfg.Model.Config.HiddenSize; lc.Rank < 1 || lc.Rank > min(h, 1024) {
		badRequest(w, &tinker.FieldError{Field: "lora_config.rank", Msg: fmt.Sprintf("%d: want 1..%d", lc.Rank, min(h, 1024))})
		return
	}
	s.mu.Lock()
	ss := s.sessions[req.SessionID]
	if ss == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, fmt.Sprintf("session_id: %q is unknown or expired (create_session first)", req.SessionID))
		return
	}
	ss.lastSeen = time.Now()
	if id, ok := ss.models[req.ModelSeqID]; ok && s.models[id] != nil {
		respondFuture(w, s.completed(tinker.CreateModelResponse{ModelID: id, Type: "create_model"}), id)
		s.mu.Unlock()
		return
	}
	if len(s.models) >= s.cfg.MaxModels {
		s.mu.Unlock()
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("this server holds at most %d models; unload one (unload_model) or wait for an idle session to expire", s.cfg.MaxModels))
		return
	}
	seed := s.rng.Uint64()
	if lc.Seed != nil {
		seed = uint64(*lc.Seed)
	}
	s.mu.Unlock()

	m, err := s.newTrainModel(fmt.Sprintf("%s:train:%d", req.SessionID, req.ModelSeqID), req.SessionID, lc, targets, seed)
	if err != nil {
		badRequest(w, &tinker.FieldError{Field: "lora_config", Msg: err.Error()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.models) >= s.cfg.MaxModels {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("this server holds at most %d models", s.cfg.MaxModels))
		return
	}
	s.models[m.id] = m
	ss.models[req.ModelSeqID] = m.id
	s.logf("model %s: LoRA rank %d, alpha %g, targets %v", m.id, lc.Rank, s.cfg.LoRAAlpha, targets)
	respondFuture(w, s.completed(tinker.CreateModelResponse{ModelID: m.id, Type: "create_model"}), m.id)
}

// newTrainModel builds a model's adapters and engine. Its first seq_id is
// 1, as the SDK numbers them. The adapters draw their initialisation from
// PCG(seed, 5), the stream research train's in-process LoRA draws from
// with train.seed, so that a remote run created with that seed starts
// from the in-process run's adapters.
func (s *Server) newTrainModel(id, sessionID string, lc tinker.LoRAConfig, targets []string, seed uint64) (*trainModel, error) {
	l, err := model.NewLoRA(s.cfg.Model, lc.Rank, s.cfg.LoRAAlpha, targets, rand.New(rand.NewPCG(seed, 5)))
	if err != nil {
		return nil, err
	}
	cfg := train.DefaultConfig()
	e, err := train.New(s.cfg.Model, l, cfg)
	if err != nil {
		return nil, err
	}
	return &trainModel{id: id, session: sessionID, lora: l, engine: e, cfg: lc,
		nextSeq: 1, waiting: map[int64]*job{}, seen: map[int64]seenRequest{}}, nil
}

// model finds a model by id, answering 404 naming model_id if there is
// none.
func (s *Server) model(w http.ResponseWriter, id string) *trainModel {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.models[id]
	if m == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("model_id: %q is unknown or unloaded", id))
		return nil
	}
	s.touch(m.session)
	return m
}

func (s *Server) getInfo(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	req, err := tinker.DecodeModelRequest(body, "get_info")
	if err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	m := s.model(w, req.ModelID)
	if m == nil {
		return
	}
	writeJSON(w, 200, tinker.GetInfoResponse{Type: "get_info", ModelID: m.id, IsLoRA: true, LoRARank: m.cfg.Rank, ModelName: s.cfg.Name,
		ModelData: tinker.ModelData{Arch: s.cfg.Model.Config.ModelType, ModelName: s.cfg.Name, TokenizerID: s.cfg.Name}})
}

// unloadModel frees a model's slot when the unload reaches the executor;
// requests of the model still waiting for an earlier seq_id run on it
// afterwards but can no longer be submitted.
func (s *Server) unloadModel(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	req, err := tinker.DecodeModelRequest(body, "unload_model")
	if err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	m := s.model(w, req.ModelID)
	if m == nil {
		return
	}
	s.submit(w, r, m, 0, body, func() (any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.models[m.id] == m {
			delete(s.models, m.id)
			if ss := s.sessions[m.session]; ss != nil {
				for k, id := range ss.models {
					if id == m.id {
						delete(ss.models, k)
					}
				}
			}
		}
		return tinker.UnloadModelResponse{ModelID: m.id, Type: "unload_model"}, nil
	})
}
