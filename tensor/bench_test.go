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

// BenchmarkSmallM compares the unpacked small-M path with the packed one at
// the shape of a decode step's gate/up projection, to place smallMAsm.
func BenchmarkSmallM(b *testing.B) {
	saved := smallMAsm
	defer func() { smallMAsm = saved }()
	for _, m := range []int{8, 16, 32, 48, 64} {
		for _, small := range []bool{true, false} {
			b.Run(fmt.Sprintf("m=%d/unpacked=%v", m, small), func(b *testing.B) {
				smallMAsm = 0
				if small {
					smallMAsm = m
				}
				r := rand.New(rand.NewPCG(1, 1))
				n, k := 4864, 896
				x, w, c := randSlice(r, m*k), randSlice(r, n*k), make([]float32, m*n)
				for b.Loop() {
					MatMulT(c, x, w, m, n, k)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkSoftmax runs the attention's row softmax at the lengths of a
// prefill block's rows.
func BenchmarkSoftmax(b *testing.B) {
	for _, n := range []int{128, 512, 1024} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x := randSlice(rand.New(rand.NewPCG(1, 1)), n)
			y := make([]float32, n)
			for b.Loop() {
				copy(y, x)
				Softmax(y)
			}
		})
	}
}
