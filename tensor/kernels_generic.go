package tensor

// Portable Go versions of the assembly kernels. They define the contracts and
// serve machines without AVX2/FMA.

// kernel6x16Go adds the product of a packed 6×kc panel of A and a packed
// kc×16 panel of B to the 6×16 tile of C at c[0] with row stride ldc.
func kernel6x16Go(kc int, a, b, c []float32, ldc int) {
	var acc [mr][nr]float32
	for p := range kc {
		ap := a[p*mr : p*mr+mr]
		bp := b[p*nr : p*nr+nr]
		for i, ai := range ap {
			row := &acc[i]
			for j, bj := range bp {
				row[j] += ai * bj
			}
		}
	}
	for i := range mr {
		ci := c[i*ldc : i*ldc+nr]
		for j := range ci {
			ci[j] += acc[i][j]
		}
	}
}

// dotGo rounds each product before adding it: Go may fuse x*y+s into one
// FMA where the target has it (arm64, GOAMD64=v3), and would then fuse it
// differently here and in dotBF16Go, whose results must match this one's.
func dotGo(x, y []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float32(x[i] * y[i])
		s1 += float32(x[i+1] * y[i+1])
		s2 += float32(x[i+2] * y[i+2])
		s3 += float32(x[i+3] * y[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float32(x[i] * y[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGo(alpha float32, x, y []float32) {
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Dot returns the inner product of x and y[:len(x)].
func Dot(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	y = y[:len(x)]
	if useAsm {
		return dotAVX(&x[0], &y[0], len(x))
	}
	return dotGo(x, y)
}

// Axpy adds alpha·x to y[:len(x)].
func Axpy(alpha float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	y = y[:len(x)]
	if useAVX512 {
		axpyAVX512(alpha, &x[0], &y[0], len(x))
		return
	}
	if useAsm {
		axpyAVX(alpha, &x[0], &y[0], len(x))
		return
	}
	axpyGo(alpha, x, y)
}
