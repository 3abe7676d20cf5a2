package tensor

import (
	"math"
	"testing"
)

func TestExp(t *testing.T) {
	var worst float64
	for x := float32(-87); x < 88.7; x += 0.0137 {
		want := math.Exp(float64(x))
		got := float64(Exp(x))
		worst = max(worst, math.Abs(got-want)/want)
	}
	t.Logf("max relative error %.3g", worst)
	if worst > 3e-7 {
		t.Errorf("max relative error %.3g > 3e-7", worst)
	}
	for _, tc := range []struct{ x, want float32 }{
		{0, 1}, {-100, 0}, {100, float32(math.Inf(1))}, {float32(math.Inf(-1)), 0},
	} {
		if got := Exp(tc.x); got != tc.want {
			t.Errorf("Exp(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if nan := Exp(float32(math.NaN())); nan == nan {
		t.Error("Exp(NaN) is not NaN")
	}
}

func BenchmarkExp(b *testing.B) {
	var s float32
	for i := 0; b.Loop(); i++ {
		s += Exp(float32(i%100) * -0.1)
	}
	_ = s
}

func BenchmarkMathExp(b *testing.B) {
	var s float64
	for i := 0; b.Loop(); i++ {
		s += math.Exp(float64(i%100) * -0.1)
	}
	_ = s
}

func TestExpInPlace(t *testing.T) {
	kernelModes(t, func(t *testing.T) {
		var xs []float32
		for x := float32(-87); x < 88; x += 0.0131 {
			xs = append(xs, x)
		}
		xs = append(xs, 0, -0.0, 1e-8, -1e-8, 0.5, -0.5, -0.3465736, 0.3465736)
		got := append([]float32(nil), xs...)
		ExpInPlace(got)
		var worst float64
		for i, x := range xs {
			want := math.Exp(float64(x))
			worst = max(worst, math.Abs(float64(got[i])-want)/want)
		}
		t.Logf("max relative error %.3g over %d values", worst, len(xs))
		if worst > 3e-7 {
			t.Errorf("max relative error %.3g > 3e-7", worst)
		}
		tiny := []float32{-100, -1000, -88, -90, -100, -200, -87.5, -95, -100, -100, -100, -100, -100, -100, -100, -100}
		ExpInPlace(tiny)
		for i, v := range tiny {
			if v < 0 || v > 2e-38 {
				t.Errorf("tiny[%d] = %g, want ≈ 0", i, v)
			}
		}
	})
}
