package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// batchInvShapes are the (n, k) of the batch-invariance tests: 96 outputs
// over a k with no tail, one with a tail of 5 terms past the eight-lane
// chains and three 256-term slices of the packed GEMM, and ragged n that
// leaves columns outside every tile group.
var batchInvShapes = [][2]int{{96, 128}, {96, 773}, {37, 133}, {13, 7}}

// batchInvMs are the row counts a row is computed among: every m up to past
// the rows kernel's row block and the bound of MatMulT's choice, and two
// larger ones.
func batchInvMs() []int {
	var ms []int
	for m := 1; m <= 70; m++ {
		ms = append(ms, m)
	}
	return append(ms, 100, 300)
}

// rowKernels are the entry points whose rows must not depend on the batch,
// with float32 weights and with bfloat16 ones (Linear.WB).
var rowKernels = []struct {
	name string
	f    func(a []float32, m, k int, ls ...Linear)
	bf16 bool
}{
	{"rows", MatMulTRowsMany, false},
	{"block", MatMulTBlockMany, false},
	{"rows-bf16", MatMulTRowsMany, true},
	{"block-bf16", MatMulTBlockMany, true},
}

// TestBatchInvariance checks, with every kernel set and both entry points,
// float32 and bfloat16 weights, that each row of C = A·Wᵀ (and of
// C += A·Wᵀ) has the bits it has when computed alone, whatever the number
// of rows m and whatever the row's place among them: a pool of rows is
// dealt into every position of every m in turn. It also checks that the
// AVX-512 set gives the AVX2 set's bits.
func TestBatchInvariance(t *testing.T) {
	const pool = 300
	for _, sh := range batchInvShapes {
		n, k := sh[0], sh[1]
		r := rand.New(rand.NewPCG(uint64(n), uint64(k)))
		w := randSlice(r, n*k)
		wb := LayoutBF16(randBF16(r, n*k), n, k)
		rows := randSlice(r, pool*k) // the rows of A
		init := randSlice(r, pool*n) // the rows of C before an Add
		for _, kern := range rowKernels {
			lin := func(c []float32, add bool) Linear {
				if kern.bf16 {
					return Linear{WB: wb, N: n, C: c, Add: add}
				}
				return Linear{W: w, N: n, C: c, Add: add}
			}
			for _, add := range []bool{false, true} {
				name := fmt.Sprintf("n=%d/k=%d/%s/add=%v", n, k, kern.name, add)
				// alone[set][row] is the row computed with m = 1.
				alone := map[int][]float32{}
				for s := setGo; s <= bestSet; s++ {
					withSet(s, func() {
						c := make([]float32, pool*n)
						for i := range pool {
							ci := c[i*n : (i+1)*n]
							copy(ci, init[i*n:(i+1)*n])
							kern.f(rows[i*k:(i+1)*k], 1, k, lin(ci, add))
						}
						alone[s] = c
					})
				}
				if bestSet >= setAVX512 {
					if at := sameBits(alone[setAVX512], alone[setAVX2]); at >= 0 {
						t.Fatalf("%s: row %d col %d: %v with avx512, %v with avx2", name, at/n, at%n, alone[setAVX512][at], alone[setAVX2][at])
					}
				}
				for s := setGo; s <= bestSet; s++ {
					withSet(s, func() {
						for _, m := range batchInvMs() {
							a := make([]float32, m*k)
							c := make([]float32, m*n)
							for i := range m {
								src := (i + 7*m) % pool // the pool row at position i
								copy(a[i*k:(i+1)*k], rows[src*k:(src+1)*k])
								copy(c[i*n:(i+1)*n], init[src*n:(src+1)*n])
							}
							kern.f(a, m, k, lin(c, add))
							for i := range m {
								src := (i + 7*m) % pool
								want := alone[s][src*n : (src+1)*n]
								if at := sameBits(c[i*n:(i+1)*n], want); at >= 0 {
									t.Fatalf("%s, %s set: m=%d, row %d: C[%d] = %v, alone %v", name, setNames[s], m, i, at, c[i*n+at], want[at])
								}
							}
						}
					})
				}
			}
		}
	}
}

// TestMatMulTPicks checks MatMulT's documented choice: the rows kernel up
// to rowsMax rows, the block kernel above, bit for bit.
func TestMatMulTPicks(t *testing.T) {
	const n, k = 50, 300
	kernelModes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 9))
		w := randSlice(r, n*k)
		for _, m := range []int{1, rowsMax(), rowsMax() + 1, 2*rowsMax() + 3} {
			a := randSlice(r, m*k)
			got, want := make([]float32, m*n), make([]float32, m*n)
			MatMulT(got, a, w, m, n, k)
			if m <= rowsMax() {
				MatMulTRows(want, a, w, m, n, k)
			} else {
				MatMulTBlock(want, a, w, m, n, k)
			}
			if at := sameBits(got, want); at >= 0 {
				t.Fatalf("m=%d: C[%d] = %v, the kernel MatMulT should pick gives %v", m, at, got[at], want[at])
			}
		}
	})
}
