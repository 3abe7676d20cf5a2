package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMergeFromTracksAdapters: a second copy refreshed with MergeFrom gives
// the logits of the adapted model, after the adapters change too.
func TestMergeFromTracksAdapters(t *testing.T) {
	c := testConfig(false, 4, 2)
	base, gen := randomModel(c, 1), randomModel(c, 1)
	lora, err := NewLoRA(base, 2, 4, []string{"q_proj", "down_proj"}, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	seq := []int{1, 5, 7, 2, 9}
	for round := range 2 {
		for _, a := range lora.Layers[0] { // move the adapters away from B = 0
			for j := range a.B {
				a.B[j] += float32(0.05 * float64(j%3+round))
			}
		}
		lora.MergeFrom(gen, base)
		want, err := base.TrainForward([][]int{seq}, []int{1}, TrainOptions{Temperature: 1, LoRA: lora})
		if err != nil {
			t.Fatal(err)
		}
		got, err := gen.Logprobs([][]int{seq}, []int{1}, 1)
		if err != nil {
			t.Fatal(err)
		}
		for j := range got[0] {
			if math.Abs(got[0][j]-want.Logp[0][j]) > 1e-4 {
				t.Fatalf("round %d token %d: merged copy %v, adapted base %v", round, j, got[0][j], want.Logp[0][j])
			}
		}
	}
}
