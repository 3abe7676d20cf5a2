package tensor

// rowBlock is the number of rows of A the rows kernel dots with a group of
// B rows before moving on: 64 rows of a hidden-sized activation stay in L2.
const rowBlock = 64

// gemmSmallNT is the rows kernel of the assembly sets: C += A·Bᵀ for rows of
// A (one per decoding sequence) against the rows of B (a weight matrix
// stored [out][in], float32 or bfloat16) read in place, since packing B
// costs a full extra pass over it, which dominates when few rows multiply
// it. Workers split the columns; each reads a group of B rows (3, or 12
// with AVX-512) while it sits in L1 and dots it with every 4-row group of
// A, 64 rows at a time; rows and columns outside full groups go through a
// one-row kernel.
//
// Every output is rounded one way, wherever it falls and however many rows
// there are: an eight-lane FMA chain over the first k&^7 terms (lane l
// takes the terms p ≡ l mod 8, in order), its lanes added as
// ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)) and that sum added to C, then the
// Dot of the last k mod 8 terms added to C. The 4×3 tile, the AVX-512 4×12
// tile and the one-row kernel all compute exactly that, so a row's result
// depends neither on m nor on its place among the rows (batch invariance),
// and the AVX-512 set gives the AVX2 set's bits. The BF16 kernels read B's
// rows in BF16Matrix's layout, widen them in registers and round alike:
// each 16-term block gives its lanes the terms p and p+8 in that order, as
// two 8-term chunks do, and the tail past k&^7 is in natural order.
func gemmSmallNT[T float32 | uint16](m, n, k int, a []float32, lda int, b []T, ldb int, c []float32, ldc int) {
	k8 := k &^ 7
	cols := 3
	if useAVX512 {
		cols = 12
	}
	Parallel((n+cols-1)/cols, 24/cols, func(lo, hi int) {
		jlo, jhi := lo*cols, min(n, hi*cols)
		jt := jlo + (jhi-jlo)/cols*cols // columns [jlo, jt) lie in full groups
		for i0 := 0; i0 < m; i0 += rowBlock {
			i1 := min(m, i0+rowBlock)
			i4 := i0 + (i1-i0)&^3 // rows [i0, i4) lie in full groups
			if k8 > 0 {
				for j := jlo; j < jt; j += cols {
					for i := i0; i < i4; i += 4 {
						tileNT(k8, a[i*lda:], lda, b[j*ldb:], ldb, c[i*ldc+j:], ldc)
					}
				}
				for i := i0; i < i1; i++ {
					from := jt // a grouped row: only the columns past the groups
					if i >= i4 {
						from = jlo
					}
					if from < jhi {
						rowNT(k8, a[i*lda:], b[from*ldb:], ldb, c[i*ldc+from:], jhi-from)
					}
				}
			}
			if k8 < k {
				for i := i0; i < i1; i++ {
					for j := jlo; j < jhi; j++ {
						c[i*ldc+j] += dotNT(a[i*lda+k8:i*lda+k], b[j*ldb+k8:j*ldb+k])
					}
				}
			}
		}
	})
}

// tileNT adds the k8-term chains of a 4-row group of A (stride lda) and a
// column group of B (stride ldb) to C: 4×12 with AVX-512, 4×3 with AVX2.
func tileNT[T float32 | uint16](k8 int, a []float32, lda int, b []T, ldb int, c []float32, ldc int) {
	switch b := any(b).(type) {
	case []float32:
		if useAVX512 {
			dotTile4x12AVX512(k8, &a[0], lda, &b[0], ldb, &c[0], ldc)
		} else {
			dotTile4x3AVX(k8, &a[0], lda, &b[0], ldb, &c[0], ldc)
		}
	case []uint16:
		if useAVX512 {
			dotTile4x12BF16AVX512(k8, &a[0], lda, &b[0], ldb, &c[0], ldc)
		} else {
			dotTile4x3BF16AVX(k8, &a[0], lda, &b[0], ldb, &c[0], ldc)
		}
	}
}

// rowNT adds the k8-term chains of one row of A and n rows of B to c[:n].
func rowNT[T float32 | uint16](k8 int, a []float32, b []T, ldb int, c []float32, n int) {
	switch b := any(b).(type) {
	case []float32:
		dotRowAVX(k8, &a[0], &b[0], ldb, &c[0], n)
	case []uint16:
		dotRowBF16AVX(k8, &a[0], &b[0], ldb, &c[0], n)
	}
}

// dotNT is Dot with y in either element type.
func dotNT[T float32 | uint16](x []float32, y []T) float32 {
	switch y := any(y).(type) {
	case []float32:
		return Dot(x, y)
	case []uint16:
		return dotBF16(x, y)
	}
	return 0
}
