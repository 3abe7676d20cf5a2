package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime/debug"
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
	m := s.samplerModel(batch[0].sample.ss)
	eng, err := generate.NewEngine(m, generate.Options{Decoder: s.cfg.Decoder})
	if err != nil {
		for i := range errs {
			errs[i] = fmt.Errorf("sample: %w", err)
		}
		return results, errs
	}
	defer eng.Close()
	gens := make([][]generate.Result, len(batch))
	var wg sync.WaitGroup
	for b, j := range batch {
		gens[b] = make([]generate.Result, len(j.sample.reqs))
		for i, req := range j.sample.reqs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stream := uint64(i)
				call := generate.Call{Key: fmt.Sprintf("%d/%d", b, i), Sampling: &j.sample.sampling, Stream: &stream}
				res, err := eng.GenerateWith(context.Background(), call, req)
				gens[b][i] = res
				if err != nil {
					errs[b] = fmt.Errorf("sample: %w", err)
				}
			}()
		}
	}
	wg.Wait()
	for b, j := range batch {
		if errs[b] == nil {
			results[b], errs[b] = sampleResponse(m, j.sample, gens[b])
		}
	}
	return results, errs
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
