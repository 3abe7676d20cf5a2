package tensor

import (
	"fmt"
	"sync"
)

// Register tile (mr×nr) and cache blocks. A kc×nr panel of B (16 KiB) stays in
// L1 while the mc×kc block of A (144 KiB) streams from L2; the kc×nc block of
// B lives in L3. Sized for Zen 3 (32 KiB L1d, 512 KiB L2).
const (
	mr = 6
	nr = 16
	kc = 256
	mc = 144
	nc = 3072
)

// nr512 is the panel width of the AVX-512 kernels (two ZMM registers; their
// tile is 12×32 or 6×32). They share kc with AVX2, and must: the k block
// fixes where partial sums are added into C, so a different kc would round
// differently.
const nr512 = 32

// mc512 is the row block of A with the AVX-512 kernels; it changes no
// result, only speed. Not yet tuned on a quiet machine (BenchmarkMC512).
var mc512 = 144

// inPlaceMaxN is the output width (the sum of the widths in
// MatMulTBlockMany) up to which the block kernel reads A's full 6-row panels
// in place, with the assembly sets, when A is not transposed and alpha is 1
// (so a packed panel would hold A's own values): packing costs a pass that
// reads and writes all of A whatever n is, and only n/32 column panels (n/16
// with AVX2) reuse the packed panels, too few at small n to repay it. The
// in-place kernels do the packed ones' FMAs in the same order, so this
// changes no result, only speed. At m = 512, k = 896 (BenchmarkInPlaceA,
// quiet AMD EPYC, 2 threads) reading in place is 15–40% faster up to n =
// 384 with both sets, and 15–25% slower at n = 896.
var inPlaceMaxN = 384

// smallM is the row count up to which the Go set's MatMulT takes the rows
// kernel (one Dot per output): packing a weight matrix costs more than it
// saves when only a few rows multiply it.
const smallM = 4

// smallMAsm is the row count up to which the assembly sets' MatMulT takes
// the rows kernel (see gemmSmallNT); set by BenchmarkSmallM.
var smallMAsm = 64

var packPool = sync.Pool{New: func() any { return new([]float32) }}

