package tensor

import "math"

// Softmax replaces x by exp(x - max) / sum, in place. An empty x is left alone.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	Scale(float32(1/ExpShiftSum(x, Max(x))), x)
}

// Max returns the largest element of x, which must not be empty.
func Max(x []float32) float32 {
	mx, i := x[0], 0
	if useAsm && len(x) >= 16 {
		i = len(x) &^ 15
		mx = maxAVX(&x[0], i)
	}
	for _, v := range x[i:] {
		mx = max(mx, v)
	}
	return mx
}

// ExpShiftSum replaces every x[i] by e^(x[i]-shift), as ExpInPlace does,
// and returns their sum. With shift ≥ max(x) no term exceeds 1, which is
// how a softmax keeps its sum finite.
func ExpShiftSum(x []float32, shift float32) float64 {
	var sum float64
	i := 0
	if useAsm && len(x) >= 16 {
		i = len(x) &^ 15
		if useAVX512 {
			sum = float64(expSumAVX512(&x[0], i, shift))
		} else {
			sum = float64(expSumAVX(&x[0], i, shift))
		}
	}
	for ; i < len(x); i++ {
		x[i] = Exp(x[i] - shift)
		sum += float64(x[i])
	}
	return sum
}

// Scale multiplies every element of x by alpha.
func Scale(alpha float32, x []float32) {
	i := 0
	if useAsm && len(x) >= 16 {
		i = len(x) &^ 15
		if useAVX512 {
			scaleAVX512(alpha, &x[0], i)
		} else {
			scaleAVX(alpha, &x[0], i)
		}
	}
	for ; i < len(x); i++ {
		x[i] *= alpha
	}
}

// LogSumExp returns log(sum(exp(x))) computed stably in float64.
func LogSumExp(x []float32) float64 {
	if len(x) == 0 {
		return math.Inf(-1)
	}
	mx := x[0]
	for _, v := range x[1:] {
		mx = max(mx, v)
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v - mx))
	}
	return float64(mx) + math.Log(sum)
}

// RMSNorm writes x / sqrt(mean(x²) + eps) · w to out (which may alias x) and
// returns the reciprocal RMS that a backward pass needs.
func RMSNorm(out, x, w []float32, eps float32) float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	r := float32(1 / math.Sqrt(ss/float64(len(x))+float64(eps)))
	for i, v := range x {
		out[i] = v * r * w[i]
	}
	return r
}

// RopeAngles fills cos and sin (each headDim/2 long) with the rotary angles of
// position pos: angle i is pos · theta^(-2i/headDim), as in HF Qwen2/Llama.
func RopeAngles(cos, sin []float32, pos, headDim int, theta float64) {
	for i := range cos {
		inv := math.Pow(theta, -float64(2*i)/float64(headDim))
		s, c := math.Sincos(float64(pos) * inv)
		cos[i], sin[i] = float32(c), float32(s)
	}
}

// Rope rotates one head vector x in place by the angles in cos/sin using the
// NeoX (half-rotation) layout: element i pairs with element i + len(x)/2.
// Passing the negated sin undoes the rotation, which is its backward.
func Rope(x, cos, sin []float32) {
	half := len(x) / 2
	lo, hi := x[:half], x[half:2*half]
	for i := range lo {
		x0, x1 := lo[i], hi[i]
		lo[i] = x0*cos[i] - x1*sin[i]
		hi[i] = x1*cos[i] + x0*sin[i]
	}
}

// Sigmoid is the logistic function in float32.
func Sigmoid(x float32) float32 {
	return 1 / (1 + Exp(-x))
}

// SwiGLU writes silu(gate) · up = gate · up / (1 + e^-gate) to out
// element-wise (out may alias either input). With the assembly sets every
// element goes through the vector kernel, the last len mod 16 through a
// zero-padded copy: the scalar Exp rounds differently, and an element's
// bits must not depend on where it falls in out, or a sequence's rows would
// change with the rows stacked beside them (batch invariance).
func SwiGLU(out, gate, up []float32) {
	n := len(out)
	if n == 0 {
		return
	}
	_, _ = gate[n-1], up[n-1] // before assembly reads them
	if !useAsm {
		Parallel(n, 4096, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				out[i] = gate[i] * up[i] / (1 + Exp(-gate[i]))
			}
		})
		return
	}
	Parallel(n/16, 256, func(lo, hi int) {
		swigluVec(out[16*lo:], gate[16*lo:], up[16*lo:], 16*(hi-lo))
	})
	if r := n % 16; r > 0 {
		var o, g, u [16]float32
		copy(g[:], gate[n-r:n])
		copy(u[:], up[n-r:n])
		swigluVec(o[:], g[:], u[:], 16)
		copy(out[n-r:n], o[:r])
	}
}

// swigluVec is SwiGLU's vector kernel over the first n elements, n a
// multiple of 16; the AVX-512 one rounds as the AVX2 one.
func swigluVec(out, gate, up []float32, n int) {
	if useAVX512 {
		swigluAVX512(&out[0], &gate[0], &up[0], n)
		return
	}
	swigluAVX(&out[0], &gate[0], &up[0], n)
}

// Add sets y[i] += x[i].
func Add(y, x []float32) {
	for i, v := range x {
		y[i] += v
	}
}
