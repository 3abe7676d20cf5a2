package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the textbook triple loop in float64, the reference for Gemm.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := make([]float32, len(c))
	copy(out, c)
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				ia, ib := i*lda+p, p*ldb+j
				if transA {
					ia = p*lda + i
				}
				if transB {
					ib = j*ldb + p
				}
				av, bv := a[ia], b[ib]
				s += float64(av) * float64(bv)
			}
			prev := float64(out[i*ldc+j]) * float64(beta)
			if beta == 0 {
				prev = 0
			}
			out[i*ldc+j] = float32(float64(alpha)*s + prev)
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// kernelModes runs f once with every kernel set the CPU supports: the
// portable Go kernels always, then AVX2 and AVX-512 where present.
func kernelModes(t *testing.T, f func(t *testing.T)) {
	saved := currentSet()
	defer setKernels(saved)
	if bestSet < setAVX512 {
		t.Logf("widest kernel set on this CPU: %s; the others are not tested here", setNames[bestSet])
	}
	for s := setGo; s <= bestSet; s++ {
		setKernels(s)
		t.Run(setNames[s], f)
	}
}

// withSet runs f with kernel set s and restores the previous set.
func withSet(s int, f func()) {
	saved := currentSet()
	defer setKernels(saved)
	setKernels(s)
	f()
}

func TestGemm(t *testing.T) {
	cases := []struct {
		m, n, k        int
		transA, transB bool
		alpha, beta    float32
	}{
		{1, 1, 1, false, false, 1, 0},
		{3, 5, 7, false, true, 1, 0},
		{4, 300, 33, false, true, 1, 1},
		{5, 17, 9, false, false, 2, 0.5},
		{6, 16, 256, false, false, 1, 0},
		{7, 33, 300, true, false, 1, 0},
		{13, 40, 17, true, true, -1, 1},
		{64, 96, 513, false, true, 1, 0},
		{16, 50, 70, false, true, 1, 0},
		{31, 7, 8, false, true, 1, 1},
		{9, 3, 16, false, true, 1, 0},
		{32, 101, 905, false, true, 1, 0},
		{150, 3100, 20, false, true, 1, 0},
		{200, 70, 260, false, false, 0.5, 2},
	}
	kernelModes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, tc := range cases {
			lda, ldb, ldc := tc.k+3, tc.n+1, tc.n+2
			rowsA, rowsB := tc.m, tc.k
			if tc.transA {
				lda, rowsA = tc.m+1, tc.k
			}
			if tc.transB {
				ldb, rowsB = tc.k+2, tc.n
			}
			a := randSlice(r, rowsA*lda)
			b := randSlice(r, rowsB*ldb)
			c := randSlice(r, tc.m*ldc)
			want := naiveGemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
			Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
			for i := range tc.m {
				for j := range ldc {
					got, w := c[i*ldc+j], want[i*ldc+j]
					if math.Abs(float64(got-w)) > 1e-4*math.Sqrt(float64(tc.k))*(1+math.Abs(float64(w))) {
						t.Fatalf("%+v: C[%d][%d] = %v, want %v", tc, i, j, got, w)
					}
				}
			}
		}
	})
}

func TestGemmBetaZeroIgnoresNaN(t *testing.T) {
	c := []float32{float32(math.NaN()), float32(math.NaN())}
	Gemm(false, false, 1, 2, 1, 1, []float32{2}, 1, []float32{3, 4}, 2, 0, c, 2)
	if c[0] != 6 || c[1] != 8 {
		t.Fatalf("got %v, want [6 8]", c)
	}
}

func TestDotAxpy(t *testing.T) {
	kernelModes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 64, 100, 1000} {
			x, y := randSlice(r, n), randSlice(r, n)
			var want float64
			for i := range x {
				want += float64(x[i]) * float64(y[i])
			}
			if got := Dot(x, y); math.Abs(float64(got)-want) > 1e-4*(1+math.Abs(want)) {
				t.Errorf("Dot n=%d: %v, want %v", n, got, want)
			}
			y2 := append([]float32(nil), y...)
			Axpy(0.5, x, y2)
			for i := range y2 {
				if w := y[i] + 0.5*x[i]; math.Abs(float64(y2[i]-w)) > 1e-6 {
					t.Fatalf("Axpy n=%d: y[%d] = %v, want %v", n, i, y2[i], w)
				}
			}
		}
	})
}

func TestGemmShortSlicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Gemm accepted a B too short for its shape")
		}
	}()
	Gemm(false, true, 2, 3, 4, 1, make([]float32, 8), 4, make([]float32, 11), 4, 0, make([]float32, 6), 3)
}

func TestMatMulTMany(t *testing.T) {
	kernelModes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, m := range []int{1, 5, 70, 200} {
			const k = 300
			a := randSlice(r, m*k)
			ns := []int{17, 128, 3100}
			var ls []Linear
			for _, n := range ns {
				ls = append(ls, Linear{W: randSlice(r, n*k), N: n, C: randSlice(r, m*n)})
			}
			MatMulTMany(a, m, k, ls...)
			for _, l := range ls {
				want := make([]float32, m*l.N)
				MatMulT(want, a, l.W, m, l.N, k)
				for i := range want {
					if math.Abs(float64(l.C[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("m=%d n=%d: C[%d] = %v, want %v", m, l.N, i, l.C[i], want[i])
					}
				}
			}
		}
	})
}