// rowsMax is the row count up to which MatMulT, MatMulTMany and Gemm pick
// the rows kernel.
func rowsMax() int {
	if useAsm {
		return smallMAsm
	}
	return smallM
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ as transA/transB say, op(A) is m×k, op(B) is k×n and C is
// m×n with leading dimension ldc. lda and ldb are the leading dimensions of A
// and B as stored. With beta == 0, C is overwritten (NaNs in it do not leak).
// A·Bᵀ with alpha 1 takes the rows kernel (MatMulTRows) up to a few dozen
// rows, as MatMulT does; everything else takes the block kernel, the packed
// GEMM (MatMulTBlock), whose bits do not depend on m.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("A", transA, m, k, a, lda)
	checkMatrix("B", transB, k, n, b, ldb)
	checkMatrix("C", false, m, n, c, ldc)
	scaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	if transB && !transA && alpha == 1 && m <= rowsMax() {
		gemmRows(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmPacked(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc)
}

// MatMulT sets C (m×n) = A (m×k) · Wᵀ where W is n×k: the linear layer of a
// model whose weights are stored as [out][in], as in HF checkpoints. It
// picks the faster kernel for m: MatMulTRows up to 64 rows with the
// assembly kernels (4 with the Go ones), MatMulTBlock above. The two round
// differently, so a row's bits change when m crosses that bound; a caller
// that stacks rows of independent sequences and wants each sequence's
// result to depend only on the sequence picks one of them by the row's
// role instead.
func MatMulT(c, a, w []float32, m, n, k int) {
	Gemm(false, true, m, n, k, 1, a, k, w, k, 0, c, n)
}

// MatMulTRows sets C (m×n) = A (m×k) · Wᵀ with the rows kernel: W (n×k,
// stored [out][in]) is read in place, a few rows at a time, and dotted with
// every row of A. It is the product for one row per sequence — the rows of
// a decode step, the rows whose next-token logits are wanted — and it is
// batch-invariant: each row of C has the same bits whatever m is and
// wherever the row sits among the others, with every kernel set (the
// AVX-512 and AVX2 sets give the same bits). It reads W once per 4 rows,
// so it suits up to a few dozen rows; MatMulTBlock suits more.
func MatMulTRows(c, a, w []float32, m, n, k int) {
	MatMulTRowsMany(a, m, k, Linear{W: w, N: n, C: c})
}

// MatMulTBlock sets C (m×n) = A (m×k) · Wᵀ with the block kernel, the packed
// GEMM: the product for many rows (prefill chunks, training batches). It is
// batch-invariant too: each output sums its k terms in one order (an FMA
// chain per 256-term slice, the slices added to C in turn) whatever m is
// and wherever the row sits, with every kernel set. Its bits differ from
// MatMulTRows'.
func MatMulTBlock(c, a, w []float32, m, n, k int) {
	MatMulTBlockMany(a, m, k, Linear{W: w, N: n, C: c})
}

// checkMatrix panics unless x can hold op(X), rows×cols with leading
// dimension ld: the assembly kernels read and write through raw pointers, so
// a short slice must fail here rather than touch memory it does not own.
func checkMatrix(name string, trans bool, rows, cols int, x []float32, ld int) {
	if trans {
		rows, cols = cols, rows
	}
	if rows > 0 && cols > 0 && (ld < cols || len(x) < (rows-1)*ld+cols) {
		panic(fmt.Sprintf("tensor.Gemm: %s is %d×%d with leading dimension %d, but has %d elements", name, rows, cols, ld, len(x)))
	}
}

// Linear is one weight matrix W (N×k, stored [out][in]) and the m×N output C
// it fills in MatMulTMany and its kinds: C = A·Wᵀ, or C += A·Wᵀ with Add
// (a projection added to the residual stream). The weights are float32 (W)
// or bfloat16 (WB, N×k; W is then ignored): a BF16 product has the bits of
// the float32 one on the widened weights, with every kernel set and either
// kernel, since the kernels widen exactly and accumulate in float32 in the
// same order.
type Linear struct {
	W   []float32
	WB  *BF16Matrix
	N   int
	C   []float32
	Add bool
}

// MatMulTMany computes every Linear's product for one A (m×k), picking the
// kernel for m as MatMulT does: the q, k and v projections (or gate and up)
// of a layer share their input.
func MatMulTMany(a []float32, m, k int, ls ...Linear) {
	if m <= rowsMax() {
		MatMulTRowsMany(a, m, k, ls...)
		return
	}
	MatMulTBlockMany(a, m, k, ls...)
}

// MatMulTRowsMany computes every Linear's product for one A (m×k) with the
// rows kernel (see MatMulTRows).
func MatMulTRowsMany(a []float32, m, k int, ls ...Linear) {
	if m == 0 {
		return
	}
	checkMatrix("A", false, m, k, a, k)
	for _, l := range ls {
		if l.N == 0 {
			continue
		}
		l.checkW(k)
		checkMatrix("C", false, m, l.N, l.C, l.N)
		if !l.Add {
			scaleC(m, l.N, 0, l.C, l.N)
		}
		switch {
		case k == 0:
		case l.WB != nil:
			gemmRows(m, l.N, k, a, k, l.WB.bits, k, l.C, l.N)
		default:
			gemmRows(m, l.N, k, a, k, l.W, k, l.C, l.N)
		}
	}
}

// checkW panics unless l's weights (WB if set, else W) hold N×k values.
func (l *Linear) checkW(k int) {
	if l.WB != nil {
		if l.WB.n != l.N || l.WB.k != k {
			panic(fmt.Sprintf("tensor: W is %d×%d bfloat16, want %d×%d", l.WB.n, l.WB.k, l.N, k))
		}
		return
	}
	checkMatrix("W", true, k, l.N, l.W, k)
}

// MatMulTBlockMany computes every Linear's product for one A (m×k) with the
// block kernel (see MatMulTBlock), packing A once for all of them.
func MatMulTBlockMany(a []float32, m, k int, ls ...Linear) {
	if m == 0 {
		return
	}
	checkMatrix("A", false, m, k, a, k)
	for _, l := range ls {
		l.checkW(k)
		checkMatrix("C", false, m, l.N, l.C, l.N)
		if !l.Add {
			scaleC(m, l.N, 0, l.C, l.N)
		}
	}
	if k == 0 {
		return
	}
	n := 0
	for _, l := range ls {
		n += l.N
	}
	pa := prepareA(false, m, n, k, 1, a, k)
	defer packPool.Put(pa.buf)
	for _, l := range ls {
		if l.N > 0 {
			pa.mul(true, l.N, l.W, l.WB, k, l.C, l.N)
		}
	}
}

func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// gemmRows is the rows kernel of the current set: C += A·Bᵀ, each output
// rounded by itself (see MatMulTRows), with B in float32 or bfloat16.
func gemmRows[T float32 | uint16](m, n, k int, a []float32, lda int, b []T, ldb int, c []float32, ldc int) {
	if useAsm {
		gemmSmallNT(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	gemmDots(m, n, k, a, lda, b, ldb, c, ldc)
}

// gemmDots is the Go set's rows kernel, one Dot per output: every row of B
// is read once from memory and dotted with all rows of A while it sits in
// L1. A bfloat16 B (its rows in BF16Matrix's layout) is widened as it is
// read (dotBF16), which rounds as Dot on the widened row does.
func gemmDots[T float32 | uint16](m, n, k int, a []float32, lda int, b []T, ldb int, c []float32, ldc int) {
	Parallel(n, 64, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			bj := b[j*ldb : j*ldb+k]
			for i := range m {
				c[i*ldc+j] += dotNT(a[i*lda:i*lda+k], bj)
			}
		}
	})
}

// gemmPacked is the BLIS-style loop nest: op(A) is packed once into panels
// (or read in place, see inPlaceMaxN), then multiplied by op(B) block by
// block (see packedA.mul).
func gemmPacked(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	pa := prepareA(transA, m, n, k, alpha, a, lda)
	defer packPool.Put(pa.buf)
	pa.mul(transB, n, b, nil, ldb, c, ldc)
}

// packedA is alpha·op(A) (m×k) as mr-row panels for the micro-kernels. The
// first inPlace panels (0, or all the full ones) are read in place from a,
// with leading dimension lda; the others are packed for every kc-wide slice
// of k: the slice starting at column pc begins at pc·nPacked·mr, and panel
// inPlace+t at t·mr·kcb within that, kcb being the slice's width.
type packedA struct {
	buf                    *[]float32
	m, k, mPanels, inPlace int
	a                      []float32
	lda                    int
}

// prepareA readies op(A) for a product n columns wide: it packs the panels
// that inPlaceMaxN does not leave in place.
func prepareA(transA bool, m, n, k int, alpha float32, a []float32, lda int) packedA {
	inPlace := 0
	if useAsm && !transA && alpha == 1 && n <= inPlaceMaxN {
		inPlace = m / mr
	}
	return packAllA(transA, m, k, alpha, a, lda, inPlace)
}

// packAllA packs the panels of alpha·op(A) from panel inPlace on.
func packAllA(transA bool, m, k int, alpha float32, a []float32, lda, inPlace int) packedA {
	mPanels := (m + mr - 1) / mr
	nPacked := mPanels - inPlace
	buf := getBuf(nPacked * mr * k)
	pa := *buf
	nSlices := (k + kc - 1) / kc
	Parallel(nSlices*nPacked, 4, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			pc, panel := t/nPacked*kc, t%nPacked
			i0 := (inPlace + panel) * mr
			kcb := min(kc, k-pc)
			packA(transA, a, lda, i0, min(mr, m-i0), pc, kcb, alpha, pa[pc*nPacked*mr+panel*mr*kcb:])
		}
	})
	return packedA{buf, m, k, mPanels, inPlace, a, lda}
}

