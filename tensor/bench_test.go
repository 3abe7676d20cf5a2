package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchSets runs f as a sub-benchmark per kernel set with assembly
// ("kernels=avx2", "kernels=avx512"), so one run compares them under the
// same load: benchstat -col /kernels.
func benchSets(b *testing.B, f func(b *testing.B)) {
	saved := currentSet()
	defer setKernels(saved)
	for s := max(setAVX2, min(bestSet, setAVX2)); s <= bestSet; s++ {
		setKernels(s)
		b.Run("kernels="+setNames[s], f)
	}
}

// BenchmarkGemm times C = X·Wᵀ at 1024³ and the shapes of Qwen2.5-0.5B's
// linear layers: prefill of 512 tokens, decode steps of 16 and 1.
func BenchmarkGemm(b *testing.B) {
	for _, s := range []struct {
		name    string
		m, n, k int
	}{
		{"1024", 1024, 1024, 1024},
		{"qo", 512, 896, 896},
		{"kv", 512, 128, 896},
		{"gateup", 512, 4864, 896},
		{"down", 512, 896, 4864},
		{"lmhead", 512, 151936 / 8, 896},
		{"dec16gateup", 16, 4864, 896},
		{"dec16down", 16, 896, 4864},
		{"dec1gateup", 1, 4864, 896},
		{"dec1lmhead", 1, 151936, 896},
	} {
		b.Run(fmt.Sprintf("shape=%s", s.name), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			x, w, c := randSlice(r, s.m*s.k), randSlice(r, s.n*s.k), make([]float32, s.m*s.n)
			benchSets(b, func(b *testing.B) {
				for b.Loop() {
					MatMulT(c, x, w, s.m, s.n, s.k)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
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
			benchSets(b, func(b *testing.B) {
				for b.Loop() {
					copy(y, x)
					Softmax(y)
				}
			})
		})
	}
}

// BenchmarkSwiGLU runs the MLP's gate at one token of Qwen2.5-0.5B (4,864)
// and a block of 64.
func BenchmarkSwiGLU(b *testing.B) {
	for _, n := range []int{4864, 64 * 4864} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			g, u, out := randSlice(r, n), randSlice(r, n), make([]float32, n)
			benchSets(b, func(b *testing.B) {
				for b.Loop() {
					SwiGLU(out, g, u)
				}
			})
		})
	}
}

// BenchmarkMC512 times the AVX-512 GEMM at several row blocks mc512, to
// place it: run on a quiet machine with GOMAXPROCS=1 and 2.
func BenchmarkMC512(b *testing.B) {
	if bestSet < setAVX512 {
		b.Skip("no AVX-512 on this CPU")
	}
	saved, savedSet := mc512, currentSet()
	defer func() { mc512 = saved; setKernels(savedSet) }()
	setKernels(setAVX512)
	for _, s := range []struct{ m, n, k int }{{1024, 1024, 1024}, {512, 4864, 896}, {512, 128, 896}, {512, 896, 4864}} {
		r := rand.New(rand.NewPCG(1, 1))
		x, w, c := randSlice(r, s.m*s.k), randSlice(r, s.n*s.k), make([]float32, s.m*s.n)
		for _, mc := range []int{72, 144, 288, 576} {
			b.Run(fmt.Sprintf("shape=%dx%dx%d/mc=%d", s.m, s.n, s.k, mc), func(b *testing.B) {
				mc512 = mc
				for b.Loop() {
					MatMulT(c, x, w, s.m, s.n, s.k)
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkInPlaceA compares reading A's panels in place with packing them,
// at the prefill shapes of Qwen2.5-0.5B's k/v and q/o projections and
// widths between (m 512, k 896), and at the demo model's training shapes (m
// 4,096 tokens, k 128 or 384), to place inPlaceMaxN: run on a quiet machine.
func BenchmarkInPlaceA(b *testing.B) {
	saved := inPlaceMaxN
	defer func() { inPlaceMaxN = saved }()
	shapes := [][3]int{{512, 128, 896}, {512, 256, 896}, {512, 384, 896}, {512, 512, 896}, {512, 896, 896},
		{4096, 128, 128}, {4096, 256, 128}, {4096, 384, 128}, {4096, 128, 384}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		for _, inPlace := range []bool{true, false} {
			b.Run(fmt.Sprintf("%dx%dx%d/inplace=%v", m, n, k, inPlace), func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				x, w, c := randSlice(r, m*k), randSlice(r, n*k), make([]float32, m*n)
				benchSets(b, func(b *testing.B) {
					inPlaceMaxN = 0
					if inPlace {
						inPlaceMaxN = n
					}
					for b.Loop() {
						MatMulTBlock(c, x, w, m, n, k)
					}
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			})
		}
	}
}
