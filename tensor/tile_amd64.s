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
