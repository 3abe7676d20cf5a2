//go:build !amd64

package tensor

func detectSet() int { return setGo }

// On other architectures the assembly entry points fall back to Go so the
// dispatch code stays the same everywhere.

func kernel6x16AVX(kc int, a, b, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}
func kernel6x16InPlaceAVX(kc int, a *float32, lda int, b, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}

func dotAVX(x, y *float32, n int) float32 { panic("tensor: no assembly kernels on this architecture") }
func axpyAVX(alpha float32, x, y *float32, n int) {
	panic("tensor: no assembly kernels on this architecture")
}

func dotTile4x3AVX(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}

func dotRowAVX(k int, a *float32, b *float32, ldb int, c *float32, n int) {
	panic("tensor: no assembly kernels on this architecture")
}

func expAVX(x *float32, n int) { panic("tensor: no assembly kernels on this architecture") }

func expSumAVX(x *float32, n int, shift float32) float32 {
	panic("tensor: no assembly kernels on this architecture")
}

func maxAVX(x *float32, n int) float32 { panic("tensor: no assembly kernels on this architecture") }

func scaleAVX(alpha float32, x *float32, n int) {
	panic("tensor: no assembly kernels on this architecture")
}

func scores4AVX(q, k *float32, ldk, n, hd int, out *float32) {
	panic("tensor: no assembly kernels on this architecture")
}

func wsum64AVX(p, v *float32, ldv, n int, out *float32) {
	panic("tensor: no assembly kernels on this architecture")
}

func kernel12x32AVX512(kc int, a0, a1, b, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}

func kernel6x32AVX512(kc int, a, b, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}

func kernel12x32InPlaceAVX512(kc int, a *float32, lda int, b, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}

func kernel6x32InPlaceAVX512(kc int, a *float32, lda int, b, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}

func dotTile4x12AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}

func expAVX512(x *float32, n int) { panic("tensor: no assembly kernels on this architecture") }

func expSumAVX512(x *float32, n int, shift float32) float32 {
	panic("tensor: no assembly kernels on this architecture")
}

func scaleAVX512(alpha float32, x *float32, n int) {
	panic("tensor: no assembly kernels on this architecture")
}

func axpyAVX512(alpha float32, x, y *float32, n int) {
	panic("tensor: no assembly kernels on this architecture")
}

func swigluAVX(out, gate, up *float32, n int) {
	panic("tensor: no assembly kernels on this architecture")
}

func swigluAVX512(out, gate, up *float32, n int) {
	panic("tensor: no assembly kernels on this architecture")
}

func dotBF16AVX(x *float32, y *uint16, n int) float32 {
	panic("tensor: no assembly kernels on this architecture")
}

func dotRowBF16AVX(k int, a *float32, b *uint16, ldb int, c *float32, n int) {
	panic("tensor: no assembly kernels on this architecture")
}

func dotTile4x3BF16AVX(k int, a *float32, lda int, b *uint16, ldb int, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}

func dotTile4x12BF16AVX512(k int, a *float32, lda int, b *uint16, ldb int, c *float32, ldc int) {
	panic("tensor: no assembly kernels on this architecture")
}
