package tensor

import "golang.org/x/sys/cpu"

var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// The assembly kernels, in the *_amd64.s files; each documents its contract
// there, and the Go code that dispatches to it holds the portable twin.

//go:noescape
func kernel6x16AVX(kc int, a, b, c *float32, ldc int)

//go:noescape
func dotAVX(x, y *float32, n int) float32

//go:noescape
func axpyAVX(alpha float32, x, y *float32, n int)

//go:noescape
func dotTile4x3AVX(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

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
