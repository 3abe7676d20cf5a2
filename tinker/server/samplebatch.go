package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"

	"research/generate"
	"research/model"
	"research/tinker"
)

// sampleJob is one asample request: its sampling session, its prompt, one
// generation request per sample, and how to sample.
type sampleJob struct {
	ss             *samplingSession
	prompt         []int
	reqs           []generate.Request
	sampling       generate.Sampling
	promptLogprobs bool
}

// maxSampleBatch bounds the sampling requests generated together.
const maxSampleBatch = 64

// submitSample queues an asample request. Rollouts send their turns as
// concurrent requests, and one generated at a time would decode at batch
// 1, so the executor generates the sampling requests of one sampler
// together on one continuous-batching engine (runSamples), as the
// in-process trainer does.
func (s *Server) submitSample(w http.ResponseWriter, r *http.Request, body []byte, sj *sampleJob) {
	s.submitJob(w, r, body, &job{sample: sj})
}

// takeSample removes the job at the head of the run queue and returns it,
// if it is a sampling request of session; nil otherwise. s.mu is held.
func (s *Server) takeSample(session string) *job {
	if len(s.runq) == 0 {
		return nil
	}
	j := s.runq[0]
	if j.sample == nil || j.sample.ss.id != session {
		return nil
	}
	s.runq = s.runq[1:]
	return j
}

// runSamples generates first and the sampling requests of its session
// that come while it runs on one engine, finishing each request's future
// as soon as its samples are done, so that a rollout's next turn joins the
// running batch. It returns when none is running and the next queued job
// is not one of them (or maxSampleBatch are running and it waits for
// room). Each sample draws from PCG(seed, i), its request's seed and its
// index, as generate.Generate gives it, and the engine's products do not
// depend on the batch, so a request samples what it would alone. Requests
// that ask for the prompt's logprobs are finished last, when the engine is
// idle, since they run the model beside it.
func (s *Server) runSamples(first *job) {
	ss := first.sample.ss
	m, se, err := s.samplerOf(ss)
	done := make(chan sampleDone)
	running := 0
	var later []sampleDone // requests whose prompt logprobs are still to compute
	start := func(j *job) {
		if err != nil {
			s.complete(j, nil, fmt.Errorf("sample: %w", err))
			return
		}
		running++
		go func() { done <- se.generate(j) }()
	}
	start(first)
	for running > 0 {
		s.mu.Lock()
		var next *job
		if running < maxSampleBatch {
			next = s.takeSample(ss.id)
		}
		s.mu.Unlock()
		if next != nil {
			start(next)
			continue
		}
		select {
		case d := <-done:
			running--
			if d.err == nil && d.job.sample.promptLogprobs {
				later = append(later, d)
				continue
			}
			s.complete(d.job, d.resp, d.err)
		case <-s.wake:
		}
	}
	for _, d := range later {
		resp, err := d.resp, addPromptLogprobs(m, d.job.sample, d.resp)
		s.complete(d.job, resp, err)
	}
}

// samplerOf returns the model and engine a session samples with, turning
// a panic in merging its adapters into an error, as runJob does for other
// jobs.
func (s *Server) samplerOf(ss *samplingSession) (m *model.Model, se *samplerEngine, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.logf("panic preparing sampler %s: %v\n%s", ss.id, p, debug.Stack())
			m, se, err = nil, nil, fmt.Errorf("internal error: %v", p)
		}
	}()
	m = s.samplerModel(ss)
	se, err = s.samplerEngine(m, ss.id)
	return m, se, err
}

// complete finishes a sampling request's future.
func (s *Server) complete(j *job, resp *tinker.SampleResponse, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A nil *SampleResponse stored in an any is not a nil result.
	if err != nil {
		s.finish(j.f, nil, err)
	} else {
		s.finish(j.f, resp, nil)
	}
	s.queued--
}

// sampleDone is a sampling request's samples, or why it failed.
type sampleDone struct {
	job  *job
	resp *tinker.SampleResponse
	err  error
}

// samplerEngine generates for one sampler's weights and keeps the KV cache
// of each sequence it generated: a rollout's next turn sends the same
// tokens again with a search result after them, and only the new tokens
// are fed. Requests carry no sequence name, so a request continues the
// kept sequence whose tokens its prompt starts with.
type samplerEngine struct {
	m       *model.Model
	session string
	eng     *generate.Engine
	maxKept int              // Config.MaxKeptSequences
	seqs    map[string][]int // each kept sequence's tokens, prompt and sample, by engine key
	order   []string         // the keys of seqs, least recently used first
	claimed map[string]bool  // keys given to requests running now
	next    int
	mu      sync.Mutex // guards seqs, order, claimed and next
}

