package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specialSlice is randSlice scaled by 30 with NaN, ±Inf, ±0, huge and tiny
// values sprinkled in, to check that sets agree on them too.
func specialSlice(r *rand.Rand, n int) []float32 {
	x := randSlice(r, n)
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 100, -100, 1e-30, -1e-30, 88.5, -87.5}
	for i := range x {
		x[i] *= 30
		if r.IntN(40) == 0 {
			x[i] = specials[r.IntN(len(specials))]
		}
	}
	return x
}

// sameAcrossSets runs f (which must return its results) with every kernel
// set with assembly and fails if any differs in its bits from the AVX2 one.
func sameAcrossSets(t *testing.T, what string, f func() []float32) {
	t.Helper()
	if bestSet < setAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	var want, got []float32
	withSet(setAVX2, func() { want = f() })
	withSet(setAVX512, func() { got = f() })
	if len(got) != len(want) {
		t.Fatalf("%s: %d results with avx512, %d with avx2", what, len(got), len(want))
	}
	if i := sameBits(got, want); i >= 0 {
		t.Fatalf("%s: [%d] = %v (%#x) with avx512, %v (%#x) with avx2", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
	}
}

// lengths covers every remainder modulo 32 around the vector widths and a
// few long rows.
var lengths = func() []int {
	var ns []int
	for n := 0; n <= 100; n++ {
		ns = append(ns, n)
	}
	return append(ns, 127, 128, 129, 511, 1024, 1031, 4864, 5000)
}()

// TestOpsAVX512BitIdentical checks every element-wise and row-wise kernel
// with an AVX-512 form against the AVX2 one, bit for bit, on ordinary
// values and on NaN, ±Inf and values past exp's clamps.
func TestOpsAVX512BitIdentical(t *testing.T) {
	r := rand.New(rand.NewPCG(24, 24))
	for _, special := range []bool{false, true} {
		for _, n := range lengths {
			x := randSlice(r, n)
			if special {
				x = specialSlice(r, n)
			}
			y := randSlice(r, n)
			cp := func(v []float32) []float32 { return append([]float32(nil), v...) }
			sameAcrossSets(t, "ExpInPlace", func() []float32 { v := cp(x); ExpInPlace(v); return v })
			sameAcrossSets(t, "ExpShiftSum", func() []float32 {
				v := cp(x)
				s := ExpShiftSum(v, 3)
				return append(v, float32(s), float32(s-float64(float32(s))))
			})
			sameAcrossSets(t, "Scale", func() []float32 { v := cp(x); Scale(-0.37, v); return v })
			sameAcrossSets(t, "Axpy", func() []float32 { v := cp(y); Axpy(1.7, x, v); return v })
			sameAcrossSets(t, "Dot", func() []float32 { return []float32{Dot(x, y)} })
			sameAcrossSets(t, "SwiGLU", func() []float32 { v := make([]float32, n); SwiGLU(v, x, y); return v })
			if n > 0 {
				sameAcrossSets(t, "Max", func() []float32 { return []float32{Max(x)} })
				sameAcrossSets(t, "Softmax", func() []float32 { v := cp(x); Softmax(v); return v })
			}
		}
	}
}

// TestAxpyTailsOnly checks that the masked tail of the AVX-512 Axpy writes
// nothing past len(x).
func TestAxpyTailsOnly(t *testing.T) {
	kernelModes(t, func(t *testing.T) {
		for n := range 40 {
			x := make([]float32, n)
			y := make([]float32, n+20)
			for i := range x {
				x[i] = 1
			}
			Axpy(2, x, y[:n])
			for i, v := range y {
				if want := float32(2); i >= n {
					want = 0
					if v != want {
						t.Fatalf("n=%d: y[%d] = %v past the end", n, i, v)
					}
				} else if v != want {
					t.Fatalf("n=%d: y[%d] = %v, want %v", n, i, v, want)
				}
			}
		}
	})
}

// TestExpSpecials pins what each set returns for NaN and ±Inf: the Go
// kernels follow math.Exp; the assembly clamps its input to [-87.34, 88]
// first, NaN included, as it always has (see ExpInPlace).
func TestExpSpecials(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	kernelModes(t, func(t *testing.T) {
		x := make([]float32, 16)
		for i := range x {
			x[i] = []float32{nan, inf, -inf, 0}[i%4]
		}
		ExpInPlace(x)
		for i := 0; i < 16; i += 4 {
			if x[i+2] > 2e-38 || x[i+3] != 1 {
				t.Errorf("exp(-Inf) = %v, exp(0) = %v", x[i+2], x[i+3])
			}
			if !useAsm && (x[i] == x[i] || !math.IsInf(float64(x[i+1]), 1)) {
				t.Errorf("go: exp(NaN) = %v, exp(+Inf) = %v", x[i], x[i+1])
			}
			if useAsm && (x[i] < 1e38 || x[i+1] < 1e38) {
				t.Errorf("asm: exp(NaN) = %v, exp(+Inf) = %v, want e^88", x[i], x[i+1])
			}
		}
	})
}

// TestSwiGLUPositionInvariant checks that SwiGLU gives every element the
// same bits wherever it falls in the vector — in a run of 16, in the last
// len mod 16, at either side of a worker's boundary — with every worker
// count and kernel set, and that out may alias gate.
func TestSwiGLUPositionInvariant(t *testing.T) {
	saved := Workers
	defer func() { Workers = saved }()
	r := rand.New(rand.NewPCG(7, 7))
	kernelModes(t, func(t *testing.T) {
		for _, workers := range []int{1, 2, 3} {
			Workers = workers
			for _, n := range append(lengths, 4097, 9000, 13001) {
				g, u := specialSlice(r, n), randSlice(r, n)
				got := make([]float32, n)
				SwiGLU(got, g, u)
				for i := range n {
					var one [1]float32
					SwiGLU(one[:], g[i:i+1], u[i:i+1])
					if math.Float32bits(got[i]) != math.Float32bits(one[0]) && !(got[i] != got[i] && one[0] != one[0]) {
						t.Fatalf("workers %d, n %d: out[%d] = %v, alone %v (gate %v, up %v)", workers, n, i, got[i], one[0], g[i], u[i])
					}
				}
				alias := append([]float32(nil), g...)
				SwiGLU(alias, alias, u)
				if i := sameBits(alias, got); i >= 0 {
					t.Fatalf("workers %d, n %d, out aliasing gate: out[%d] = %v, want %v", workers, n, i, alias[i], got[i])
				}
			}
		}
	})
}
