package topk

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHeapKeepsTheBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{0, 1, 3, 10, 50} {
		h := New(k, func(a, b int) bool { return a > b })
		var all []int
		for range 40 {
			x := rng.IntN(100)
			all = append(all, x)
			h.Offer(x)
		}
		slices.SortFunc(all, func(a, b int) int { return b - a })
		want := all[:min(k, len(all))]
		if got := h.Sorted(); !slices.Equal(got, want) {
			t.Errorf("k=%d: %v, want %v", k, got, want)
		}
		if h.Full() != (k <= 40) || (k > 0 && k <= 40 && h.Worst() != want[k-1]) {
			t.Errorf("k=%d: full %v, worst wrong", k, h.Full())
		}
	}
}
