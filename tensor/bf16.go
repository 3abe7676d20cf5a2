package tensor

import (
	"math"
	"sync"
)

// BF16 weights: a bfloat16 is the high half of a float32, so widening is a
// 16-bit shift and exact. Keeping weights as BF16 halves the bytes a decode
// step streams from memory, which is what bounds it; the kernels widen in
// registers and accumulate in float32, in the same order as the float32
// kernels, so C = A·Wᵀ with BF16 W has the same bits as MatMulT on the
// widened W.

// BF16ToF32 widens one bfloat16 (its 16 bits) to float32, exactly.
func BF16ToF32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// WidenBF16 writes the float32 value of each bfloat16 in src to dst[:len(src)].
func WidenBF16(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = math.Float32frombits(uint32(b) << 16)
	}
}

// MatMulTBF16 sets C (m×n) = A (m×k) · Wᵀ where W (n×k, stored [out][in] as
// in HF checkpoints) holds bfloat16 bits. The result has the same bits as
// MatMulT(c, a, widened W, m, n, k) with every kernel set.
func MatMulTBF16(c, a []float32, w []uint16, m, n, k int) {
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("A", false, m, k, a, k)
	if n > 0 && k > 0 && len(w) < n*k {
		panic("tensor.MatMulTBF16: W is shorter than n·k")
	}
	checkMatrix("C", false, m, n, c, n)
	scaleC(m, n, 0, c, n)
	if k == 0 {
		return
	}
	if useAsm && m <= smallMAsm {
		gemmSmallNT(m, n, k, a, k, w, k, c, n)
		return
	}
	matMulTBF16Widened(c, a, w, m, n, k)
}

// bf16Block is the number of W rows widened at a time by the general path.
// Every kernel rounds an output the same way whichever block its column
// falls in, so the blocks change no result.
const bf16Block = 192

var widenPool = sync.Pool{New: func() any { return new([]float32) }}

// matMulTBF16Widened widens W a block of rows at a time and multiplies with
// the float32 GEMM: the pure-Go set's path, and the one for many rows of A
// (prefill), where the packed GEMM copies B into panels anyway so widening
// on the way costs little.
func matMulTBF16Widened(c, a []float32, w []uint16, m, n, k int) {
	bufp := widenPool.Get().(*[]float32)
	defer widenPool.Put(bufp)
	if cap(*bufp) < bf16Block*k {
		*bufp = make([]float32, bf16Block*k)
	}
	buf := (*bufp)[:bf16Block*k]
	for j0 := 0; j0 < n; j0 += bf16Block {
		nb := min(bf16Block, n-j0)
		WidenBF16(buf[:nb*k], w[j0*k:(j0+nb)*k])
		// C is already zero, so beta 1 keeps it and the block lands in place.
		Gemm(false, true, m, nb, k, 1, a, k, buf, k, 1, c[j0:], n)
	}
}

// dotBF16 returns Σ x[i]·y[i] with y in bfloat16, rounded exactly as
// Dot(x, widened y) is.
func dotBF16(x []float32, y []uint16) float32 {
	if len(x) == 0 {
		return 0
	}
	y = y[:len(x)]
	if useAsm {
		return dotBF16AVX(&x[0], &y[0], len(x))
	}
	return dotBF16Go(x, y)
}

// dotBF16Go is dotGo with y widened as it is read.
func dotBF16Go(x []float32, y []uint16) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * BF16ToF32(y[i])
		s1 += x[i+1] * BF16ToF32(y[i+1])
		s2 += x[i+2] * BF16ToF32(y[i+2])
		s3 += x[i+3] * BF16ToF32(y[i+3])
	}
	for ; i < len(x); i++ {
		s0 += x[i] * BF16ToF32(y[i])
	}
	return (s0 + s1) + (s2 + s3)
}
