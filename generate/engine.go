package generate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"

	"research/internal/ctxlimit"
	"research/model"
)

// Engine serves generation requests from many goroutines over one model
// with continuous batching: every step runs one forward over all active
// sequences, a new request joins at the next step, and a finished one
// leaves at once, never waiting for the others.
//
// Requests carry a key naming their sequence. An engine keeps each key's
// KV cache and random stream between requests, so a sequence that comes
// back with its old context plus a few inserted tokens (a rollout after a
// search) feeds only the new tokens, and its sampling stays reproducible
// whatever else runs beside it. Release forgets a key.
type Engine struct {
	m         Model
	opt       Options
	submit    chan *job
	release   chan string
	stop      chan struct{}
	closeOnce sync.Once
	sessions  map[string]*session // owned by the loop goroutine
	// MaxSessions bounds the kept sessions; the least recently used go
	// first. Set before the first request.
	MaxSessions int
}

type session struct {
	cache *model.KVCache
	fed   []int // the tokens the cache holds
	samp  *sampler
	used  uint64
	busy  bool // a request of this key is running
}

type job struct {
	ctx  context.Context
	key  string
	call Call
	seq  *sequence
	err  error
	done chan struct{}
}

// NewEngine starts an engine; Close stops it.
func NewEngine(m Model, opt Options) (*Engine, error) {
	if err := opt.Sampling.validate(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	if opt.PrefillChunk <= 0 {
		opt.PrefillChunk = 512
	}
	e := &Engine{m: m, opt: opt, submit: make(chan *job), release: make(chan string, 64),
		stop: make(chan struct{}), sessions: map[string]*session{}, MaxSessions: 4096}
	go e.loop()
	return e, nil
}

// MaxContext is the model's context (see ContextLimiter), or 0 when
// unknown.
func (e *Engine) MaxContext() int { return MaxContext(e.m) }

// ErrClosed is returned for requests to a closed engine.
var ErrClosed = errors.New("generate: engine closed")

// Close stops the engine; running requests fail with ErrClosed. It may be
// called more than once.
func (e *Engine) Close() { e.closeOnce.Do(func() { close(e.stop) }) }

// Generate continues req.Prompt for the sequence named key and returns when
// it stops. req.Cache must be nil: the engine keeps the caches.
func (e *Engine) Generate(ctx context.Context, key string, req Request) (Result, error) {
	return e.GenerateWith(ctx, Call{Key: key}, req)
}

// Call names a sequence and, optionally, how to sample and watch it.
type Call struct {
	Key string
	// Sampling, if set, replaces the engine's for a sequence that starts
	// now (a new key, or one released or evicted).
	Sampling *Sampling
	// Stream, if set, picks the random stream of a sequence that starts
	// now; by default it derives from Key. Two calls with the same seed,
	// stream and prompt sample the same tokens.
	Stream *uint64
	// Seed, if set, draws this request's tokens from a fresh stream,
	// PCG(*Seed, *Stream) (stream 0 without Stream), whether the sequence
	// starts now or continues: what Generate gives the request of that
	// index whose Sampling.Seed is *Seed. The KV cache is kept. A sampling service seeded per request (Tinker's
	// sampling_params.seed, served by Generate) samples what this does.
	Seed *uint64
	// OnToken, if set, sees each token as it is sampled. It runs on the
	// engine's goroutine, between steps: it must return at once.
	OnToken func(Token)
}

// GenerateWith is Generate with the options of call.
func (e *Engine) GenerateWith(ctx context.Context, call Call, req Request) (Result, error) {
	key := call.Key
	if call.Sampling != nil {
		if err := call.Sampling.validate(); err != nil {
			return Result{}, fmt.Errorf("generate: %w", err)
		}
	}
	switch {
	case len(req.Prompt) == 0:
		return Result{}, errors.New("generate: empty prompt")
	case req.MaxTokens <= 0:
		return Result{}, fmt.Errorf("generate: max tokens %d: want > 0", req.MaxTokens)
	case len(req.StopStrings) > 0 && e.opt.Decoder == nil:
		return Result{}, errors.New("generate: stop strings need a decoder")
	case req.Cache != nil:
		return Result{}, errors.New("generate: an engine request must not bring a cache")
	}
	fit, err := ctxlimit.Fit(len(req.Prompt), req.MaxTokens, MaxContext(e.m))
	if err != nil {
		return Result{}, fmt.Errorf("generate: %w", err)
	}
	req.MaxTokens = fit
	s := &sequence{req: req}
	s.res.StopID = -1
	for _, str := range req.StopStrings {
		if str == "" {
			return Result{}, errors.New("generate: empty stop string")
		}
		s.maxStop = max(s.maxStop, len(str))
	}
	j := &job{ctx: ctx, key: key, call: call, seq: s, done: make(chan struct{})}
	select {
	case e.submit <- j:
	case <-e.stop:
		return Result{}, ErrClosed
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	<-j.done
	return s.res, j.err
}

// Release forgets the session of key, freeing its KV cache.
func (e *Engine) Release(key string) {
	select {
	case e.release <- key:
	case <-e.stop:
	}
}

// loop owns the sessions and the active jobs.
func (e *Engine) loop() {
	var active []*job
	var clock uint64
	for {
		// Wait for work when idle; otherwise take what has arrived.
		if len(active) == 0 {
			select {
			case j := <-e.submit:
				active = e.admit(active, j, &clock)
			case key := <-e.release:
				delete(e.sessions, key)
			case <-e.stop:
				return
			}
		}
	drain:
		for e.opt.MaxBatch <= 0 || len(active) < e.opt.MaxBatch {
			select {
			case j := <-e.submit:
				active = e.admit(active, j, &clock)
			case key := <-e.release:
				delete(e.sessions, key)
			case <-e.stop:
				e.fail(active, ErrClosed)
				return
			default:
				break drain
			}
		}
		active = e.step(active)
	}
}

// admit binds a job to its session, reusing the longest prefix of its
// prompt that the session's cache holds.
func (e *Engine) admit(active []*job, j *job, clock *uint64) []*job {
	*clock++
	s, ok := e.sessions[j.key]
	if !ok {
		e.evict()
		samp := e.opt.Sampling
		if j.call.Sampling != nil {
			samp = *j.call.Sampling
		}
		stream := streamOf(j.key)
		if j.call.Stream != nil {
			stream = *j.call.Stream
		}
		s = &session{samp: newSampler(samp, int(stream))}
		e.sessions[j.key] = s
	}
	if j.call.Seed != nil && !s.busy {
		samp := s.samp.Sampling
		if j.call.Sampling != nil {
			samp = *j.call.Sampling
		}
		samp.Seed = *j.call.Seed
		stream := uint64(0)
		if j.call.Stream != nil {
			stream = *j.call.Stream
		}
		s.samp = newSampler(samp, int(stream))
	}
	if s.busy {
		j.err = fmt.Errorf("generate: sequence %q already has a request running", j.key)
		close(j.done)
		return active
	}
	s.used, s.busy = *clock, true
	prompt := j.seq.req.Prompt
	if s.cache == nil {
		s.cache = e.m.NewCache(len(prompt) + j.seq.req.MaxTokens)
		s.fed = nil
	}
	// At least one prompt token is fed, to get the logits of the next.
	keep := min(commonPrefix(s.fed, prompt), len(prompt)-1)
	s.cache.Truncate(keep)
	s.fed = append(s.fed[:keep], prompt[keep:]...)
	j.seq.cache, j.seq.samp, j.seq.pending = s.cache, s.samp, prompt[keep:]
	// Keep the cache when the sequence ends: feed frees it otherwise.
	j.seq.req.Cache = s.cache
	return append(active, j)
}

// step runs one forward over the active jobs and returns those still running.
func (e *Engine) step(active []*job) []*job {
	live := active[:0]
	seqs := make([]*sequence, 0, len(active))
	for _, j := range active {
		if err := j.ctx.Err(); err != nil {
			e.finish(j, err)
			continue
		}
		live = append(live, j)
		seqs = append(seqs, j.seq)
	}
	if len(live) == 0 {
		return live
	}
	toks, err := feed(e.m, e.opt, seqs)
	if err != nil {
		e.fail(live, err)
		return nil
	}
	for _, t := range toks {
		if f := live[t.Seq].call.OnToken; f != nil {
			f(t)
		}
	}
	running := live[:0]
	for _, j := range live {
		if j.seq.res.Finish != "" {
			e.finish(j, nil)
			continue
		}
		running = append(running, j)
	}
	return running
}

// finish records what the session's cache now holds and wakes the caller.
// The cache holds every fed token: the prompt and all sampled tokens but
// the last.
func (e *Engine) finish(j *job, err error) {
	if s, ok := e.sessions[j.key]; ok && s.cache == j.seq.cache {
		s.busy = false
		toks := j.seq.res.Tokens
		s.fed = append(s.fed, toks[:max(0, len(toks)-1)]...)
		s.fed = s.fed[:min(len(s.fed), s.cache.Len)]
	}
	j.err = err
	close(j.done)
}

func (e *Engine) fail(jobs []*job, err error) {
	for _, j := range jobs {
		e.finish(j, err)
	}
}

// evict drops the least recently used session when the table is full.
func (e *Engine) evict() {
	if len(e.sessions) < e.MaxSessions {
		return
	}
	var oldest string
	var at uint64 = ^uint64(0)
	for k, s := range e.sessions {
		if !s.busy && s.used < at {
			oldest, at = k, s.used
		}
	}
	delete(e.sessions, oldest)
}

func commonPrefix(a, b []int) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// streamOf derives a sequence's random stream from its key, so that its
// draws do not depend on which requests run beside it.
func streamOf(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}
