package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkGemm(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{1024, 1024, 1024}, {512, 4864, 896}, {1, 4864, 896}, {16, 4864, 896}} {
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x, w, c := randSlice(r, s.m*s.k), randSlice(r, s.n*s.k), make([]float32, s.m*s.n)
			for b.Loop() {
				MatMulT(c, x, w, s.m, s.n, s.k)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
