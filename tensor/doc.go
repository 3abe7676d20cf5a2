// Package tensor holds the float32 compute kernels of the project: a blocked,
// packed, parallel GEMM with an AVX2/FMA assembly micro-kernel, an unpacked
// path for a few rows times a weight matrix (decode steps), the two halves
// of attention over a strided KV cache (Scores, WeightedSum), a vectorised
// exp, and the element-wise and row-wise ops a transformer needs (softmax,
// RMSNorm, RoPE, SwiGLU, dot, axpy). Every assembly kernel has a portable Go
// twin, chosen at run time from the CPU's features; tests run both.
//
// Matrices are dense, row-major []float32 with an explicit leading
// dimension, as in BLAS. Shapes are the caller's responsibility: Gemm
// panics on operands too short for their shape rather than let assembly
// touch memory it does not own.
package tensor
