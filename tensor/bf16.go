package tensor

import (
	"fmt"
	"math"
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

// BF16Matrix is a weight matrix W (n×k, stored [out][in] as in HF
// checkpoints) of bfloat16 values, in the layout the kernels read. Row j
// holds its k values at [j·k, (j+1)·k). Within a row, each full block of 16
// values e0…e15 (the values 16b…16b+15 with 16b+16 ≤ k) is stored
// interleaved, as e0, e8, e1, e9, …, e7, e15; the k mod 16 values after the
// last full block stay in natural order. One 32-byte load of a block then
// holds e_i in the low half of 32-bit lane i and e_{i+8} in its high half:
// a 16-bit shift left widens e0…e7 and masking off the low half widens
// e8…e15, each already in the lane the float32 kernels give it, so the
// kernels widen without a shuffle and sum in the float32 order.
//
// A slice of a row from a block boundary to the row's end is laid out as a
// row of its own length would be, and one that starts at or past the end
// of the last full block is in natural order: the kernels read a row's
// tail, the terms past its last multiple of 8, as such a natural slice.
type BF16Matrix struct {
	bits []uint16
	n, k int
}

// LayoutBF16 returns the n×k matrix w, bfloat16 bits in natural row-major
// order, in the kernels' layout (see BF16Matrix), as a copy: w itself may
// be a read-only mapping of a checkpoint.
func LayoutBF16(w []uint16, n, k int) *BF16Matrix {
	if n < 0 || k < 0 || len(w) != n*k {
		panic(fmt.Sprintf("tensor.LayoutBF16: %d values for a %d×%d matrix", len(w), n, k))
	}
	bits := make([]uint16, len(w))
	for j := range n {
		layoutBF16Row(bits[j*k:(j+1)*k], w[j*k:(j+1)*k])
	}
	return &BF16Matrix{bits, n, k}
}

// layoutBF16Row writes src, a natural-order row, to dst in BF16Matrix's
// layout.
func layoutBF16Row(dst, src []uint16) {
	k16 := len(src) &^ 15
	for p := 0; p < k16; p += 16 {
		d, s := dst[p:p+16:p+16], src[p:p+16:p+16]
		for i := range 8 {
			d[2*i], d[2*i+1] = s[i], s[8+i]
		}
	}
	copy(dst[k16:], src[k16:])
}

// Shape returns W's dimensions: n rows (outputs) of k values (inputs).
func (w *BF16Matrix) Shape() (n, k int) { return w.n, w.k }

// Bits returns a copy of W's bfloat16 bits in natural row-major order.
func (w *BF16Matrix) Bits() []uint16 {
	out := make([]uint16, len(w.bits))
	k, k16 := w.k, w.k&^15
	for j := range w.n {
		src, dst := w.bits[j*k:(j+1)*k], out[j*k:(j+1)*k]
		for p := 0; p < k16; p += 16 {
			d, s := dst[p:p+16:p+16], src[p:p+16:p+16]
			for i := range 8 {
				d[i], d[8+i] = s[2*i], s[2*i+1]
			}
		}
		copy(dst[k16:], src[k16:])
	}
	return out
}

// WidenRow writes the float32 values of row j of W to dst[:k], in natural
// order: the embedding of token j, where W is an embedding table.
func (w *BF16Matrix) WidenRow(dst []float32, j int) {
	w.widen(dst[:w.k], j, 0)
}

// widen writes the float32 values of row j's terms [p0, p0+len(dst)) to
// dst, in natural order; p0 is a multiple of 16.
func (w *BF16Matrix) widen(dst []float32, j, p0 int) {
	row := w.bits[j*w.k : (j+1)*w.k]
	k16 := w.k &^ 15
	end := p0 + len(dst)
	p := p0
	for ; p+16 <= min(end, k16); p += 16 {
		widenBF16Block((*[16]float32)(dst[p-p0:]), (*[16]uint16)(row[p:]))
	}
	for ; p < end; p++ {
		at := p // past the last full block, natural order
		if p < k16 {
			at = p&^15 | (p&7)<<1 | (p>>3)&1
		}
		dst[p-p0] = BF16ToF32(row[at])
	}
}

// widenBF16Block writes the float32 values of one interleaved 16-value
// block to dst in natural order.
func widenBF16Block(dst *[16]float32, b *[16]uint16) {
	for i := range 8 {
		dst[i], dst[8+i] = BF16ToF32(b[2*i]), BF16ToF32(b[2*i+1])
	}
}

// MatMulTBF16 sets C (m×n) = A (m×k) · Wᵀ where W is n×k, picking the
// kernel for m as MatMulT does. The result has the same bits as MatMulT(c,
// a, widened W, m, n, k) with every kernel set.
func MatMulTBF16(c, a []float32, w *BF16Matrix, m, n, k int) {
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
func MatMulTRowsBF16(c, a []float32, w *BF16Matrix, m, n, k int) {
	MatMulTRowsMany(a, m, k, Linear{WB: w, N: n, C: c})
}

// MatMulTBlockBF16 is MatMulTBlock with W in bfloat16: the packed GEMM
// widens W as it packs its panels, which it copies anyway, so each output
// has the bits MatMulTBlock gives on the widened W, whatever m is and
// wherever the row sits, with every kernel set.
func MatMulTBlockBF16(c, a []float32, w *BF16Matrix, m, n, k int) {
	MatMulTBlockMany(a, m, k, Linear{WB: w, N: n, C: c})
}

// packBTBF16 is packB for a transposed B, the rows of W: rows [j0,
// j0+cols) of W and its columns [p0, p0+kcb), widened, as one kcb×w panel,
// k-major, zero-padding missing columns. p0 is a multiple of kc, so each
// row's slice starts at a block boundary.
func packBTBF16(b *BF16Matrix, p0, kcb, j0, cols, w int, dst []float32) {
	dst = dst[:w*kcb]
	var rows [4][kc]float32
	if cols < w {
		clear(dst)
		r := rows[0][:kcb]
		for j := range cols {
			b.widen(r, j0+j, p0)
			for p, v := range r {
				dst[p*w+j] = v
			}
		}
		return
	}
	// A full panel: four rows of W widened, then read in step as packB
	// reads them, so every write fills a contiguous run of the panel.
	r0, r1, r2, r3 := rows[0][:kcb], rows[1][:kcb], rows[2][:kcb], rows[3][:kcb]
	for j := 0; j < w; j += 4 {
		b.widen(r0, j0+j, p0)
		b.widen(r1, j0+j+1, p0)
		b.widen(r2, j0+j+2, p0)
		b.widen(r3, j0+j+3, p0)
		for p := range r0 {
			d := dst[p*w+j : p*w+j+4 : p*w+j+4]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
}

// dotBF16 returns Σ x[i]·y[i] with y in bfloat16 in BF16Matrix's layout (a
// row, or a slice of one, of length len(x)), rounded exactly as Dot(x,
// widened y) is.
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

// dotBF16Go is dotGo with y widened as it is read: each full 16-value block
// is widened into natural order first, so the four sums take dotGo's terms
// in dotGo's order.
func dotBF16Go(x []float32, y []uint16) float32 {
	var s0, s1, s2, s3 float32
	var blk [16]float32
	i := 0
	for ; i+16 <= len(x); i += 16 {
		widenBF16Block(&blk, (*[16]uint16)(y[i:]))
		v := (*[16]float32)(x[i:])
		for q := 0; q < 16; q += 4 {
			s0 += float32(v[q] * blk[q])
			s1 += float32(v[q+1] * blk[q+1])
			s2 += float32(v[q+2] * blk[q+2])
			s3 += float32(v[q+3] * blk[q+3])
		}
	}
	for ; i+4 <= len(x); i += 4 {
		s0 += float32(x[i] * BF16ToF32(y[i]))
		s1 += float32(x[i+1] * BF16ToF32(y[i+1]))
		s2 += float32(x[i+2] * BF16ToF32(y[i+2]))
		s3 += float32(x[i+3] * BF16ToF32(y[i+3]))
	}
	for ; i < len(x); i++ {
		s0 += float32(x[i] * BF16ToF32(y[i]))
	}
	return (s0 + s1) + (s2 + s3)
}
