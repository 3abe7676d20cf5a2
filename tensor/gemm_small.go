package tensor

// gemmSmallNT computes C += A·Bᵀ for a few rows of A (decode steps of a batch
// of sequences) without packing B: packing a weight matrix costs a full extra
// pass over it, which dominates when only a few rows multiply it. B is read
// straight from its rows, three at a time, each triple staying in L1 while
// every group of four A rows (kept in L2) is dotted with it.
func gemmSmallNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	k8 := k &^ 7
	m4 := m &^ 3
	Parallel((n+2)/3, 8, func(lo, hi int) {
		for jg := lo; jg < hi; jg++ {
			j0 := 3 * jg
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
	})
}
