package tensor

// gemmSmallNT computes C += A·Bᵀ for a few rows of A (decode steps of a batch
// of sequences) without packing B: packing a weight matrix costs a full extra
// pass over it, which dominates when only a few rows multiply it. B is read
// straight from its rows, a few at a time, each group staying in L1 while
// every group of four A rows (kept in L2) is dotted with it.
//
// The rounding of C[i][j] depends only on where (i, j) falls: inside the
// 4-row groups and 3-column groups it is an eight-lane FMA chain over the
// first k&^7 terms, reduced as dotTile4x3AVX reduces it, plus a Dot of the
// rest; outside it is one Dot. The AVX-512 tile (4×12) keeps exactly those
// sums, so both sets give the same bits.
func gemmSmallNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if !useAVX512 {
		Parallel((n+2)/3, 8, func(lo, hi int) {
			smallNTCols(m, n, k, a, lda, b, ldb, c, ldc, 3*lo, min(n, 3*hi))
		})
		return
	}
	k8 := k &^ 7
	m4 := m &^ 3
	n3 := n - n%3 // columns inside 3-column groups
	Parallel((n+11)/12, 2, func(lo, hi int) {
		for jb := lo; jb < hi; jb++ {
			j0 := 12 * jb
			if j0+12 > n3 || k8 == 0 {
				smallNTCols(m, n, k, a, lda, b, ldb, c, ldc, j0, min(n, j0+12))
				continue
			}
			for i := 0; i < m4; i += 4 {
				dotTile4x12AVX512(k8, &a[i*lda], lda, &b[j0*ldb], ldb, &c[i*ldc+j0], ldc)
				if k8 < k {
					for ii := i; ii < i+4; ii++ {
						for j := j0; j < j0+12; j++ {
							c[ii*ldc+j] += Dot(a[ii*lda+k8:ii*lda+k], b[j*ldb+k8:j*ldb+k])
						}
					}
				}
			}
			for i := m4; i < m; i++ {
				for j := j0; j < j0+12; j++ {
					c[i*ldc+j] += Dot(a[i*lda:i*lda+k], b[j*ldb:j*ldb+k])
				}
			}
		}
	})
}

// smallNTCols is gemmSmallNT with AVX2 tiles for columns [jlo, jhi), jlo a
// multiple of 3.
func smallNTCols(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, jlo, jhi int) {
	k8 := k &^ 7
	m4 := m &^ 3
	for j0 := jlo; j0 < jhi; j0 += 3 {
		if j0+3 > n { // the last one or two columns
			for j := j0; j < n; j++ {
				for i := range m {
					c[i*ldc+j] += Dot(a[i*lda:i*lda+k], b[j*ldb:j*ldb+k])
				}
			}
			continue
		}
		for i := 0; i < m4; i += 4 {
			if k8 > 0 {
				dotTile4x3AVX(k8, &a[i*lda], lda, &b[j0*ldb], ldb, &c[i*ldc+j0], ldc)
			}
			if k8 < k {
				for ii := i; ii < i+4; ii++ {
					for j := j0; j < j0+3; j++ {
						c[ii*ldc+j] += Dot(a[ii*lda+k8:ii*lda+k], b[j*ldb+k8:j*ldb+k])
					}
				}
			}
		}
		for i := m4; i < m; i++ {
			for j := j0; j < j0+3; j++ {
				c[i*ldc+j] += Dot(a[i*lda:i*lda+k], b[j*ldb:j*ldb+k])
			}
		}
	}
}