// samplerEngine returns the engine of a sampler's weights, closing the one
// of the weights sampled before. It runs on the executor, the engines'
// only user.
func (s *Server) samplerEngine(m *model.Model, session string) (*samplerEngine, error) {
	if se := s.sampler; se != nil && se.m == m && se.session == session {
		return se, nil
	}
	if s.sampler != nil {
		s.sampler.eng.Close()
		s.sampler = nil
	}
	eng, err := generate.NewEngine(m, generate.Options{Decoder: s.cfg.Decoder})
	if err != nil {
		return nil, err
	}
	eng.MaxSessions = s.cfg.MaxKeptSequences + maxSampleBatch*s.cfg.MaxNumSamples
	s.sampler = &samplerEngine{m: m, session: session, eng: eng, maxKept: s.cfg.MaxKeptSequences, seqs: map[string][]int{}, claimed: map[string]bool{}}
	return s.sampler, nil
}

// claim returns the key of an unclaimed kept sequence that prompt
// continues, when reuse is allowed, or a new key.
func (se *samplerEngine) claim(prompt []int, reuse bool) string {
	se.mu.Lock()
	defer se.mu.Unlock()
	if reuse {
		for _, k := range se.order {
			kept := se.seqs[k]
			if !se.claimed[k] && len(kept) < len(prompt) && slices.Equal(kept, prompt[:len(kept)]) {
				se.claimed[k] = true
				return k
			}
		}
	}
	se.next++
	k := fmt.Sprint(se.next)
	se.claimed[k] = true
	return k
}

// keep records the tokens of the sequence generated under key (nil when
// it failed: the key is forgotten) as its most recent, and forgets the
// least recently used beyond maxKept.
func (se *samplerEngine) keep(key string, tokens []int) {
	se.mu.Lock()
	defer se.mu.Unlock()
	delete(se.claimed, key)
	se.order = slices.DeleteFunc(se.order, func(k string) bool { return k == key })
	if tokens == nil {
		delete(se.seqs, key)
		se.eng.Release(key)
		return
	}
	se.seqs[key] = tokens
	se.order = append(se.order, key)
	for len(se.order) > se.maxKept {
		old := se.order[0]
		se.order = se.order[1:]
		delete(se.seqs, old)
		se.eng.Release(old)
	}
}

// generate samples a request's samples on the engine, each sequence
// continuing a kept one when its prompt does, and returns its response
// without prompt logprobs. It runs beside other requests' generate.
func (se *samplerEngine) generate(j *job) (d sampleDone) {
	d.job = j
	defer func() {
		if p := recover(); p != nil {
			d.resp, d.err = nil, fmt.Errorf("internal error: %v\n%s", p, debug.Stack())
		}
	}()
	sj := j.sample
	gens := make([]generate.Result, len(sj.reqs))
	errs := make([]error, len(sj.reqs))
	keys := make([]string, len(sj.reqs))
	var wg sync.WaitGroup
	for i, req := range sj.reqs {
		keys[i] = se.claim(req.Prompt, i == 0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream, seed := uint64(i), sj.sampling.Seed
			call := generate.Call{Key: keys[i], Sampling: &sj.sampling, Stream: &stream, Seed: &seed}
			gens[i], errs[i] = se.eng.GenerateWith(context.Background(), call, req)
		}()
	}
	wg.Wait()
	for i, req := range sj.reqs {
		var tokens []int
		if errs[i] == nil {
			tokens = append(slices.Clone(req.Prompt), gens[i].Tokens...)
		}
		se.keep(keys[i], tokens)
	}
	if err := errors.Join(errs...); err != nil {
		return sampleDone{job: j, err: fmt.Errorf("sample: %w", err)}
	}
	d.resp = &tinker.SampleResponse{}
	for _, g := range gens {
		lp := make([]float32, len(g.Logprobs))
		for i, x := range g.Logprobs {
			lp[i] = float32(x)
		}
		reason := tinker.StopReasonStop
		if g.Finish == generate.FinishLength {
			reason = tinker.StopReasonLength
		}
		d.resp.Sequences = append(d.resp.Sequences, tinker.SampledSequence{Tokens: g.Tokens, Logprobs: lp, StopReason: reason})
	}
	return d
}

// addPromptLogprobs adds the prompt's logprobs to a sampling response.
func addPromptLogprobs(m *model.Model, sj *sampleJob, resp *tinker.SampleResponse) error {
	resp.PromptLogprobs = []float32{float32(math.NaN())}
	if len(sj.prompt) < 2 {
		return nil
	}
	lps, err := m.Logprobs([][]int{sj.prompt}, []int{1}, 1)
	if err != nil {
		return fmt.Errorf("prompt logprobs: %w", err)
	}
	for _, x := range lps[0] {
		resp.PromptLogprobs = append(resp.PromptLogprobs, float32(x))
	}
	return nil
}
