package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// llamaRef is what shared/tools/llamacpp/ref.mjs printed for a model: the
// top-20 next-token probabilities after the prompt and a greedy continuation.
type llamaRef struct {
	TopProbs [][2]float64 `json:"top_probs"`
	Greedy   []int        `json:"greedy"`
}

// TestLlamaCppAgreement checks three random-weight models (see
// testdata/llamacpp/make.sh) against llama.cpp and the float64 numpy forward.
func TestLlamaCppAgreement(t *testing.T) {
	for _, name := range []string{"tied", "vocab4096", "qwen05-heads"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "llamacpp", name)
			m, ref := loadReference(t, dir)
			data, err := os.ReadFile(filepath.Join(dir, "llama.json"))
			if err != nil {
				t.Fatal(err)
			}
			var llama llamaRef
			if err := json.Unmarshal(data, &llama); err != nil {
				t.Fatal(err)
			}
			logits, err := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: ref.Prompt}})
			if err != nil {
				t.Fatal(err)
			}
			var worstLogit float64
			for i, want := range ref.LastLogits {
				worstLogit = max(worstLogit, math.Abs(float64(logits[0][i])-want))
			}
			probs := softmax64(logits[0])
			var worstProb float64
			for _, tp := range llama.TopProbs {
				worstProb = max(worstProb, math.Abs(probs[int(tp[0])]-tp[1]))
			}
			t.Logf("max |logit - numpy| = %.3g, max |p - llama.cpp| over its top 20 = %.3g", worstLogit, worstProb)
			if worstLogit > 1e-4 {
				t.Errorf("logits differ from the numpy reference by %.3g > 1e-4", worstLogit)
			}
			if worstProb > 1e-3 {
				t.Errorf("probabilities differ from llama.cpp by %.3g > 1e-3", worstProb)
			}
			got := greedy(t, m, ref.Prompt, len(llama.Greedy))
			if !slices.Equal(got, llama.Greedy) {
				t.Errorf("greedy continuation\n got %v\nwant %v (llama.cpp)", got, llama.Greedy)
			}
			if !slices.Equal(got[:len(ref.GreedyIDs)], ref.GreedyIDs) {
				t.Errorf("greedy continuation %v, numpy reference %v", got, ref.GreedyIDs)
			}
		})
	}
}

func softmax64(x []float32) []float64 {
	mx := float64(slices.Max(x))
	p := make([]float64, len(x))
	var sum float64
	for i, v := range x {
		p[i] = math.Exp(float64(v) - mx)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}
