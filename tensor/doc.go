// Package tensor holds the float32 compute kernels of the project: a blocked,
// packed, parallel GEMM with an AVX2/FMA assembly micro-kernel (and a portable
// Go fallback chosen at run time), and the element-wise and row-wise ops a
// transformer needs (softmax, RMSNorm, RoPE, SiLU/SwiGLU, dot, axpy).
//
// Matrices are dense, row-major []float32 with an explicit leading dimension,
// as in BLAS. Kernels never allocate on their hot paths and never panic on
// shapes the caller got right; shapes are the caller's responsibility.
package tensor
