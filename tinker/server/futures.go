package server

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"research/tinker"
)

// future is one request's result, pending until its job ran.
type future struct {
	id     string
	done   chan struct{}
	result any                           // set when done without failure
	failed *tinker.RequestFailedResponse // set when done with failure
}

// job is work for the executor: run computes the future's result. A job
// of a model carries the model and, when the client numbered it, its
// seq_id (0 for none).
type job struct {
	f     *future
	model *trainModel
	seq   int64
	run   func() (any, error)
	// sample, when set, is an asample request, which the executor runs
	// together with the sampling requests that come while it runs
	// (runSamples).
	sample *sampleJob
}

// userError is a failure the request caused (category "user" in its
// RequestFailedResponse): bad data found only when the job runs, a
// checkpoint that does not exist.
type userError struct{ error }

func userErrorf(format string, args ...any) error { return userError{fmt.Errorf(format, args...)} }

// newFuture registers a pending future. s.mu is held.
func (s *Server) newFuture() *future {
	s.nextID++
	f := &future{id: fmt.Sprintf("req-%d-%08x", s.nextID, s.rng.Uint32()), done: make(chan struct{})}
	s.futures[f.id] = f
	return f
}

// finish completes f with the job's outcome and forgets the oldest finished
// futures beyond MaxResults. s.mu is held.
func (s *Server) finish(f *future, result any, err error) {
	if err != nil {
		cat := tinker.CategoryServer
		var ue userError
		var fe *tinker.FieldError
		if errors.As(err, &ue) || errors.As(err, &fe) {
			cat = tinker.CategoryUser
		}
		f.failed = &tinker.RequestFailedResponse{Error: err.Error(), Category: cat}
	} else {
		f.result = result
	}
	close(f.done)
	s.finished = append(s.finished, f.id)
	for len(s.finished) > s.cfg.MaxResults {
		delete(s.futures, s.finished[0])
		s.finished = s.finished[1:]
	}
}

// completed returns a future already done with result. s.mu is held.
func (s *Server) completed(result any) *future {
	f := s.newFuture()
	s.finish(f, result, nil)
	return f
}

// retrieveFuture holds the call until the result is ready or LongPoll
// passes, then answers the result (protobuf if asked for and the result
// has a protobuf form), the failure, or try_again.
func (s *Server) retrieveFuture(w http.ResponseWriter, r *http.Request) {
	var req tinker.FutureRetrieveRequest
	if !s.decode(w, r, &req) {
		return
	}
	s.mu.Lock()
	f := s.futures[req.RequestID]
	s.mu.Unlock()
	if f == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("request_id: %q is unknown, or its result was dropped (this server keeps the last %d)", req.RequestID, s.cfg.MaxResults))
		return
	}
	t := time.NewTimer(s.cfg.LongPoll)
	defer t.Stop()
	select {
	case <-f.done:
	case <-t.C:
		writeJSON(w, 200, tinker.TryAgainResponse{Type: "try_again", RequestID: f.id, QueueState: "active"})
		return
	case <-r.Context().Done():
		return
	}
	if f.failed != nil {
		writeJSON(w, 200, f.failed)
		return
	}
	if wantsProto(r) {
		var body []byte
		switch v := f.result.(type) {
		case *tinker.ForwardBackwardOutput:
			body = tinker.EncodeForwardBackwardOutput(*v)
		case *tinker.SampleResponse:
			body = tinker.EncodeSampleResponse(*v)
		}
		if body != nil {
			w.Header().Set("Content-Type", tinker.ProtoContentType)
			w.WriteHeader(200)
			w.Write(body)
			return
		}
	}
	writeJSON(w, 200, f.result)
}

// respondFuture answers a submitted request with its future's id.
func respondFuture(w http.ResponseWriter, f *future, modelID string) {
	writeJSON(w, 200, tinker.UntypedAPIFuture{RequestID: f.id, ModelID: modelID})
}

// idempotent returns the future an earlier request with the same
// X-Idempotency-Key got (the SDK resends the key on its HTTP retries), or
// nil. s.mu is held.
func (s *Server) idempotent(r *http.Request) *future {
	key := r.Header.Get("X-Idempotency-Key")
	if key == "" {
		return nil
	}
	return s.futures[s.idem[r.URL.Path+"\x00"+key]]
}

// remember records the future a keyed request got. s.mu is held.
func (s *Server) remember(r *http.Request, f *future) {
	key := r.Header.Get("X-Idempotency-Key")
	if key == "" {
		return
	}
	k := r.URL.Path + "\x00" + key
	s.idem[k] = f.id
	s.idemOrder = append(s.idemOrder, k)
	for len(s.idemOrder) > s.cfg.MaxResults {
		delete(s.idem, s.idemOrder[0])
		s.idemOrder = s.idemOrder[1:]
	}
}

// submit queues a job of model m (nil for sampling) and answers with its
// future. With a seq_id the job waits for the model's earlier seq_ids; the
// same (model, seq_id) again gets the first request's future, and a
// different body under a used seq_id is refused. On failure it has
// answered 4xx.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, m *trainModel, seq int64, body []byte, run func() (any, error)) {
	s.submitJob(w, r, body, &job{model: m, seq: seq, run: run})
}

