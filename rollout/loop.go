package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"research/dataset"
	"research/internal/ctxlimit"
	"research/protocol"
	"research/search"
)

// Config holds the knobs of the loop; Defaults gives the paper's.
type Config struct {
	Template          protocol.Template
	N                 int // rollouts per question (the GRPO group size)
	MaxResponseTokens int // budget of response tokens, inserted results included
	MaxTurns          int // searches allowed per rollout; 0 means no limit (the reference has none)
	TopK              int // passages per search
	Access            Access
	EOSIDs            []int
	EOSText           string // the tokenizer's eos_token, which the reward wants at the end
	EmptyQueryText    string // inserted as the result of an empty query
	SearchErrorText   string // inserted when the retriever keeps failing
	SearchRetries     int
	RetryBackoff      time.Duration // first retry delay; doubles each time
	// StopOnSearchError ends the run with the retriever's error once a
	// search has failed SearchRetries + 1 times, instead of inserting
	// SearchErrorText and going on (one interactive question: a dead
	// retriever should be reported, not answered around).
	StopOnSearchError bool
	// Synchronous reproduces the reference's rounds: a search batch waits
	// for every live rollout to search or finish.
	Synchronous bool
	// MaxConcurrent bounds the rollouts in flight (their KV caches); 0 means
	// all at once.
	MaxConcurrent int
	// TurnSeeds gives each policy call its own seed (Request.Seed),
	// TurnSeed(Seed, the rollout's key, its turn), the way a sampling
	// service takes one seed per request; off, a policy that keeps a
	// stream per sequence (the in-process engine) continues it across
	// the rollout's turns.
	TurnSeeds bool
	Seed      uint64
}

// Access is what the environment lets a policy find. The restricted
// kinds are baselines in the ReSearch format, for a policy that knows no
// other: the same prompt and model, less retrieval.
type Access string

const (
	// SearchAny searches every query the policy writes: ReSearch.
	SearchAny Access = ""
	// SearchNothing answers every search with an empty result: closed-book
	// generation.
	SearchNothing Access = "none"
	// SearchQuestion opens the response with a search for the question,
	// written by the environment, as naive RAG retrieves once with the
	// question; the policy's own searches find nothing.
	SearchQuestion Access = "question"
)

// Defaults returns the paper's settings for a tokenizer whose EOS tokens
// are eosIDs and whose eos_token text is eosText.
func Defaults(template protocol.Template, eosIDs []int, eosText string) Config {
	return Config{
		Template:          template,
		N:                 5,
		MaxResponseTokens: 8192,
		TopK:              5,
		EOSIDs:            eosIDs,
		EOSText:           eosText,
		EmptyQueryText:    "invalid query",
		SearchErrorText:   "search failed",
		SearchRetries:     4,
		RetryBackoff:      500 * time.Millisecond,
	}
}

func (c *Config) validate() error {
	switch {
	case c.N <= 0:
		return fmt.Errorf("rollout: n = %d: want > 0", c.N)
	case c.MaxResponseTokens <= 0:
		return fmt.Errorf("rollout: max response tokens = %d: want > 0", c.MaxResponseTokens)
	case c.TopK <= 0:
		return fmt.Errorf("rollout: top-k = %d: want > 0", c.TopK)
	case c.MaxTurns < 0 || c.SearchRetries < 0 || c.MaxConcurrent < 0:
		return errors.New("rollout: max turns, search retries and max concurrent must be >= 0")
	case c.Access != SearchAny && c.Access != SearchNothing && c.Access != SearchQuestion:
		return fmt.Errorf("rollout: unknown search access %q", c.Access)
	case len(c.EOSIDs) == 0 || c.EOSText == "":
		return errors.New("rollout: EOS ids and EOS text are required")
	}
	_, err := protocol.ParseTemplate(string(c.Template))
	return err
}

// Runner runs the loop for batches of questions.
type Runner struct {
	Policy    Policy
	Retriever search.Retriever
	Tokenizer Tokenizer
	Config    Config
	// OnDone, when set, is called once per finished trajectory (from many
	// goroutines, one at a time), e.g. to advance a progress bar.
	OnDone func(*Trajectory)
	// OnUnfit, when set, is called (one at a time) for a trajectory whose
	// prompt does not fit in the policy's context (err is a
	// *ctxlimit.Error naming the example): the run goes on without it, and
	// Run returns it unfinished (Finish "").
	// When nil, such a prompt stops the run with that error.
	OnUnfit func(t *Trajectory, err error)
	// OnText, when set, is called with each piece of a trajectory's text as
	// it is written: a policy turn (inserted false) or a search result
	// (inserted true). Calls for one trajectory come in order; calls for
	// different trajectories may be concurrent.
	OnText func(t *Trajectory, text string, inserted bool)
}

