package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randBF16 returns n bfloat16 weights of random floats in [-1, 1), with a
// few signed zeros and tiny values so the widening of every bit pattern
// class is exercised.
func randBF16(r *rand.Rand, n int) []uint16 {
	w := make([]uint16, n)
	for i := range w {
		w[i] = uint16(math.Float32bits(2*r.Float32()-1) >> 16)
		switch r.IntN(50) {
		case 0:
			w[i] = 0x8000 // -0
		case 1:
			w[i] = 0x0001 // the smallest subnormal
		}
	}
	return w
}

func widened(w []uint16) []float32 {
	f := make([]float32, len(w))
	WidenBF16(f, w)
	return f
}

func TestBF16ToF32(t *testing.T) {
	for _, f := range []float32{0, 1, -2.5, 3.140625, float32(math.Inf(-1)), 1e-40} {
		b := uint16(math.Float32bits(f) >> 16)
		if got := BF16ToF32(b); math.Float32bits(got) != math.Float32bits(f)&0xffff0000 {
			t.Errorf("BF16ToF32(%#04x) = %v, want the high half of %v", b, got, f)
		}
	}
}

// bf16Products pairs each BF16 entry point with its float32 twin, whose
// bits it must give on the widened weights; add makes both C += A·Wᵀ.
var bf16Products = []struct {
	name string
	bf16 func(c, a []float32, w *BF16Matrix, m, n, k int)
	f32  func(c, a, w []float32, m, n, k int)
}{
	{"MatMulTBF16", MatMulTBF16, MatMulT},
	{"MatMulTRowsBF16", MatMulTRowsBF16, MatMulTRows},
	{"MatMulTBlockBF16", MatMulTBlockBF16, MatMulTBlock},
	{"MatMulTRowsMany/add", func(c, a []float32, w *BF16Matrix, m, n, k int) {
		MatMulTRowsMany(a, m, k, Linear{WB: w, N: n, C: c, Add: true})
	}, func(c, a, w []float32, m, n, k int) {
		MatMulTRowsMany(a, m, k, Linear{W: w, N: n, C: c, Add: true})
	}},
	{"MatMulTBlockMany/add", func(c, a []float32, w *BF16Matrix, m, n, k int) {
		MatMulTBlockMany(a, m, k, Linear{WB: w, N: n, C: c, Add: true})
	}, func(c, a, w []float32, m, n, k int) {
		MatMulTBlockMany(a, m, k, Linear{W: w, N: n, C: c, Add: true})
	}},
}

// refMatMulTBF16 is the plain reference: C (+)= A·Wᵀ summed in float64 with
// W widened, one output at a time.
func refMatMulTBF16(c, a []float32, w []uint16, m, n, k int) {
	for i := range m {
		for j := range n {
			s := float64(c[i*n+j])
			for p := range k {
				s += float64(a[i*k+p]) * float64(BF16ToF32(w[j*k+p]))
			}
			c[i*n+j] = float32(s)
		}
	}
}