// submitJob is submit for a job made by the caller (its future is made
// here).
func (s *Server) submitJob(w http.ResponseWriter, r *http.Request, body []byte, j *job) {
	m, seq := j.model, j.seq
	s.mu.Lock()
	defer s.mu.Unlock()
	modelID := ""
	if m != nil {
		modelID = m.id
		if s.models[m.id] != m {
			writeError(w, http.StatusNotFound, fmt.Sprintf("model_id: %q was unloaded", m.id))
			return
		}
		s.touch(m.session)
	}
	if f := s.idempotent(r); f != nil {
		respondFuture(w, f, modelID)
		return
	}
	hash := sha256.Sum256(append([]byte(r.URL.Path+"\x00"), body...))
	if m != nil && seq != 0 {
		if prev, ok := m.seen[seq]; ok {
			if prev.hash != hash {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("seq_id: %d of model %s was already submitted with a different request", seq, m.id))
				return
			}
			if f := s.futures[prev.requestID]; f != nil {
				respondFuture(w, f, modelID)
				return
			}
		}
		switch {
		case seq < 0:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("seq_id: %d: want ≥ 1", seq))
			return
		case seq < m.nextSeq:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("seq_id: %d already passed (model %s expects %d next)", seq, m.id, m.nextSeq))
			return
		case seq > m.nextSeq+s.cfg.MaxSeqAhead:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("seq_id: %d is more than %d ahead of the next expected, %d", seq, s.cfg.MaxSeqAhead, m.nextSeq))
			return
		case m.waiting[seq] != nil:
			writeError(w, http.StatusBadRequest, fmt.Sprintf("seq_id: %d is already waiting to run", seq))
			return
		}
	}
	if s.queued >= s.cfg.MaxQueued {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("server busy: %d requests queued; retry later", s.queued))
		return
	}
	f := s.newFuture()
	j.f = f
	s.queued++
	s.remember(r, f)
	if m != nil && seq != 0 {
		m.seen[seq] = seenRequest{requestID: f.id, hash: hash}
		for old := range m.seen {
			if old < seq-2*s.cfg.MaxSeqAhead {
				delete(m.seen, old)
			}
		}
		m.waiting[seq] = j
		if m.blockedSince.IsZero() {
			m.blockedSince = time.Now()
		}
		s.pump(m)
	} else {
		s.enqueue(j)
	}
	respondFuture(w, f, modelID)
}

// enqueue puts a job on the executor's queue. s.mu is held.
func (s *Server) enqueue(j *job) {
	s.runq = append(s.runq, j)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump moves m's next job in seq_id order to the executor, if it has come
// and none of m's ordered jobs is running. s.mu is held.
func (s *Server) pump(m *trainModel) {
	if m.running {
		return
	}
	j := m.waiting[m.nextSeq]
	if j == nil {
		if len(m.waiting) == 0 {
			m.blockedSince = time.Time{}
		}
		return
	}
	delete(m.waiting, m.nextSeq)
	m.running = true
	m.blockedSince = time.Time{}
	s.enqueue(j)
}

// execute runs jobs one at a time until Close.
func (s *Server) execute() {
	for {
		s.mu.Lock()
		if len(s.runq) == 0 {
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.stop:
				if s.sampler != nil {
					s.sampler.eng.Close()
				}
				return
			}
		}
		j := s.runq[0]
		s.runq = s.runq[1:]
		if j.sample != nil {
			s.mu.Unlock()
			s.runSamples(j)
			continue
		}
		s.mu.Unlock()

		result, err := s.runJob(j)

		s.mu.Lock()
		s.finish(j.f, result, err)
		s.queued--
		if m := j.model; m != nil && j.seq != 0 {
			m.running = false
			m.nextSeq = j.seq + 1
			s.pump(m)
		}
		s.mu.Unlock()
	}
}

// runJob runs j, turning a panic into a server failure of its future so
// that one bad request cannot take the server down.
func (s *Server) runJob(j *job) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.logf("panic in request %s: %v\n%s", j.f.id, p, debug.Stack())
			result, err = nil, fmt.Errorf("internal error: %v", p)
		}
	}()
	return j.run()
}

// janitor drops sessions whose heartbeat stopped, and fails requests that
// waited SeqWait for an earlier seq_id that never came.
func (s *Server) janitor() {
	tick := min(s.cfg.SeqWait/4, time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		now := time.Now()
		for _, m := range s.models {
			if m.running || len(m.waiting) == 0 || m.blockedSince.IsZero() || now.Sub(m.blockedSince) < s.cfg.SeqWait {
				continue
			}
			last := m.nextSeq
			for seq, j := range m.waiting {
				s.finish(j.f, nil, userErrorf("seq_id %d waited %v for seq_id %d of model %s, which never came", seq, s.cfg.SeqWait, m.nextSeq, m.id))
				s.queued--
				last = max(last, seq)
			}
			s.logf("model %s: seq_id %d never came; failed %d later requests", m.id, m.nextSeq, len(m.waiting))
			clear(m.waiting)
			m.nextSeq = last + 1
			m.blockedSince = time.Time{}
		}
		for id, ss := range s.sessions {
			if now.Sub(ss.lastSeen) > s.cfg.SessionTTL {
				s.dropSession(id)
			}
		}
		s.mu.Unlock()
	}
}