// Run rolls out every example N times and returns the trajectories,
// unscored, example-major (the N samples of an example are adjacent; each
// carries its example's index as its Group).
func (r *Runner) Run(ctx context.Context, examples []dataset.Example) ([]*Trajectory, error) {
	if err := r.Config.validate(); err != nil {
		return nil, err
	}
	cfg := r.Config
	b := &batcher{retriever: r.Retriever, k: cfg.TopK, retries: cfg.SearchRetries, backoff: cfg.RetryBackoff, sync: cfg.Synchronous}
	trajs := make([]*Trajectory, 0, len(examples)*cfg.N)
	for g, ex := range examples {
		prompt := cfg.Template.Prompt(ex.Question)
		ids := r.Tokenizer.Encode(prompt)
		for j := 0; j < cfg.N; j++ {
			trajs = append(trajs, &Trajectory{
				Version: TrajectoryVersion, EOSText: cfg.EOSText,
				ExampleID: ex.ID, Sample: j, Group: g, Question: ex.Question, Golds: ex.Answers,
				Prompt: ids, PromptText: prompt, StopID: -1,
			})
		}
	}

	workers := len(trajs)
	if cfg.MaxConcurrent > 0 {
		workers = min(workers, cfg.MaxConcurrent)
	}
	// Workers, not trajectories, are what the synchronous barrier counts:
	// a worker that finishes a rollout starts the next one at once, and
	// leaves the count only when the queue is empty.
	b.live = workers
	// The first error cancels the others; a prompt too long for the
	// policy is OnUnfit's, not an error, when OnUnfit is set.
	g, gctx := errgroup.WithContext(ctx)
	var (
		next atomic.Int64
		mu   sync.Mutex // OnDone and OnUnfit are called one at a time
	)
	for range workers {
		g.Go(func() error {
			defer b.finish()
			for gctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(trajs) {
					return nil
				}
				t := trajs[i]
				err := r.runOne(gctx, b, fmt.Sprintf("%d/%d", i/cfg.N, i%cfg.N), t)
				if err != nil && r.OnUnfit != nil && errors.As(err, new(*ctxlimit.Error)) {
					mu.Lock()
					r.OnUnfit(t, fmt.Errorf("example %q: %w", t.ExampleID, err))
					mu.Unlock()
					continue
				}
				if err != nil {
					return fmt.Errorf("rollout of example %q sample %d: %w", t.ExampleID, t.Sample, err)
				}
				if r.OnDone != nil {
					mu.Lock()
					r.OnDone(t)
					mu.Unlock()
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return trajs, nil
}

// runOne is the agent loop of one trajectory.
func (r *Runner) runOne(ctx context.Context, b *batcher, key string, t *Trajectory) error {
	if rel, ok := r.Policy.(Releaser); ok {
		defer rel.Release(key)
	}
	cfg := r.Config
	budget := cfg.MaxResponseTokens
	if l, ok := r.Policy.(ContextLimiter); ok {
		// Before any generation: the response must fit beside the prompt.
		fit, err := ctxlimit.Fit(len(t.Prompt), budget, l.MaxContext())
		if err != nil {
			return err
		}
		budget = fit
	}
	if cfg.Access == SearchQuestion {
		if err := r.searchQuestion(ctx, b, t, budget); err != nil || t.Finish != "" {
			return err
		}
	}
	for turn := 0; ; turn++ {
		start := time.Now()
		req := Request{
			Key:         key,
			Tokens:      append(t.Prompt[:len(t.Prompt):len(t.Prompt)], t.Response...),
			MaxTokens:   budget - len(t.Response),
			StopIDs:     cfg.EOSIDs,
			StopStrings: []string{protocol.SearchClose},
		}
		if cfg.TurnSeeds {
			seed := TurnSeed(cfg.Seed, key, turn)
			req.Seed = &seed
		}
		c, err := r.Policy.Generate(ctx, req)
		t.GenerateTime += time.Since(start)
		if err != nil {
			return err
		}
		if len(c.Tokens) > budget-len(t.Response) {
			return fmt.Errorf("policy returned %d tokens for a budget of %d", len(c.Tokens), budget-len(t.Response))
		}
		t.appendTokens(c.Tokens, c.Logprobs, 1)
		r.emit(t, c.Tokens, false)
		switch {
		case c.Finish == FinishStop && c.StopID >= 0:
			t.Finish, t.StopID = EndEOS, c.StopID
			return r.finish(t)
		case c.StopString != protocol.SearchClose || len(t.Response) >= budget:
			t.Finish = EndLength
			return r.finish(t)
		case cfg.MaxTurns > 0 && len(t.Searches) == cfg.MaxTurns:
			t.Finish = EndMaxTurns
			return r.finish(t)
		}
		// The reference extracts the query from this round's text only.
		round, err := r.Tokenizer.Decode(c.Tokens, false)
		if err != nil {
			return fmt.Errorf("decode the policy's tokens: %w", err)
		}
		if err := r.insertResults(ctx, b, t, protocol.SearchQuery(round), cfg.Access == SearchAny, budget); err != nil {
			return err
		}
		if len(t.Response) >= budget {
			t.Finish = EndLength
			return r.finish(t)
		}
	}
}

// searchQuestion opens the response with the environment's search for the
// question (SearchQuestion access), with loss mask 0, written as the base
// policy writes a search: the question without its question mark.
func (r *Runner) searchQuestion(ctx context.Context, b *batcher, t *Trajectory, budget int) error {
	query := strings.TrimSuffix(protocol.TrimSpace(t.Question), "?")
	ids := r.Tokenizer.Encode(protocol.RenderSearch(query))
	if len(ids) > budget {
		ids = ids[:budget]
	}
	t.appendTokens(ids, nil, 0)
	r.emit(t, ids, true)
	if len(t.Response) < budget {
		if err := r.insertResults(ctx, b, t, query, true, budget); err != nil {
			return err
		}
	}
	if len(t.Response) >= budget {
		t.Finish = EndLength
		return r.finish(t)
	}
	return nil
}

// insertResults searches for query, when enabled, and appends the
// rendered results, cut at the budget, with loss mask 0; when not, the
// result is empty.
func (r *Runner) insertResults(ctx context.Context, b *batcher, t *Trajectory, query string, enabled bool, budget int) error {
	cfg := r.Config
	s := Search{Turn: len(t.Searches), Query: query}
	var text string
	start := time.Now()
	switch docs, err := r.searchOrExplain(ctx, b, query, enabled); {
	case !enabled:
		text = protocol.RenderResult(nil)
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil && cfg.StopOnSearchError:
		return fmt.Errorf("search %q: %w", query, err)
	case err != nil:
		s.Error = err.Error()
		t.SearchFailed = true
		text = protocol.RenderResult([]string{cfg.SearchErrorText})
	case query == "":
		text = protocol.RenderResult([]string{cfg.EmptyQueryText})
	default:
		contents := make([]string, len(docs))
		for i, d := range docs {
			contents[i] = d.Contents
			s.DocIDs = append(s.DocIDs, d.ID)
			s.Scores = append(s.Scores, d.Score)
		}
		text = protocol.RenderResult(contents)
	}
	s.Latency = time.Since(start)
	t.SearchTime += s.Latency
	ids := r.Tokenizer.Encode(text)
	if room := budget - len(t.Response); len(ids) > room {
		ids = ids[:room]
	}
	s.Inserted = len(ids)
	t.appendTokens(ids, nil, 0)
	r.emit(t, ids, true)
	t.Searches = append(t.Searches, s)
	return nil
}

// searchOrExplain asks the batcher, except for an empty query, which the
// reference's server would reject, and where search is off.
func (r *Runner) searchOrExplain(ctx context.Context, b *batcher, query string, enabled bool) ([]search.Doc, error) {
	if query == "" || !enabled {
		return nil, nil
	}
	return b.search(ctx, query)
}

// emit passes a piece of text to OnText.
func (r *Runner) emit(t *Trajectory, ids []int, inserted bool) {
	if r.OnText == nil {
		return
	}
	if text, err := r.Tokenizer.Decode(ids, false); err == nil {
		r.OnText(t, text, inserted)
	}
}

func (t *Trajectory) appendTokens(ids []int, logprobs []float64, mask uint8) {
	t.Response = append(t.Response, ids...)
	for i := range ids {
		t.Mask = append(t.Mask, mask)
		lp := 0.0
		if i < len(logprobs) {
			lp = logprobs[i]
		}
		t.Logprobs = append(t.Logprobs, lp)
	}
}

// finish decodes the response of a finished trajectory, as the reward
// and the traces read it.
func (r *Runner) finish(t *Trajectory) error {
	text, err := r.Tokenizer.Decode(t.Response, false)
	if err != nil {
		return fmt.Errorf("decode the response: %w", err)
	}
	t.ResponseText = text
	return nil
}
