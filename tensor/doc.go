// Package tensor holds the float32 compute kernels of the project: a blocked,
// packed, parallel GEMM with AVX2/FMA and AVX-512 assembly micro-kernels, an
// unpacked path for a few rows times a weight matrix (decode steps), the two halves
// of attention over a strided KV cache (Scores, WeightedSum), a vectorised
// exp, and the element-wise and row-wise ops a transformer needs (softmax,
// RMSNorm, RoPE, SwiGLU, dot, axpy). Every assembly kernel has a portable Go
// twin. The kernel set (Kernels: "avx512", "avx2" or "go") is chosen at
// start-up from the CPU's features and narrowed by $RESEARCH_KERNELS; tests
// run every set the CPU has against the Go one.
//
// The AVX-512 kernels (GEMM, the decode tile, exp, exp-and-sum, scale, axpy,
// SwiGLU) give results bit-identical to the AVX2 ones: a wider vector
// computes more outputs at once, never a different order of additions, so a
// run's figures do not depend on which of the two it got. Kernels with no
// AVX-512 form (max, dot, Scores, WeightedSum) run their AVX2 code in the
// AVX-512 set. The Go set rounds differently (no FMA, other sum orders).
//
// Products of activations by weights are batch-invariant, so that the rows
// of independent sequences can share a call without changing each other's
// bits: MatMulTRows (the rows kernel, for one row per sequence: decode
// steps, next-token logits) and MatMulTBlock (the block kernel, the packed
// GEMM, for many rows: prefill chunks, training) each give a row the same
// bits whatever the number of rows and the row's place among them. They
// round differently from each other; MatMulT picks one by the number of
// rows, so a caller that batches sequences picks by each row's role.
//
// Weights may also be bfloat16 (BF16Matrix, MatMulTBF16): the decode path
// reads them as 16-bit words, laid out so that a shift or a mask widens
// them in registers, halving the bytes a step streams, and rounds every
// sum as MatMulT does on the widened weights, in every kernel set.
//
// Matrices are dense, row-major []float32 with an explicit leading
// dimension, as in BLAS. Shapes are the caller's responsibility: Gemm
// panics on operands too short for their shape rather than let assembly
// touch memory it does not own.
package tensor
