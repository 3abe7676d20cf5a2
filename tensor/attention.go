package tensor

// The two halves of one query's attention over a KV cache whose rows hold
// several heads: keys and values of one head are len(q)-wide slices at a
// fixed stride. Decode steps spend their attention time here.

// Scores sets out[j] = scale · q·k_j for j < len(out), where key j is
// k[j·ldk : j·ldk+len(q)].
func Scores(out, q, k []float32, ldk int, scale float32) {
	hd, n := len(q), len(out)
	if n == 0 {
		return
	}
	_ = k[(n-1)*ldk+hd-1] // every key is in range, before assembly reads them
	j := 0
	if useAsm && hd > 0 && hd%8 == 0 && n >= 4 {
		j = n &^ 3
		scores4AVX(&q[0], &k[0], ldk, j, hd, &out[0])
	}
	for ; j < n; j++ {
		out[j] = Dot(q, k[j*ldk:j*ldk+hd])
	}
	for j := range out {
		out[j] *= scale
	}
}

// WeightedSum sets out = Σ_j p[j] · v_j, where row j is
// v[j·ldv : j·ldv+len(out)].
func WeightedSum(out, p, v []float32, ldv int) {
	hd, n := len(out), len(p)
	if n == 0 {
		clear(out)
		return
	}
	_ = v[(n-1)*ldv+hd-1]
	c := 0
	if useAsm {
		for ; c+64 <= hd; c += 64 {
			wsum64AVX(&p[0], &v[c], ldv, n, &out[c])
		}
	}
	if c < hd {
		rest := out[c:]
		clear(rest)
		for j, pj := range p {
			Axpy(pj, v[j*ldv+c:j*ldv+hd], rest)
		}
	}
}
