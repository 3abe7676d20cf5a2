package tensor

import "golang.org/x/sys/cpu"

// detectSet returns the widest kernel set the CPU and OS support. The
// AVX-512 kernels use F (the 512-bit FMAs), VL and BW/DQ (masked 256-bit
// forms, 256-bit extracts); x/sys/cpu reports them only when the OS saves
// the ZMM state.
func detectSet() int {
	x := cpu.X86
	switch {
	case x.HasAVX2 && x.HasFMA && x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX512DQ:
		return setAVX512
	case x.HasAVX2 && x.HasFMA:
		return setAVX2
	}
	return setGo
}

// The assembly kernels, in the *_amd64.s files; each documents its contract
// there, and the Go code that dispatches to it holds the portable twin.

//go:noescape
func kernel6x16AVX(kc int, a, b, c *float32, ldc int)

//go:noescape
func kernel6x16InPlaceAVX(kc int, a *float32, lda int, b, c *float32, ldc int)

//go:noescape
func dotAVX(x, y *float32, n int) float32

//go:noescape
func axpyAVX(alpha float32, x, y *float32, n int)

//go:noescape
func dotTile4x3AVX(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func dotRowAVX(k int, a *float32, b *float32, ldb int, c *float32, n int)

//go:noescape
func expAVX(x *float32, n int)

//go:noescape
func expSumAVX(x *float32, n int, shift float32) float32

//go:noescape
func maxAVX(x *float32, n int) float32

//go:noescape
func scaleAVX(alpha float32, x *float32, n int)

//go:noescape
func scores4AVX(q, k *float32, ldk, n, hd int, out *float32)

//go:noescape
func wsum64AVX(p, v *float32, ldv, n int, out *float32)

//go:noescape
func kernel12x32AVX512(kc int, a0, a1, b, c *float32, ldc int)

//go:noescape
func kernel6x32AVX512(kc int, a, b, c *float32, ldc int)

//go:noescape
func kernel12x32InPlaceAVX512(kc int, a *float32, lda int, b, c *float32, ldc int)

//go:noescape
func kernel6x32InPlaceAVX512(kc int, a *float32, lda int, b, c *float32, ldc int)

//go:noescape
func dotTile4x12AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

//go:noescape
func expAVX512(x *float32, n int)

//go:noescape
func expSumAVX512(x *float32, n int, shift float32) float32

//go:noescape
func scaleAVX512(alpha float32, x *float32, n int)

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

//go:noescape
func swigluAVX(out, gate, up *float32, n int)

//go:noescape
func swigluAVX512(out, gate, up *float32, n int)

//go:noescape
func dotBF16AVX(x *float32, y *uint16, n int) float32

//go:noescape
func dotRowBF16AVX(k int, a *float32, b *uint16, ldb int, c *float32, n int)

//go:noescape
func dotTile4x3BF16AVX(k int, a *float32, lda int, b *uint16, ldb int, c *float32, ldc int)

//go:noescape
func dotTile4x12BF16AVX512(k int, a *float32, lda int, b *uint16, ldb int, c *float32, ldc int)