// mul adds A·op(B) to C (m×n), B in float32 (b) or, when wb is not nil, the
// bfloat16 W with B = Wᵀ (ldb unused), widened as its panels are packed so
// that the products have the bits of the float32 B. For each kc×nc block
// of op(B) the workers split its column panels (nr wide, nr512 with
// AVX-512); each packs its own panels (so no barrier separates packing
// from use) and sweeps the micro-kernel over them, mc rows of A at a time,
// each B panel staying in L1 while the A block streams from L2. The k blocking is the same for
// every kernel set: it fixes where partial sums are added into C, and with
// it the rounding of every result.
func (p packedA) mul(transB bool, n int, b []float32, wb *BF16Matrix, ldb int, c []float32, ldc int) {
	m, k, mPanels, inPlace := p.m, p.k, p.mPanels, p.inPlace
	all := *p.buf
	wide := useAVX512
	w := nr
	if wide {
		w = nr512
	}
	for jc := 0; jc < n; jc += nc {
		ncb := min(nc, n-jc)
		nPanels := (ncb + w - 1) / w
		for pc := 0; pc < k; pc += kc {
			kcb := min(kc, k-pc)
			pa := all[pc*(mPanels-inPlace)*mr:]
			Parallel(nPanels, 1, func(lo, hi int) {
				bufB := getBuf((hi - lo) * w * kcb)
				defer packPool.Put(bufB)
				pb := *bufB
				for jp := lo; jp < hi; jp++ {
					if wb != nil {
						packBTBF16(wb, pc, kcb, jc+jp*w, min(w, ncb-jp*w), w, pb[(jp-lo)*w*kcb:])
						continue
					}
					packB(transB, b, ldb, pc, kcb, jc+jp*w, min(w, ncb-jp*w), w, pb[(jp-lo)*w*kcb:])
				}
				var edge [mr * nr512]float32
				mcp := mc / mr
				if wide {
					mcp = mc512 / mr
				}
				for ic := 0; ic < mPanels; ic += mcp {
					icEnd := min(mPanels, ic+mcp)
					for jp := lo; jp < hi; jp++ {
						j0 := jc + jp*w
						nw := min(w, n-j0)
						bp := pb[(jp-lo)*w*kcb : (jp-lo+1)*w*kcb]
						for ip := ic; ip < icEnd; ip++ {
							i0 := ip * mr
							mh := min(mr, m-i0)
							// A's rows i0… from column pc, read in place, or the
							// packed panel.
							var ar, ap []float32
							if ip < inPlace {
								ar = p.a[i0*p.lda+pc:]
							} else {
								ap = pa[(ip-inPlace)*mr*kcb : (ip-inPlace+1)*mr*kcb]
							}
							if wide && nw == w && i0+2*mr <= m && ip+1 < icEnd {
								// Two full panels of A at once: twice the FMAs per
								// load of B. Both are in place or both packed, since
								// only a partial panel is packed along in-place ones.
								if ar != nil {
									_ = ar[(2*mr-1)*p.lda+kcb-1]
									kernel12x32InPlaceAVX512(kcb, &ar[0], p.lda, &bp[0], &c[i0*ldc+j0], ldc)
								} else {
									kernel12x32AVX512(kcb, &ap[0], &pa[(ip+1-inPlace)*mr*kcb], &bp[0], &c[i0*ldc+j0], ldc)
								}
								ip++
								continue
							}
							if mh == mr && nw == w {
								if ar != nil {
									microKernelInPlace(w, kcb, ar, p.lda, bp, c[i0*ldc+j0:], ldc)
								} else {
									microKernel(w, kcb, ap, bp, c[i0*ldc+j0:], ldc)
								}
								continue
							}
							clear(edge[:])
							if ar != nil {
								microKernelInPlace(w, kcb, ar, p.lda, bp, edge[:], w)
							} else {
								microKernel(w, kcb, ap, bp, edge[:], w)
							}
							for i := range mh {
								crow := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+nw]
								for j := range crow {
									crow[j] += edge[i*w+j]
								}
							}
						}
					}
				}
			})
		}
	}
}

