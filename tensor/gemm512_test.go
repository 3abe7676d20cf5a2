package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sameBits reports the first index where got and want differ in their bits
// (any NaN matches any NaN), or -1.
func sameBits(got, want []float32) int {
	for i := range want {
		g, w := got[i], want[i]
		if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
			return i
		}
	}
	return -1
}

// gemmCase is one call of Gemm on random operands with padded leading
// dimensions.
type gemmCase struct {
	m, n, k        int
	transA, transB bool
	alpha, beta    float32
	lda, ldb, ldc  int
	a, b, c        []float32
}

func newGemmCase(r *rand.Rand, m, n, k int, transA, transB bool, alpha, beta float32) gemmCase {
	g := gemmCase{m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta}
	pad := func() int { return r.IntN(3) * r.IntN(9) }
	rowsA, rowsB := m, k
	g.lda, g.ldb, g.ldc = k+pad(), n+pad(), n+pad()
	if transA {
		rowsA, g.lda = k, m+pad()
	}
	if transB {
		rowsB, g.ldb = n, k+pad()
	}
	g.a = randSlice(r, max(1, rowsA*g.lda))
	g.b = randSlice(r, max(1, rowsB*g.ldb))
	g.c = randSlice(r, max(1, m*g.ldc))
	return g
}

// run returns C after Gemm with kernel set s.
func (g gemmCase) run(s int) []float32 {
	c := append([]float32(nil), g.c...)
	withSet(s, func() {
		Gemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	})
	return c
}

func (g gemmCase) String() string {
	return fmt.Sprintf("m=%d n=%d k=%d transA=%v transB=%v alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
		g.m, g.n, g.k, g.transA, g.transB, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

// TestGemmAVX512BitIdentical checks that the AVX-512 GEMM rounds every
// output exactly as the AVX2 one does, over random shapes with ragged edges
// in every dimension, k across several kc blocks, and both paths of Gemm
// (the packed block kernel, the unpacked rows kernel), and that both stay within
// float32 accuracy of the portable kernels.
func TestGemmAVX512BitIdentical(t *testing.T) {
	if bestSet < setAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	r := rand.New(rand.NewPCG(24, 512))
	var cases []gemmCase
	// Model shapes (scaled in m where the full one is slow to check).
	for _, s := range [][3]int{{128, 128, 896}, {70, 896, 128}, {16, 4864 / 4, 896}, {40, 899, 901}, {1, 1000, 896}, {512, 128, 64}} {
		cases = append(cases, newGemmCase(r, s[0], s[1], s[2], false, true, 1, 0))
	}
	for range 300 {
		m := 1 + r.IntN(160)
		if r.IntN(4) == 0 {
			m = 1 + r.IntN(8)
		}
		n := 1 + r.IntN(200)
		k := 1 + r.IntN(700)
		alpha := []float32{1, 1, 0.5, -1.25}[r.IntN(4)]
		beta := []float32{0, 0, 1, 0.75}[r.IntN(4)]
		cases = append(cases, newGemmCase(r, m, n, k, r.IntN(3) == 0, r.IntN(3) != 0, alpha, beta))
	}
	saved := mc512
	defer func() { mc512 = saved }()
	for i, g := range cases {
		mc512 = []int{144, 72, 576}[i%3] // the row block changes no result
		want := g.run(setAVX2)
		got := g.run(setAVX512)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%v: C[%d] = %v (avx512), %v (avx2)", g, i, got[i], want[i])
		}
		ref := g.run(setGo)
		for i := range ref {
			if d := math.Abs(float64(got[i] - ref[i])); d > 1e-4*math.Sqrt(float64(g.k))*(1+math.Abs(float64(ref[i]))) {
				t.Fatalf("%v: C[%d] = %v, portable kernels give %v", g, i, got[i], ref[i])
			}
		}
	}
}

// TestGemmNaNInf puts NaN and ±Inf into A and B and checks that every kernel
// set agrees on which outputs are NaN or infinite, and that AVX-512 and AVX2
// agree bit for bit.
func TestGemmNaNInf(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 12))
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for range 40 {
		g := newGemmCase(r, 1+r.IntN(40), 1+r.IntN(70), 1+r.IntN(300), false, r.IntN(2) == 0, 1, 0)
		for range 3 {
			g.a[r.IntN(len(g.a))] = specials[r.IntN(3)]
			g.b[r.IntN(len(g.b))] = specials[r.IntN(3)]
		}
		ref := g.run(setGo)
		for s := setAVX2; s <= bestSet; s++ {
			got := g.run(s)
			for i := range ref {
				gv, rv := float64(got[i]), float64(ref[i])
				if math.IsNaN(gv) != math.IsNaN(rv) || math.IsInf(gv, 0) != math.IsInf(rv, 0) {
					t.Fatalf("%s %v: C[%d] = %v, portable kernels give %v", setNames[s], g, i, got[i], ref[i])
				}
			}
		}
		if bestSet >= setAVX512 {
			if i := sameBits(g.run(setAVX512), g.run(setAVX2)); i >= 0 {
				t.Fatalf("%v: avx512 and avx2 differ at C[%d]", g, i)
			}
		}
	}
}

// TestMatMulTManyAVX512BitIdentical covers the shared packing of A.
func TestMatMulTManyAVX512BitIdentical(t *testing.T) {
	if bestSet < setAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, m := range []int{1, 13, 65, 200} {
		const k = 530
		a := randSlice(r, m*k)
		var runs [2][][]float32
		ws := [][]float32{randSlice(r, 896*k), randSlice(r, 128*k), randSlice(r, 37*k)}
		for i, s := range []int{setAVX2, setAVX512} {
			var ls []Linear
			for _, w := range ws {
				n := len(w) / k
				ls = append(ls, Linear{W: w, N: n, C: make([]float32, m*n)})
			}
			withSet(s, func() { MatMulTMany(a, m, k, ls...) })
			for _, l := range ls {
				runs[i] = append(runs[i], l.C)
			}
		}
		for j := range ws {
			if i := sameBits(runs[1][j], runs[0][j]); i >= 0 {
				t.Fatalf("m=%d, matrix %d: C[%d] = %v (avx512), %v (avx2)", m, j, i, runs[1][j][i], runs[0][j][i])
			}
		}
	}
}

// BenchmarkKernel12x32 times the AVX-512 micro-kernel alone on one core,
// its panels in L1: the ceiling the blocking around it can reach.
func BenchmarkKernel12x32(b *testing.B) {
	if bestSet < setAVX512 {
		b.Skip("no AVX-512 on this CPU")
	}
	r := rand.New(rand.NewPCG(1, 1))
	a0, a1, bp := randSlice(r, mr*kc), randSlice(r, mr*kc), randSlice(r, kc*nr512)
	c := make([]float32, 2*mr*nr512)
	for b.Loop() {
		kernel12x32AVX512(kc, &a0[0], &a1[0], &bp[0], &c[0], nr512)
	}
	b.ReportMetric(2*float64(2*mr*nr512*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkKernel6x16 times the AVX2 micro-kernel alone, as
// BenchmarkKernel12x32 does the AVX-512 one.
func BenchmarkKernel6x16(b *testing.B) {
	if bestSet < setAVX2 {
		b.Skip("no AVX2 on this CPU")
	}
	r := rand.New(rand.NewPCG(1, 1))
	a, bp := randSlice(r, mr*kc), randSlice(r, kc*nr)
	c := make([]float32, mr*nr)
	for b.Loop() {
		kernel6x16AVX(kc, &a[0], &bp[0], &c[0], nr)
	}
	b.ReportMetric(2*float64(mr*nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
