package server

import (
	"fmt"
	"net/http"
	"slices"

	"research/generate"
	"research/model"
	"research/tinker"
)

// samplingSession samples from the base model (lora nil) or the base with
// a snapshot of adapters.
type samplingSession struct {
	id, session string
	lora        *model.LoRA
}

// mergedModel is a copy of the base with a sampling session's adapters
// merged in, for generation at the base's speed.
type mergedModel struct {
	session string
	m       *model.Model
}

// addSampler registers a sampling session, forgetting the oldest beyond
// MaxSamplingSessions.
func (s *Server) addSampler(ss *samplingSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.samplers) >= s.cfg.MaxSamplingSessions {
		return userErrorf("this server holds at most %d sampling sessions", s.cfg.MaxSamplingSessions)
	}
	s.samplers[ss.id] = ss
	s.invalidate(ss.id)
	return nil
}

// invalidate drops a merged copy made for an earlier session of the same
// id. s.mu is held.
func (s *Server) invalidate(id string) {
	s.merged = slices.DeleteFunc(s.merged, func(mm *mergedModel) bool { return mm.session == id })
}

func (s *Server) createSamplingSession(w http.ResponseWriter, r *http.Request) {
	var req tinker.CreateSamplingSessionRequest
	if !s.decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	known := s.sessions[req.SessionID] != nil
	s.touch(req.SessionID)
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, fmt.Sprintf("session_id: %q is unknown or expired", req.SessionID))
		return
	}
	ss := &samplingSession{id: fmt.Sprintf("%s:sample:%d", req.SessionID, req.SamplingSessionSeqID), session: req.SessionID}
	if req.ModelPath != "" {
		p, _ := tinker.ParsePath(req.ModelPath)
		l, _, err := s.loadLoRA(p)
		if err != nil {
			s.failPath(w, "model_path", err)
			return
		}
		ss.lora = l
	} else if req.BaseModel != s.cfg.Name {
		badRequest(w, &tinker.FieldError{Field: "base_model", Msg: fmt.Sprintf("%q: this server serves %q", req.BaseModel, s.cfg.Name)})
		return
	}
	if err := s.addSampler(ss); err != nil {
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, err.Error())
		return
	}
	writeJSON(w, 200, tinker.CreateSamplingSessionResponse{SamplingSessionID: ss.id, Type: "create_sampling_session"})
}

// failPath answers a checkpoint that could not be read: 404 naming field
// when it does not exist or does not fit, 500 when the disk failed.
func (s *Server) failPath(w http.ResponseWriter, field string, err error) {
	if _, ok := err.(userError); ok {
		writeError(w, http.StatusNotFound, field+": "+err.Error())
		return
	}
	writeError(w, http.StatusInternalServerError, field+": "+err.Error())
}