// microKernel adds the product of a 6-row panel of A and a w-column panel of
// B to the 6×w tile of C at c[0].
func microKernel(w, kcb int, a, b, c []float32, ldc int) {
	switch {
	case w == nr512:
		_ = c[(mr-1)*ldc+nr512-1]
		kernel6x32AVX512(kcb, &a[0], &b[0], &c[0], ldc)
	case useAsm:
		kernel6x16AVX(kcb, &a[0], &b[0], &c[0], ldc)
	default:
		kernel6x16Go(kcb, a, b, c, ldc)
	}
}

// microKernelInPlace is microKernel with A's six rows read in place from
// a[0] on, lda apart: it rounds as microKernel does on the packed panel.
// Only the assembly sets have it.
func microKernelInPlace(w, kcb int, a []float32, lda int, b, c []float32, ldc int) {
	_ = a[(mr-1)*lda+kcb-1]
	switch {
	case w == nr512:
		_ = c[(mr-1)*ldc+nr512-1]
		kernel6x32InPlaceAVX512(kcb, &a[0], lda, &b[0], &c[0], ldc)
	case useAsm:
		kernel6x16InPlaceAVX(kcb, &a[0], lda, &b[0], &c[0], ldc)
	default:
		panic("tensor: no in-place micro-kernel in the Go set")
	}
}

