package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestScoresWeightedSum(t *testing.T) {
	kernelModes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, tc := range []struct{ n, hd, ld int }{
			{1, 8, 8}, {3, 16, 40}, {4, 64, 128}, {7, 64, 64}, {33, 128, 256}, {100, 24, 50}, {9, 96, 200},
		} {
			t.Run(fmt.Sprintf("n=%d,hd=%d", tc.n, tc.hd), func(t *testing.T) {
				q := randSlice(r, tc.hd)
				kv := randSlice(r, (tc.n-1)*tc.ld+tc.hd)
				scores := make([]float32, tc.n)
				Scores(scores, q, kv, tc.ld, 0.125)
				for j := range tc.n {
					var want float64
					for i := range tc.hd {
						want += float64(q[i]) * float64(kv[j*tc.ld+i])
					}
					want *= 0.125
					if math.Abs(float64(scores[j])-want) > 1e-5*(1+math.Abs(want)) {
						t.Fatalf("score %d = %v, want %v", j, scores[j], want)
					}
				}
				out := randSlice(r, tc.hd) // overwritten
				WeightedSum(out, scores, kv, tc.ld)
				for i := range tc.hd {
					var want float64
					for j := range tc.n {
						want += float64(scores[j]) * float64(kv[j*tc.ld+i])
					}
					if math.Abs(float64(out[i])-want) > 1e-5*(1+math.Abs(want)) {
						t.Fatalf("out[%d] = %v, want %v", i, out[i], want)
					}
				}
			})
		}
	})
}
