package generate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"research/internal/ctxlimit"
	"research/model"
)

// cacheModel records the largest KV cache asked for.
type cacheModel struct {
	*model.Model
	mu      sync.Mutex
	largest int
}

func (c *cacheModel) NewCache(capacity int) *model.KVCache {
	c.mu.Lock()
	c.largest = max(c.largest, capacity)
	c.mu.Unlock()
	return c.Model.NewCache(capacity)
}

// TestContextLimit: both the engine and a batch cut a budget to the
// positions the prompt leaves and refuse a prompt that fills the context,
// before allocating a cache (a 100 MB question asked for ~100M positions
// and ran out of memory; a long one ran past the model's positions).
func TestContextLimit(t *testing.T) {
	type run func(m Model, req Request) (Result, error)
	runners := map[string]run{
		"engine": func(m Model, req Request) (Result, error) {
			return newEngine(t, m, Options{}).Generate(context.Background(), "k", req)
		},
		"batch": func(m Model, req Request) (Result, error) {
			res, err := Generate(m, []Request{req}, Options{})
			if err != nil {
				return Result{}, err
			}
			return res[0], nil
		},
	}
	for name, run := range runners {
		for _, tc := range []struct {
			name      string
			room      int // positions left after the prompt
			maxTokens int
			wantToks  int
			wantErr   bool
		}{
			{"budget within", 10, 4, 4, false},
			{"budget cut to the context", 3, 1 << 30, 3, false},
			{"prompt fills the context", 0, 5, 0, true},
			{"prompt beyond the context", -7, 8192, 0, true},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				tm, prompt, _ := tinyModel(t)
				m := &cacheModel{Model: tm}
				tm.Config.MaxPositions = len(prompt) + tc.room
				if tc.room < 0 {
					tm.Config.MaxPositions = 2
					prompt = append(prompt, prompt...)
				}
				res, err := run(m, Request{Prompt: prompt, MaxTokens: tc.maxTokens})
				if tc.wantErr {
					if !errors.As(err, new(*ctxlimit.Error)) || !strings.Contains(err.Error(), "context of") {
						t.Fatalf("error %v, want a context error", err)
					}
					if m.largest != 0 {
						t.Errorf("allocated a cache of %d positions before refusing", m.largest)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Tokens) != tc.wantToks || m.largest > tm.Config.MaxPositions {
					t.Errorf("%d tokens with a cache of %d on %d positions; want %d tokens within the context",
						len(res.Tokens), m.largest, tm.Config.MaxPositions, tc.wantToks)
				}
			})
		}
	}
}
