package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestOps(t *testing.T) {
	kernelModes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{1, 7, 16, 33, 300, 5000} {
			x := randSlice(r, n)
			for i := range x {
				x[i] *= 4
			}

			// Softmax against float64.
			sm := append([]float32(nil), x...)
			Softmax(sm)
			want := make([]float64, n)
			var mx, sum float64 = math.Inf(-1), 0
			for _, v := range x {
				mx = max(mx, float64(v))
			}
			for i, v := range x {
				want[i] = math.Exp(float64(v) - mx)
				sum += want[i]
			}
			for i := range want {
				want[i] /= sum
			}
			closeTo(t, "softmax", sm, want, 1e-6)
			if got := Max(x); float64(got) != mx {
				t.Fatalf("n %d: Max %v, want %v", n, got, mx)
			}
			es := append([]float32(nil), x...)
			if got := ExpShiftSum(es, float32(mx)); math.Abs(got-sum) > 1e-6*sum {
				t.Fatalf("n %d: ExpShiftSum returned %v, want %v", n, got, sum)
			}
			Scale(float32(1/sum), es)
			closeTo(t, "ExpShiftSum then Scale", es, want, 1e-6)
			if lse := LogSumExp(x); math.Abs(lse-(mx+math.Log(sum))) > 1e-6 {
				t.Fatalf("LogSumExp %v, want %v", lse, mx+math.Log(sum))
			}

			// SwiGLU against float64.
			up := randSlice(r, n)
			out := make([]float32, n)
			SwiGLU(out, x, up)
			for i := range want {
				g := float64(x[i])
				want[i] = g / (1 + math.Exp(-g)) * float64(up[i])
			}
			closeTo(t, "swiglu", out, want, 1e-6)

			// RMSNorm against float64.
			w := randSlice(r, n)
			RMSNorm(out, x, w, 1e-6)
			var ss float64
			for _, v := range x {
				ss += float64(v) * float64(v)
			}
			for i := range want {
				want[i] = float64(x[i]) / math.Sqrt(ss/float64(n)+1e-6) * float64(w[i])
			}
			closeTo(t, "rmsnorm", out, want, 1e-5)
		}
	})
}

func TestRope(t *testing.T) {
	const hd, theta = 8, 10000.0
	cos, sin := make([]float32, hd/2), make([]float32, hd/2)
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	for _, pos := range []int{0, 1, 17, 4000} {
		RopeAngles(cos, sin, pos, hd, theta)
		got := append([]float32(nil), x...)
		Rope(got, cos, sin)
		// HF: x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1].
		want := make([]float64, hd)
		for i := range hd {
			f := float64(pos) * math.Pow(theta, -float64(2*(i%(hd/2)))/hd)
			var rot float64
			if i < hd/2 {
				rot = -float64(x[i+hd/2])
			} else {
				rot = float64(x[i-hd/2])
			}
			want[i] = float64(x[i])*math.Cos(f) + rot*math.Sin(f)
		}
		closeTo(t, "rope", got, want, 1e-5)
		// Rotating back by the negated angle restores x.
		for i := range sin {
			sin[i] = -sin[i]
		}
		Rope(got, cos, sin)
		back := make([]float64, hd)
		for i, v := range x {
			back[i] = float64(v)
		}
		closeTo(t, "rope inverse", got, back, 1e-5)
	}
}
