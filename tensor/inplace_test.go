package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// withInPlaceMaxN runs f with inPlaceMaxN set to v and restores it.
func withInPlaceMaxN(v int, f func()) {
	saved := inPlaceMaxN
	defer func() { inPlaceMaxN = saved }()
	inPlaceMaxN = v
	f()
}

// TestInPlaceABitIdentical checks, with every kernel set, that the block
// kernel gives the same bits whether it reads A's full panels in place or
// packs all of A: through gemmPacked with padded leading dimensions and
// both layouts of B, and through MatMulTBlockMany with float32 and
// bfloat16 weights sharing one A. The shapes have m with and without a
// partial 6-row panel, an odd count of full panels, n with and without a
// partial column panel, and k below, at and across the kc block.
func TestInPlaceABitIdentical(t *testing.T) {
	kernelModes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(24, 896))
		for _, m := range []int{6, 12, 13, 24, 512 + 5} {
			for _, n := range []int{32, 64, 96, 128, 100} {
				for _, k := range []int{1, 7, 256, 896, 1000} {
					name := fmt.Sprintf("m=%d n=%d k=%d", m, n, k)
					pa := prepareA(false, m, n, k, 1, make([]float32, m*k), k)
					packPool.Put(pa.buf)
					if want := m / mr; useAsm && pa.inPlace != want {
						t.Fatalf("%s: %d panels of A read in place, want %d", name, pa.inPlace, want)
					}

					g := newGemmCase(r, m, n, k, false, r.IntN(2) == 0, 1, 1)
					var runs [2][]float32
					for i, maxN := range []int{0, math.MaxInt} {
						c := append([]float32(nil), g.c...)
						withInPlaceMaxN(maxN, func() {
							gemmPacked(false, g.transB, m, n, k, 1, g.a, g.lda, g.b, g.ldb, c, g.ldc)
						})
						runs[i] = c
					}
					if at := sameBits(runs[1], runs[0]); at >= 0 {
						t.Fatalf("gemmPacked %v: C[%d] = %v in place, %v packed", g, at, runs[1][at], runs[0][at])
					}

					a := randSlice(r, m*k)
					w := randSlice(r, n*k)
					wb := LayoutBF16(randBF16(r, 37*k), 37, k)
					var many [2][2][]float32
					for i, maxN := range []int{0, math.MaxInt} {
						ls := []Linear{
							{W: w, N: n, C: make([]float32, m*n)},
							{WB: wb, N: 37, C: make([]float32, m*37)},
						}
						withInPlaceMaxN(maxN, func() { MatMulTBlockMany(a, m, k, ls...) })
						many[i] = [2][]float32{ls[0].C, ls[1].C}
					}
					for j := range many[0] {
						if at := sameBits(many[1][j], many[0][j]); at >= 0 {
							t.Fatalf("MatMulTBlockMany %s, matrix %d: C[%d] = %v in place, %v packed", name, j, at, many[1][j][at], many[0][j][at])
						}
					}
				}
			}
		}
	})
}
