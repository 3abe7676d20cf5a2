#include "textflag.h"

// REDUCE adds the eight lanes of accumulator Y (low half X) to the float at
// addr.
#define REDUCE(Y, X, addr) VEXTRACTF128 $1, Y, X15; VADDPS X15, X, X; VHADDPS X, X, X; VHADDPS X, X, X; VADDSS addr, X, X; VMOVSS X, addr

// func dotTile4x3AVX(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
// C[i][j] += Σp A[i][p]·B[j][p] for i < 4, j < 3, p < k, where k is a
// multiple of 8 and A, B, C are row-major with the given strides (floats).
// Each of the twelve accumulators Y0–Y11 holds one (i, j) dot product.
TEXT ·dotTile4x3AVX(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $2, R10
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R11
	SHLQ $2, R11

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ  CX, CX
	JZ     reduce

loop:
	VMOVUPS     (DI), Y12
	VMOVUPS     (DI)(R10*1), Y13
	VMOVUPS     (DI)(R10*2), Y14
	VMOVUPS     (SI), Y15
	VFMADD231PS Y15, Y12, Y0
	VFMADD231PS Y15, Y13, Y1
	VFMADD231PS Y15, Y14, Y2
	VMOVUPS     (SI)(R8*1), Y15
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y4
	VFMADD231PS Y15, Y14, Y5
	VMOVUPS     (SI)(R8*2), Y15
	VFMADD231PS Y15, Y12, Y6
	VFMADD231PS Y15, Y13, Y7
	VFMADD231PS Y15, Y14, Y8
	VMOVUPS     (SI)(R9*1), Y15
	VFMADD231PS Y15, Y12, Y9
	VFMADD231PS Y15, Y13, Y10
	VFMADD231PS Y15, Y14, Y11
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         loop

reduce:
	REDUCE(Y0, X0, (DX))
	REDUCE(Y1, X1, 4(DX))
	REDUCE(Y2, X2, 8(DX))
	ADDQ R11, DX
	REDUCE(Y3, X3, (DX))
	REDUCE(Y4, X4, 4(DX))
	REDUCE(Y5, X5, 8(DX))
	ADDQ R11, DX
	REDUCE(Y6, X6, (DX))
	REDUCE(Y7, X7, 4(DX))
	REDUCE(Y8, X8, 8(DX))
	ADDQ R11, DX
	REDUCE(Y9, X9, (DX))
	REDUCE(Y10, X10, 4(DX))
	REDUCE(Y11, X11, 8(DX))
	VZEROUPPER
	RET

// func dotRowAVX(k int, a *float32, b *float32, ldb int, c *float32, n int)
// c[j] += Σp a[p]·B[j][p] for j < n, p < k, k a multiple of 8, with every
// sum rounded as dotTile4x3AVX rounds it: one eight-lane FMA chain per
// column, then REDUCE. It serves the rows of a small-M GEMM that no 4-row
// tile covers, so that a row's bits do not depend on where it falls. Eight
// columns at a time (eight independent chains hide the FMA latency; B is
// read straight from memory), then one at a time.
TEXT ·dotRowAVX(SB), NOSPLIT, $0-48
	MOVQ  k+0(FP), CX
	MOVQ  a+8(FP), SI
	MOVQ  b+16(FP), DI
	MOVQ  ldb+24(FP), R10
	SHLQ  $2, R10
	LEAQ  (R10)(R10*2), R11
	MOVQ  c+32(FP), DX
	MOVQ  n+40(FP), BX
	TESTQ CX, CX
	JZ    rowdone

row8:
	CMPQ   BX, $8
	JL     row1
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   SI, R8
	MOVQ   DI, R12
	LEAQ   (DI)(R10*4), R13
	MOVQ   CX, R9

loop8:
	VMOVUPS     (R8), Y8
	VFMADD231PS (R12), Y8, Y0
	VFMADD231PS (R12)(R10*1), Y8, Y1
	VFMADD231PS (R12)(R10*2), Y8, Y2
	VFMADD231PS (R12)(R11*1), Y8, Y3
	VFMADD231PS (R13), Y8, Y4
	VFMADD231PS (R13)(R10*1), Y8, Y5
	VFMADD231PS (R13)(R10*2), Y8, Y6
	VFMADD231PS (R13)(R11*1), Y8, Y7
	ADDQ        $32, R8
	ADDQ        $32, R12
	ADDQ        $32, R13
	SUBQ        $8, R9
	JNZ         loop8

	REDUCE(Y0, X0, (DX))
	REDUCE(Y1, X1, 4(DX))
	REDUCE(Y2, X2, 8(DX))
	REDUCE(Y3, X3, 12(DX))
	REDUCE(Y4, X4, 16(DX))
	REDUCE(Y5, X5, 20(DX))
	REDUCE(Y6, X6, 24(DX))
	REDUCE(Y7, X7, 28(DX))
	ADDQ $32, DX
	LEAQ (DI)(R10*8), DI
	SUBQ $8, BX
	JMP  row8

row1:
	TESTQ  BX, BX
	JZ     rowdone
	VXORPS Y0, Y0, Y0
	MOVQ   SI, R8
	MOVQ   DI, R12
	MOVQ   CX, R9

loop1:
	VMOVUPS     (R8), Y8
	VFMADD231PS (R12), Y8, Y0
	ADDQ        $32, R8
	ADDQ        $32, R12
	SUBQ        $8, R9
	JNZ         loop1

	REDUCE(Y0, X0, (DX))
	ADDQ $4, DX
	ADDQ R10, DI
	DECQ BX
	JMP  row1

rowdone:
	VZEROUPPER
	RET
