package server

import (
	"cmp"
	"context"
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

// maxSampleBatch bounds the asample requests generated together.
const maxSampleBatch = 64

// submitSample queues an asample request. Rollouts send their turns as
// concurrent requests; generated one at a time they would each decode at
// batch 1, so the executor takes the sampling requests queued together for
// the same weights and generates them on one continuous-batching engine,
// as the in-process trainer does.
func (s *Server) submitSample(w http.ResponseWriter, r *http.Request, body []byte, sj *sampleJob) {
	s.submitJob(w, r, body, &job{sample: sj})
}

// takeSamples returns first and the sampling requests queued right after
// it for the same sampling session, removing them from the run queue.
// s.mu is held.
func (s *Server) takeSamples(first *job) []*job {
	batch := []*job{first}
	for len(s.runq) > 0 && len(batch) < maxSampleBatch {
		j := s.runq[0]
		if j.sample == nil || j.sample.ss.id != first.sample.ss.id {
			break
		}
		batch = append(batch, j)
		s.runq = s.runq[1:]
	}
	return batch
}

// runSamples generates a batch of sampling requests of one session on one
// engine and returns each request's response or error. Each sample draws
// from PCG(seed, i), its request's seed and its index, as generate.Generate
// gives it, and the engine's products do not depend on the batch, so a
// request samples what it would alone.
func (s *Server) runSamples(batch []*job) (results []any, errs []error) {
	results, errs = make([]any, len(batch)), make([]error, len(batch))
	defer func() {
		if p := recover(); p != nil {
			s.logf("panic in a batch of %d sampling requests: %v\n%s", len(batch), p, debug.Stack())
			for i := range batch {
				results[i], errs[i] = nil, fmt.Errorf("internal error: %v", p)
			}
		}
	}()
	ss := batch[0].sample.ss
	m := s.samplerModel(ss)
	se, err := s.samplerEngine(m, ss.id)
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("sample: %w", err)
		}
		return results, errs
	}
	gens := make([][]generate.Result, len(batch))
	keys := make([][]string, len(batch))
	genErrs := make([][]error, len(batch))
	var wg sync.WaitGroup
	for b, j := range batch {
		gens[b] = make([]generate.Result, len(j.sample.reqs))
		keys[b] = make([]string, len(j.sample.reqs))
		genErrs[b] = make([]error, len(j.sample.reqs))
		for i, req := range j.sample.reqs {
			keys[b][i] = se.claim(req.Prompt, i == 0)
			wg.Add(1)
			go func() {
				defer wg.Done()
				stream, seed := uint64(i), j.sample.sampling.Seed
				call := generate.Call{Key: keys[b][i], Sampling: &j.sample.sampling, Stream: &stream, Seed: &seed}
				res, err := se.eng.GenerateWith(context.Background(), call, req)
				gens[b][i], genErrs[b][i] = res, err
			}()
		}
	}
	wg.Wait()
	for b, j := range batch {
		for i, req := range j.sample.reqs {
			var tokens []int
			if err := genErrs[b][i]; err != nil {
				errs[b] = cmp.Or(errs[b], fmt.Errorf("sample: %w", err))
			} else {
				tokens = append(slices.Clone(req.Prompt), gens[b][i].Tokens...)
			}
			se.keep(keys[b][i], tokens)
		}
	}
	for b, j := range batch {
		if errs[b] == nil {
			results[b], errs[b] = sampleResponse(m, j.sample, gens[b])
		}
	}
	return results, errs
}

// maxKeptSequences bounds the sequences whose KV caches a sampler engine
// keeps for the next turn of a rollout.
const maxKeptSequences = 256

// samplerEngine generates for one sampler's weights and keeps the KV cache
// of each sequence it generated: a rollout's next turn sends the same
// tokens again with a search result after them, and only the new tokens
// are fed. Requests carry no sequence name, so a request continues the
// kept sequence whose tokens its prompt starts with.
type samplerEngine struct {
	m       *model.Model
	session string
	eng     *generate.Engine
	seqs    map[string][]int // each kept sequence's tokens, prompt and sample, by engine key
	order   []string         // the keys of seqs, least recently used first
	claimed map[string]bool  // keys given to the running batch
	next    int
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
	eng.MaxSessions = maxKeptSequences + maxSampleBatch*s.cfg.MaxNumSamples
	s.sampler = &samplerEngine{m: m, session: session, eng: eng, seqs: map[string][]int{}, claimed: map[string]bool{}}
	return s.sampler, nil
}

// claim returns the key of an unclaimed kept sequence that prompt
// continues, when reuse is allowed, or a new key.
func (se *samplerEngine) claim(prompt []int, reuse bool) string {
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
// least recently used beyond maxKeptSequences.
func (se *samplerEngine) keep(key string, tokens []int) {
	delete(se.claimed, key)
	se.order = slices.DeleteFunc(se.order, func(k string) bool { return k == key })
	if tokens == nil {
		delete(se.seqs, key)
		se.eng.Release(key)
		return
	}
	se.seqs[key] = tokens
	se.order = append(se.order, key)
	for len(se.order) > maxKeptSequences {
		old := se.order[0]
		se.order = se.order[1:]
		delete(se.seqs, old)
		se.eng.Release(old)
	}
}

// sampleResponse is the response to a sampling request: its samples, and
// the prompt's logprobs when asked.
func sampleResponse(m *model.Model, sj *sampleJob, gens []generate.Result) (*tinker.SampleResponse, error) {
	out := &tinker.SampleResponse{}
	for _, g := range gens {
		lp := make([]float32, len(g.Logprobs))
		for i, x := range g.Logprobs {
			lp[i] = float32(x)
		}
		reason := tinker.StopReasonStop
		if g.Finish == generate.FinishLength {
			reason = tinker.StopReasonLength
		}
		out.Sequences = append(out.Sequences, tinker.SampledSequence{Tokens: g.Tokens, Logprobs: lp, StopReason: reason})
	}
	if sj.promptLogprobs {
		out.PromptLogprobs = []float32{float32(math.NaN())}
		if len(sj.prompt) > 1 {
			lps, err := m.Logprobs([][]int{sj.prompt}, []int{1}, 1)
			if err != nil {
				return nil, fmt.Errorf("prompt logprobs: %w", err)
			}
			for _, x := range lps[0] {
				out.PromptLogprobs = append(out.PromptLogprobs, float32(x))
			}
		}
	}
	return out, nil
}
