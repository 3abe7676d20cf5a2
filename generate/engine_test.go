package generate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"research/model"
)

// countingModel counts the tokens fed through Forward.
type countingModel struct {
	*model.Model
	mu  sync.Mutex
	fed int
}

func (c *countingModel) Forward(batch []model.Input) ([][]float32, error) {
	c.mu.Lock()
	for _, in := range batch {
		c.fed += len(in.Tokens)
	}
	c.mu.Unlock()
	return c.Model.Forward(batch)
}

func newEngine(t *testing.T, m Model, opt Options) *Engine {
	t.Helper()
	e, err := NewEngine(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestEngineGreedyMatchesReference(t *testing.T) {
	m, prompt, want := tinyModel(t)
	e := newEngine(t, m, Options{})
	r, err := e.Generate(context.Background(), "a", Request{Prompt: prompt, MaxTokens: len(want)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Tokens, want) || r.Finish != FinishLength {
		t.Fatalf("got %v (%s), want %v", r.Tokens, r.Finish, want)
	}
}

// TestEngineConcurrentEqualsAlone: sampled sequences running together give
// what each gives alone; a key, not the company it keeps, decides its draws.
func TestEngineConcurrentEqualsAlone(t *testing.T) {
	m, prompt, _ := tinyModel(t)
	opt := Options{Sampling: Sampling{Temperature: 1, Seed: 7}}
	reqs := make([]Request, 6)
	for i := range reqs {
		reqs[i] = Request{Prompt: prompt[:2+i%3], MaxTokens: 5 + 3*i}
	}
	alone := make([]Result, len(reqs))
	for i, r := range reqs {
		res, err := newEngine(t, m, opt).Generate(context.Background(), fmt.Sprint(i), r)
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = res
	}
	e := newEngine(t, m, opt)
	together := make([]Result, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.Generate(context.Background(), fmt.Sprint(i), r)
			if err != nil {
				t.Error(err)
			}
			together[i] = res
		}()
	}
	wg.Wait()
	for i := range reqs {
		if !slices.Equal(alone[i].Tokens, together[i].Tokens) {
			t.Errorf("request %d: alone %v, together %v", i, alone[i].Tokens, together[i].Tokens)
			continue
		}
		for k := range alone[i].Logprobs {
			if math.Abs(alone[i].Logprobs[k]-together[i].Logprobs[k]) > 1e-4 {
				t.Errorf("request %d token %d: logprob %v alone, %v together", i, k, alone[i].Logprobs[k], together[i].Logprobs[k])
			}
		}
	}
}

// TestEngineReusesSessionCache: a sequence that returns with its context
// plus inserted tokens feeds only what its cache lacks, and gets what a
// fresh sequence would.
func TestEngineReusesSessionCache(t *testing.T) {
	base, prompt, _ := tinyModel(t)
	m := &countingModel{Model: base}
	e := newEngine(t, m, Options{})
	first, err := e.Generate(context.Background(), "seq", Request{Prompt: prompt, MaxTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	inserted := []int{5, 6, 7}
	next := slices.Concat(prompt, first.Tokens, inserted)
	m.fed = 0
	second, err := e.Generate(context.Background(), "seq", Request{Prompt: next, MaxTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	// The last sampled token was never fed; then the inserted ones; then
	// every sampled token but the last.
	if want := 1 + len(inserted) + len(second.Tokens) - 1; m.fed != want {
		t.Errorf("fed %d tokens on return, want %d", m.fed, want)
	}
	fresh, err := newEngine(t, base, Options{}).Generate(context.Background(), "other", Request{Prompt: next, MaxTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second.Tokens, fresh.Tokens) {
		t.Errorf("with the kept cache %v, fresh %v", second.Tokens, fresh.Tokens)
	}
	// A different context under the same key rewinds to the common prefix.
	m.fed = 0
	if _, err := e.Generate(context.Background(), "seq", Request{Prompt: prompt[:3], MaxTokens: 1}); err != nil {
		t.Fatal(err)
	}
	if m.fed != 1 {
		t.Errorf("fed %d tokens for a prefix already cached, want 1", m.fed)
	}
	e.Release("seq")
	m.fed = 0
	if _, err := e.Generate(context.Background(), "seq", Request{Prompt: prompt[:3], MaxTokens: 1}); err != nil {
		t.Fatal(err)
	}
	if m.fed != 3 {
		t.Errorf("fed %d tokens after Release, want 3", m.fed)
	}
}

func TestEngineErrors(t *testing.T) {
	m, prompt, _ := tinyModel(t)
	e := newEngine(t, m, Options{})
	for name, req := range map[string]Request{
		"empty prompt": {MaxTokens: 1},
		"no budget":    {Prompt: prompt},
		"stop strings": {Prompt: prompt, MaxTokens: 1, StopStrings: []string{"x"}},
		"a cache":      {Prompt: prompt, MaxTokens: 1, Cache: m.NewCache(1)},
	} {
		if _, err := e.Generate(context.Background(), "k", req); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Generate(ctx, "k", Request{Prompt: prompt, MaxTokens: 100}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	closed := newEngine(t, m, Options{})
	closed.Close()
	done := make(chan error)
	go func() {
		_, err := closed.Generate(context.Background(), "k", Request{Prompt: prompt, MaxTokens: 1})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("closed engine: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a closed engine hangs")
	}
	if _, err := NewEngine(m, Options{Sampling: Sampling{Temperature: -1}}); err == nil {
		t.Error("negative temperature accepted")
	}
}

// TestEngineSeedPerRequest: with Call.Seed each request of a sequence
// draws what Generate draws for it alone with that seed (a sampling
// service seeded per request), the first and the returning one alike,
// while the returning one still feeds only what its cache lacks.
func TestEngineSeedPerRequest(t *testing.T) {
	base, prompt, _ := tinyModel(t)
	m := &countingModel{Model: base}
	samp := Sampling{Temperature: 1, Seed: 99}
	e := newEngine(t, m, Options{Sampling: samp})
	alone := func(p []int, seed uint64) Result {
		t.Helper()
		s := samp
		s.Seed = seed
		res, err := Generate(base, []Request{{Prompt: p, MaxTokens: 6}}, Options{Sampling: s})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	seeds := []uint64{11, 12}
	ctx := prompt
	for turn, seed := range seeds {
		m.fed = 0
		got, err := e.GenerateWith(context.Background(), Call{Key: "k", Seed: &seed}, Request{Prompt: ctx, MaxTokens: 6})
		if err != nil {
			t.Fatal(err)
		}
		want := alone(ctx, seed)
		if !slices.Equal(got.Tokens, want.Tokens) {
			t.Fatalf("turn %d: engine %v, alone %v", turn, got.Tokens, want.Tokens)
		}
		for k := range got.Logprobs {
			if math.Abs(got.Logprobs[k]-want.Logprobs[k]) > 1e-5 {
				t.Errorf("turn %d token %d: logprob %v, alone %v", turn, k, got.Logprobs[k], want.Logprobs[k])
			}
		}
		if turn == 1 && m.fed >= len(ctx) {
			t.Errorf("turn %d fed %d tokens: the cache was not kept", turn, m.fed)
		}
		ctx = slices.Concat(ctx, got.Tokens, []int{5, 6})
	}
}