func getBuf(n int) *[]float32 {
	p := packPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// packA writes rows [i0, i0+rows) and columns [p0, p0+kcb) of alpha·op(A) as
// one mr×kcb panel, k-major, zero-padding missing rows.
func packA(trans bool, a []float32, lda, i0, rows, p0, kcb int, alpha float32, dst []float32) {
	dst = dst[:mr*kcb]
	switch {
	case trans:
		for p := range kcb {
			src := a[(p0+p)*lda+i0 : (p0+p)*lda+i0+rows]
			d := dst[p*mr : p*mr+mr]
			copy(d, src)
			clear(d[rows:])
		}
	case rows == mr:
		// Six source rows read in step; the common case, so unrolled.
		r0 := a[i0*lda+p0 : i0*lda+p0+kcb]
		r1 := a[(i0+1)*lda+p0 : (i0+1)*lda+p0+kcb]
		r2 := a[(i0+2)*lda+p0 : (i0+2)*lda+p0+kcb]
		r3 := a[(i0+3)*lda+p0 : (i0+3)*lda+p0+kcb]
		r4 := a[(i0+4)*lda+p0 : (i0+4)*lda+p0+kcb]
		r5 := a[(i0+5)*lda+p0 : (i0+5)*lda+p0+kcb]
		for p := range r0 {
			d := dst[p*mr : p*mr+mr : p*mr+mr]
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
		}
	default:
		clear(dst)
		for i := range rows {
			for p, v := range a[(i0+i)*lda+p0 : (i0+i)*lda+p0+kcb] {
				dst[p*mr+i] = v
			}
		}
	}
	if alpha != 1 {
		for i := range dst {
			dst[i] *= alpha
		}
	}
}

// packB writes rows [p0, p0+kcb) and columns [j0, j0+cols) of op(B) as one
// kcb×w panel, k-major, zero-padding missing columns.
func packB(trans bool, b []float32, ldb, p0, kcb, j0, cols, w int, dst []float32) {
	dst = dst[:w*kcb]
	if !trans {
		for p := range kcb {
			d := dst[p*w : p*w+w]
			copy(d, b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+cols])
			clear(d[cols:])
		}
		return
	}
	if cols < w {
		clear(dst)
		for j := range cols {
			for p, v := range b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kcb] {
				dst[p*w+j] = v
			}
		}
		return
	}
	// A full panel of Bᵀ: w rows of B (weights stored [out][in]) read in
	// step, so every write fills a contiguous run of the panel. Four rows
	// at a time keeps the number of live slices small.
	for j := 0; j < w; j += 4 {
		r0 := b[(j0+j)*ldb+p0 : (j0+j)*ldb+p0+kcb]
		r1 := b[(j0+j+1)*ldb+p0 : (j0+j+1)*ldb+p0+kcb]
		r2 := b[(j0+j+2)*ldb+p0 : (j0+j+2)*ldb+p0+kcb]
		r3 := b[(j0+j+3)*ldb+p0 : (j0+j+3)*ldb+p0+kcb]
		for p := range r0 {
			d := dst[p*w+j : p*w+j+4 : p*w+j+4]
			d[0], d[1], d[2], d[3] = r0[p], r1[p], r2[p], r3[p]
		}
	}
}
