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