// TestMatMulTBF16 checks, with every kernel set and every BF16 entry point
// (the rows kernel, the block kernel, the choice between them, and their
// C += forms), that the BF16 product has the bits of its float32 twin on
// the widened weights (ragged m, n and k cover every tile edge and tail),
// and that it agrees with the float64 reference to float32 rounding.
func TestMatMulTBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 16))
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range []int{1, 2, 3, 4, 5, 7, 8, 16, 17, 64, 65, 70} {
		for _, nk := range [][2]int{{1, 1}, {3, 8}, {5, 7}, {12, 16}, {13, 9}, {25, 33}, {37, 100}, {48, 64}, {200, 129}, {397, 40}, {24, 256}, {40, 300}} {
			shapes = append(shapes, shape{m, nk[0], nk[1]})
		}
	}
	type operands struct {
		a, c0 []float32   // A, and C before the product
		w     []uint16    // W's bits in natural order
		lw    *BF16Matrix // W in the kernels' layout
		ref   []float32   // C += A·Wᵀ by refMatMulTBF16
	}
	ops := make([]operands, len(shapes))
	for i, s := range shapes {
		o := &ops[i]
		o.a = randSlice(r, s.m*s.k)
		o.c0 = randSlice(r, s.m*s.n)
		o.w = randBF16(r, s.n*s.k)
		o.lw = LayoutBF16(o.w, s.n, s.k)
		o.ref = make([]float32, s.m*s.n)
		refMatMulTBF16(o.ref, o.a, o.w, s.m, s.n, s.k)
	}
	kernelModes(t, func(t *testing.T) {
		for _, p := range bf16Products {
			add := strings.HasSuffix(p.name, "/add")
			for i, s := range shapes {
				o := ops[i]
				got, want := slices.Clone(o.c0), slices.Clone(o.c0)
				p.bf16(got, o.a, o.lw, s.m, s.n, s.k)
				p.f32(want, o.a, widened(o.w), s.m, s.n, s.k)
				if at := sameBits(got, want); at >= 0 {
					t.Fatalf("%s m=%d n=%d k=%d: C[%d] = %v, float32 twin on widened weights %v", p.name, s.m, s.n, s.k, at, got[at], want[at])
				}
				for j := range got {
					ref := float64(o.ref[j])
					if add {
						ref += float64(o.c0[j])
					}
					if d := math.Abs(float64(got[j]) - ref); d > 1e-5*(1+float64(s.k)/16) {
						t.Fatalf("%s m=%d n=%d k=%d: C[%d] = %v, float64 reference %v", p.name, s.m, s.n, s.k, j, got[j], ref)
					}
				}
			}
		}
	})
}

// layoutKs are row lengths around the layout's 16-value blocks: no full
// block, blocks only, blocks and a natural 8-value chunk (k&^7 not a
// multiple of 16), each with and without a tail past k&^7, and the
// Qwen2.5-0.5B widths with and without an extra chunk.
var layoutKs = []int{0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 47, 48, 264, 896, 904, 911, 4864}

// TestLayoutBF16 checks BF16Matrix's layout against its documented rule,
// position by position, and that every reader of it gets the natural
// order back: Bits (a round trip), WidenRow, and the widening of a row's
// slices that the packed GEMM does from each k block.
func TestLayoutBF16(t *testing.T) {
	for _, k := range layoutKs {
		for _, n := range []int{1, 3} {
			w := make([]uint16, n*k)
			for i := range w {
				w[i] = uint16(i*7 + 1) // distinct, so a misplaced value shows
			}
			lw := LayoutBF16(w, n, k)
			if gn, gk := lw.Shape(); gn != n || gk != k {
				t.Fatalf("k=%d n=%d: Shape() = %d, %d", k, n, gn, gk)
			}
			k16 := k &^ 15
			for j := range n {
				for p := range k {
					at := p
					if p < k16 {
						at = p/16*16 + 2*(p%8) + p%16/8
					}
					if got := lw.bits[j*k+at]; got != w[j*k+p] {
						t.Fatalf("k=%d n=%d: row %d value %d stored at %d is %d, want %d", k, n, j, p, at, got, w[j*k+p])
					}
				}
			}
			if !slices.Equal(lw.Bits(), w) {
				t.Fatalf("k=%d n=%d: Bits() is not the natural order laid out", k, n)
			}
			want := widened(w)
			for j := range n {
				got := make([]float32, k)
				lw.WidenRow(got, j)
				if at := sameBits(got, want[j*k:(j+1)*k]); at >= 0 {
					t.Fatalf("k=%d n=%d: WidenRow(%d)[%d] = %v, want %v", k, n, j, at, got[at], want[j*k+at])
				}
				for p0 := 0; p0 < k; p0 += 16 {
					for _, end := range []int{p0 + 16, p0 + 21, k} {
						end = min(end, k)
						got := make([]float32, end-p0)
						lw.widen(got, j, p0)
						if at := sameBits(got, want[j*k+p0:j*k+end]); at >= 0 {
							t.Fatalf("k=%d n=%d: row %d, terms [%d, %d): term %d = %v, want %v", k, n, j, p0, end, p0+at, got[at], want[j*k+p0+at])
						}
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("LayoutBF16 took 5 values for a 2×3 matrix")
		}
	}()
	LayoutBF16(make([]uint16, 5), 2, 3)
}

// TestMatMulTBF16Layout checks, with every kernel set, every BF16 entry
// point on the layout's edge cases (the k of TestLayoutBF16): row counts
// that take the one-row kernel only, the 4-row tiles only, and both, and
// column counts around the 3-, 8- and 12-column groups; each against its
// float32 twin on the widened weights, bit for bit.
func TestMatMulTBF16Layout(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 8))
	kernelModes(t, func(t *testing.T) {
		for _, k := range layoutKs {
			for _, m := range []int{1, 4, 5} {
				for _, n := range []int{1, 8, 12, 13, 35} {
					a, c0, w := randSlice(r, m*k), randSlice(r, m*n), randBF16(r, n*k)
					lw, wf := LayoutBF16(w, n, k), widened(w)
					for _, p := range bf16Products {
						got, want := slices.Clone(c0), slices.Clone(c0)
						p.bf16(got, a, lw, m, n, k)
						p.f32(want, a, wf, m, n, k)
						if at := sameBits(got, want); at >= 0 {
							t.Fatalf("%s m=%d n=%d k=%d: C[%d] = %v, float32 twin on widened weights %v", p.name, m, n, k, at, got[at], want[at])
						}
					}
				}
			}
		}
	})
}

// TestLinearBF16Shape checks that a BF16 weight matrix of the wrong shape
// is refused before any kernel reads it.
func TestLinearBF16Shape(t *testing.T) {
	lw := LayoutBF16(make([]uint16, 4*8), 4, 8)
	for _, tc := range []struct{ n, k int }{{4, 16}, {8, 4}, {3, 8}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("a 4×8 BF16 matrix was taken as %d×%d", tc.n, tc.k)
				}
			}()
			MatMulTRowsBF16(make([]float32, tc.n), make([]float32, tc.k), lw, 1, tc.n, tc.k)
		}()
	}
}