// asample samples num_samples continuations of the prompt: token in, token
// out, each token with its logprob under softmax(logits / temperature);
// stop strings or stop token ids, and the model's EOS ids, end a sequence
// (the stop token stays in it, stop_reason "stop"); the budget ends it
// with "length".
func (s *Server) asample(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var req tinker.SampleRequest
	if err := req.UnmarshalJSON(body); err != nil {
		badRequest(w, asFieldError(err))
		return
	}
	c := s.cfg.Model.Config
	prompt := req.Prompt.Tokens()
	for j, t := range prompt {
		if t < 0 || t >= c.VocabSize {
			badRequest(w, &tinker.FieldError{Field: "prompt", Msg: fmt.Sprintf("token %d is %d: want 0..%d", j, t, c.VocabSize-1)})
			return
		}
	}
	sp := req.SamplingParams
	room := s.cfg.MaxSampleTokens
	if c.MaxPositions > 0 {
		room = min(room, c.MaxPositions-len(prompt))
	}
	maxTokens := room
	switch {
	case req.NumSamples > s.cfg.MaxNumSamples:
		badRequest(w, &tinker.FieldError{Field: "num_samples", Msg: fmt.Sprintf("%d: at most %d", req.NumSamples, s.cfg.MaxNumSamples)})
		return
	case req.TopKPromptLogprobs > 0:
		badRequest(w, &tinker.FieldError{Field: "topk_prompt_logprobs", Msg: "top-k prompt logprobs are not offered; ask prompt_logprobs"})
		return
	case room < 1:
		badRequest(w, &tinker.FieldError{Field: "prompt", Msg: fmt.Sprintf("%d tokens leave no room in the model's context of %d", len(prompt), c.MaxPositions)})
		return
	case sp.MaxTokens != nil && *sp.MaxTokens > room:
		badRequest(w, &tinker.FieldError{Field: "sampling_params.max_tokens", Msg: fmt.Sprintf("%d: at most %d here (context %d, prompt %d, server cap %d)", *sp.MaxTokens, room, c.MaxPositions, len(prompt), s.cfg.MaxSampleTokens)})
		return
	case sp.MaxTokens != nil:
		maxTokens = *sp.MaxTokens
	}
	stopIDs := slices.Clone([]int(c.EOSTokenIDs))
	var stopStrings []string
	if sp.Stop != nil {
		for i, id := range sp.Stop.Tokens {
			if id < 0 || id >= c.VocabSize {
				badRequest(w, &tinker.FieldError{Field: fmt.Sprintf("sampling_params.stop[%d]", i), Msg: fmt.Sprintf("token %d: want 0..%d", id, c.VocabSize-1)})
				return
			}
		}
		stopIDs = append(stopIDs, sp.Stop.Tokens...)
		stopStrings = sp.Stop.Strings
		if len(stopStrings) > 0 && s.cfg.Decoder == nil {
			badRequest(w, &tinker.FieldError{Field: "sampling_params.stop", Msg: "stop strings need a tokenizer, and this server has none; send stop token ids"})
			return
		}
	}
	ss, err := s.samplerFor(req)
	if err != nil {
		s.failPath(w, "model_path", err)
		return
	}
	if ss == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("sampling_session_id: %q is unknown or expired", req.SamplingSessionID))
		return
	}
	seed := s.seed()
	if sp.Seed != nil {
		seed = uint64(*sp.Seed)
	}
	topK := max(sp.TopK, 0)
	sj := &sampleJob{ss: ss, prompt: prompt, promptLogprobs: req.PromptLogprobs,
		sampling: generate.Sampling{Temperature: sp.Temperature, TopK: topK, TopP: sp.TopP, Seed: seed}}
	sj.reqs = make([]generate.Request, req.NumSamples)
	for i := range sj.reqs {
		sj.reqs[i] = generate.Request{Prompt: prompt, MaxTokens: maxTokens, StopIDs: stopIDs, StopStrings: stopStrings}
	}
	s.submitSample(w, r, body, sj)
}

func (s *Server) seed() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Uint64()
}

// samplerFor finds the sampling session a sample names, or makes one for
// its model_path or base_model; nil when the named session is unknown.
func (s *Server) samplerFor(req tinker.SampleRequest) (*samplingSession, error) {
	if req.SamplingSessionID != "" {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.samplers[req.SamplingSessionID], nil
	}
	if req.ModelPath != "" {
		p, _ := tinker.ParsePath(req.ModelPath)
		l, _, err := s.loadLoRA(p)
		if err != nil {
			return nil, err
		}
		return &samplingSession{id: "path:" + req.ModelPath, lora: l}, nil
	}
	if req.BaseModel != s.cfg.Name {
		return nil, userErrorf("base_model %q: this server serves %q", req.BaseModel, s.cfg.Name)
	}
	return &samplingSession{id: "base"}, nil
}

// samplerModel returns the model a session samples from: the base, or a
// copy with its adapters merged, kept among the MaxSamplers most recently
// used. Runs on the executor, the only user of the copies.
func (s *Server) samplerModel(ss *samplingSession) *model.Model {
	if ss.lora == nil {
		return s.cfg.Model
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, mm := range s.merged {
		if mm.session == ss.id {
			s.merged = append(slices.Delete(s.merged, i, i+1), mm)
			return mm.m
		}
	}
	var dst *model.Model
	if len(s.merged) >= s.cfg.MaxSamplers {
		dst = s.merged[0].m // reuse the least recently used copy's memory
		s.merged = s.merged[1:]
	} else {
		dst = s.cfg.Model.NewGrads()
	}
	base := s.cfg.Model.Params()
	for i, p := range dst.Params() {
		copy(p.Data, base[i].Data)
	}
	ss.lora.Merge(dst)
	s.merged = append(s.merged, &mergedModel{session: ss.id, m: dst})
	return dst
}
