package generate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"research/model"
)

// conversation is a rollout's pattern on the engine: a prompt, a first
// round of sampling, then the same key back with the sampled tokens and
// some inserted ones (a search result) for a second round.
type conversation struct {
	key              string
	prompt, inserted []int
	first, second    int // tokens sampled per round
}

// rounds runs c on e; onToken, if set, sees every token of both rounds.
func (c conversation) rounds(e *Engine, onToken func(Token)) ([]Result, error) {
	call := Call{Key: c.key, OnToken: onToken}
	one, err := e.GenerateWith(context.Background(), call, Request{Prompt: c.prompt, MaxTokens: c.first})
	if err != nil {
		return nil, err
	}
	next := slices.Concat(c.prompt, one.Tokens, c.inserted)
	two, err := e.GenerateWith(context.Background(), call, Request{Prompt: next, MaxTokens: c.second})
	if err != nil {
		return nil, err
	}
	return []Result{one, two}, nil
}

// sameResults fails t unless got has want's tokens and the bits of its
// logprobs.
func sameResults(t *testing.T, what string, got, want []Result) {
	t.Helper()
	for r := range want {
		if !slices.Equal(got[r].Tokens, want[r].Tokens) {
			t.Errorf("%s, round %d: tokens %v, alone %v", what, r, got[r].Tokens, want[r].Tokens)
			continue
		}
		for k, lp := range want[r].Logprobs {
			if math.Float64bits(got[r].Logprobs[k]) != math.Float64bits(lp) {
				t.Errorf("%s, round %d, token %d: logprob %v, alone %v", what, r, k, got[r].Logprobs[k], lp)
				break
			}
		}
	}
}

// TestEngineBatchInvariant checks that a sequence's tokens and logprobs
// have the same bits however it is batched: alone, with other sequences
// joining (and coming back with inserted tokens) while it decodes, so that
// prefills and decode steps share forwards in shifting combinations, and
// under several MaxBatch. Sampling is at temperature 1, so the logprobs
// carry the logits' last bits. Each model runs with its weights in F32 and
// in BF16.
func TestEngineBatchInvariant(t *testing.T) {
	tiny, _, _ := tinyModel(t)
	t.Run("tiny", func(t *testing.T) { engineBatchInvariant(t, tiny) })
	t.Run("tiny-bf16", func(t *testing.T) { engineBatchInvariant(t, loadAs(t, "../model/testdata/tiny", model.BF16)) })
	for _, dt := range []model.DType{model.F32, model.BF16} {
		t.Run("demo-"+string(dt), func(t *testing.T) {
			if testing.Short() {
				t.Skip("loads the demo's base policy")
			}
			engineBatchInvariant(t, loadAs(t, "../demo/base", dt))
		})
	}
}

// loadAs loads the model at dir with its weights in dtype, closed when t
// ends.
func loadAs(t *testing.T, dir string, dtype model.DType) *model.Model {
	t.Helper()
	m, err := model.LoadAs(dir, dtype)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func engineBatchInvariant(t *testing.T, m *model.Model) {
	opt := Options{Sampling: Sampling{Temperature: 1, Seed: 7}}
	r := rand.New(rand.NewPCG(3, 4))
	tokens := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = r.IntN(256)
		}
		return out
	}
	var convs []conversation
	for i := range 6 {
		convs = append(convs, conversation{
			key: fmt.Sprint("seq", i), prompt: tokens(5 + 13*i), inserted: tokens(3 + 7*(i%3)),
			first: 6 + i, second: 8,
		})
	}
	alone := make([][]Result, len(convs))
	for i, c := range convs {
		res, err := c.rounds(newEngine(t, m, opt), nil)
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = res
	}

	// Staggered: each sequence starts when the one before it has sampled
	// two tokens, so its prefill joins the other's decode steps.
	e := newEngine(t, m, opt)
	got := make([][]Result, len(convs))
	var wg sync.WaitGroup
	var start func(i int)
	start = func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			res, err := convs[i].rounds(e, func(Token) {
				if n++; n == 2 && i+1 < len(convs) {
					start(i + 1)
				}
			})
			if err != nil {
				t.Error(err)
			}
			got[i] = res
		}()
	}
	start(0)
	wg.Wait()
	for i := range convs {
		sameResults(t, fmt.Sprintf("staggered, sequence %d", i), got[i], alone[i])
	}

	// All at once, under several MaxBatch.
	for _, mb := range []int{1, 2, 4, 0} {
		e := newEngine(t, m, Options{Sampling: opt.Sampling, MaxBatch: mb})
		got := make([][]Result, len(convs))
		var wg sync.WaitGroup
		for i, c := range convs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := c.rounds(e, nil)
				if err != nil {
					t.Error(err)
				}
				got[i] = res
			}()
		}
		wg.Wait()
		for i := range convs {
			sameResults(t, fmt.Sprintf("MaxBatch %d, sequence %d", mb, i), got[i], alone[i])
		}
	}
}

// TestGenerateBatchInvariant checks the same for Generate, with F32 and
// BF16 weights: MaxBatch 1 runs each request alone; larger ones stack
// prefills and decode steps.
func TestGenerateBatchInvariant(t *testing.T) {
	for _, dt := range []model.DType{model.F32, model.BF16} {
		t.Run(string(dt), func(t *testing.T) { generateBatchInvariant(t, loadAs(t, "../model/testdata/tiny", dt)) })
	}
}

func generateBatchInvariant(t *testing.T, m *model.Model) {
	r := rand.New(rand.NewPCG(5, 6))
	var reqs []Request
	for i := range 7 {
		prompt := make([]int, 3+17*i%90)
		for j := range prompt {
			prompt[j] = r.IntN(256)
		}
		reqs = append(reqs, Request{Prompt: prompt, MaxTokens: 5 + 2*i})
	}
	run := func(mb int) []Result {
		res, err := Generate(m, reqs, Options{Sampling: Sampling{Temperature: 1, Seed: 9}, MaxBatch: mb, PrefillChunk: 24})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	alone := run(1)
	for _, mb := range []int{2, 3, 0} {
		got := run(mb)
		for i := range reqs {
			sameResults(t, fmt.Sprintf("MaxBatch %d, request %d", mb, i), got[i:i+1], alone[i:i+1])
		}
	}
}
