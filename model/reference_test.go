package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// reference is the float64 numpy forward written by random_qwen2.py.
type reference struct {
	Prompt     []int     `json:"prompt"`
	LastLogits []float64 `json:"last_logits"`
	GreedyIDs  []int     `json:"greedy_ids"`
}

func loadReference(t *testing.T, dir string) (*Model, reference) {
	t.Helper()
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	data, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	// The tiny model's file lists the prompt before the continuation;
	// random_qwen2.py writes the continuation alone.
	if len(ref.GreedyIDs) > len(ref.Prompt) && slices.Equal(ref.GreedyIDs[:len(ref.Prompt)], ref.Prompt) {
		ref.GreedyIDs = ref.GreedyIDs[len(ref.Prompt):]
	}
	return m, ref
}

// greedy decodes n tokens one at a time after prompt through the KV cache.
func greedy(t *testing.T, m *Model, prompt []int, n int) []int {
	t.Helper()
	cache := m.NewCache(len(prompt) + n)
	feed := prompt
	var out []int
	for range n {
		logits, err := m.Forward([]Input{{Cache: cache, Tokens: feed}})
		if err != nil {
			t.Fatal(err)
		}
		next := argmax(logits[0])
		out = append(out, next)
		feed = []int{next}
	}
	return out
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

func TestTinyReference(t *testing.T) {
	m, ref := loadReference(t, "testdata/tiny")
	logits, err := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: ref.Prompt}})
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i, want := range ref.LastLogits {
		worst = max(worst, math.Abs(float64(logits[0][i])-want))
	}
	t.Logf("max |logit - reference| = %.3g", worst)
	if worst > 1e-4 {
		t.Errorf("max logit difference %.3g > 1e-4", worst)
	}
	if got := greedy(t, m, ref.Prompt, len(ref.GreedyIDs)); !slices.Equal(got, ref.GreedyIDs) {
		t.Errorf("greedy continuation %v, want %v", got, ref.GreedyIDs)
	}
}