// TestDotBF16 checks the BF16 dot product (y in the kernels' layout) against
// Dot on the widened vector bit for bit, at every length around the 8-
// and 32-float chunks and the 16-value blocks.
func TestDotBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	kernelModes(t, func(t *testing.T) {
		for n := range 80 {
			x := randSlice(r, n)
			y := randBF16(r, n)
			got, want := dotBF16(x, LayoutBF16(y, 1, n).bits), Dot(x, widened(y))
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("n=%d: dotBF16 = %v, Dot on widened %v", n, got, want)
			}
		}
	})
}

// BenchmarkMatMulTBF16 compares BF16 and float32 weights at the decode shapes
// of Qwen2.5-0.5B (batch 1 and 16): the layer projections and the LM head.
// Decode streams the weights once per step, so BF16 should approach half the
// time where memory bandwidth bounds the F32 kernel.
func BenchmarkMatMulTBF16(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range []struct {
		name string
		n, k int
	}{
		{"q_o", 896, 896}, {"k_v", 128, 896}, {"gate_up", 4864, 896}, {"down", 896, 4864}, {"lm_head", 151936, 896},
	} {
		w := randBF16(r, sh.n*sh.k)
		wf := widened(w)
		lw := LayoutBF16(w, sh.n, sh.k)
		for _, m := range []int{1, 16} {
			a := randSlice(r, m*sh.k)
			c := make([]float32, m*sh.n)
			b.Run(fmt.Sprintf("%s/m=%d/f32", sh.name, m), func(b *testing.B) {
				b.SetBytes(int64(4 * len(wf)))
				for b.Loop() {
					MatMulT(c, a, wf, m, sh.n, sh.k)
				}
			})
			b.Run(fmt.Sprintf("%s/m=%d/bf16", sh.name, m), func(b *testing.B) {
				b.SetBytes(int64(2 * len(w)))
				for b.Loop() {
					MatMulTBF16(c, a, lw, m, sh.n, sh.k)
				}
			})
		}
	}
}
