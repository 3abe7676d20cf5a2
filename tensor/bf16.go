package tensor

import "math"

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
// in HF checkpoints) holds bfloat16 bits, picking the kernel for m as
// MatMulT does. The result has the same bits as MatMulT(c, a, widened W, m,
// n, k) with every kernel set.
func MatMulTBF16(c, a []float32, w []uint16, m, n, k int) {
	if m <= rowsMax() {
		MatMulTRowsBF16(c, a, w, m, n, k)
		return
	}
	MatMulTBlockBF16(c, a, w, m, n, k)
}

// MatMulTRowsBF16 is MatMulTRows with W in bfloat16: the rows kernel reads
// W in place, two bytes a weight, and widens it in registers, so a decode
// step streams half the bytes of the float32 kernel. Each row of C has the
// bits MatMulTRows gives on the widened W, whatever m is and wherever the
// row sits (batch invariance), with every kernel set.
func MatMulTRowsBF16(c, a []float32, w []uint16, m, n, k int) {
	MatMulTRowsMany(a, m, k, Linear{WB: w, N: n, C: c})
}

// MatMulTBlockBF16 is MatMulTBlock with W in bfloat16: the packed GEMM
// widens W as it packs its panels, which it copies anyway, so each output
// has the bits MatMulTBlock gives on the widened W, whatever m is and
// wherever the row sits, with every kernel set.
func MatMulTBlockBF16(c, a []float32, w []uint16, m, n, k int) {
	MatMulTBlockMany(a, m, k, Linear{WB: w, N: n, C: c})
}

// packBTBF16 is packB for a transposed B (rows of W, stored [out][in]) in
// bfloat16: rows [j0, j0+cols) of W and its columns [p0, p0+kcb), widened,
// as one kcb×w panel, k-major, zero-padding missing columns.
func packBTBF16(b []uint16, ldb, p0, kcb, j0, cols, w int, dst []float32) {
	dst = dst[:w*kcb]
	if cols < w {
		clear(dst)
		for j := range cols {
			for p, v := range b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kcb] {
				dst[p*w+j] = BF16ToF32(v)
			}
		}
		return
	}
	// A full panel: four rows of W read in step, as packB does, so every
	// write fills a contiguous run of the panel.
	for j := 0; j < w; j += 4 {
		r0 := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kcb]
		r1 := b[(j0+j+1)*ldb+p0 : (j0+j+1)*ldb+p0+kcb]
		r2 := b[(j0+j+2)*ldb+p0 : (j0+j+2)*ldb+p0+kcb]
		r3 := b[(j0+j+3)*ldb+p0 : (j0+j+3)*ldb+p0+kcb]
		for p := range r0 {
			d := dst[p*w+j : p*w+j+4 : p*w+j+4]
			d[0], d[1], d[2], d[3] = BF16ToF32(r0[p]), BF16ToF32(r1[p]), BF16ToF32(r2[p]), BF16ToF32(r3[p])
		}
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
