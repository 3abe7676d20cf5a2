#include "textflag.h"

// Lane indices 0, 4, 8, 12 of a ZMM register: the first float of each
// 128-bit chunk, gathered into the low four lanes by VPERMPS.
DATA chunk0<>+0(SB)/4, $0
DATA chunk0<>+4(SB)/4, $4
DATA chunk0<>+8(SB)/4, $8
DATA chunk0<>+12(SB)/4, $12
DATA chunk0<>+16(SB)/4, $0
DATA chunk0<>+20(SB)/4, $0
DATA chunk0<>+24(SB)/4, $0
DATA chunk0<>+28(SB)/4, $0
DATA chunk0<>+32(SB)/4, $0
DATA chunk0<>+36(SB)/4, $0
DATA chunk0<>+40(SB)/4, $0
DATA chunk0<>+44(SB)/4, $0
DATA chunk0<>+48(SB)/4, $0
DATA chunk0<>+52(SB)/4, $0
DATA chunk0<>+56(SB)/4, $0
DATA chunk0<>+60(SB)/4, $0
GLOBL chunk0<>(SB), RODATA|NOPTR, $64

// PAIR loads rows lo and hi of B (eight floats each, at the given
// addresses) into the low and high halves of z.
#define PAIR(lo, hi, y, z) \
	VMOVUPS      lo, y; \
	VINSERTF32X8 $1, hi, z, z

// AROW broadcasts eight floats of one A row (at addr) into both halves of
// Z30 and adds its products with the six B pairs to z0…z5.
#define AROW(addr, z0, z1, z2, z3, z4, z5) \
	VBROADCASTF32X8 addr, Z30; \
	VFMADD231PS     Z30, Z24, z0; \
	VFMADD231PS     Z30, Z25, z1; \
	VFMADD231PS     Z30, Z26, z2; \
	VFMADD231PS     Z30, Z27, z3; \
	VFMADD231PS     Z30, Z28, z4; \
	VFMADD231PS     Z30, Z29, z5

// SUM4 reduces two accumulators, za holding the eight lanes of columns j
// and j+1, zb those of j+2 and j+3, to four dot products and adds them to
// the four floats of C at addr. Each column's lanes are added exactly as
// REDUCE in tile_amd64.s adds them: high four to low four, then (0+1) +
// (2+3), then C.
#define SUM4(za, zb, addr) \
	VSHUFF32X4 $0x88, zb, za, Z30; \
	VSHUFF32X4 $0xdd, zb, za, Z24; \
	VADDPS     Z24, Z30, Z30; \
	VPERMILPS  $0xb1, Z30, Z24; \
	VADDPS     Z24, Z30, Z30; \
	VPERMILPS  $0x4e, Z30, Z24; \
	VADDPS     Z24, Z30, Z30; \
	VPERMPS    Z30, Z31, Z30; \
	VADDPS     addr, X30, X30; \
	VMOVUPS    X30, addr

#define ZERO6(z0, z1, z2, z3, z4, z5) \
	VPXORD z0, z0, z0; \
	VPXORD z1, z1, z1; \
	VPXORD z2, z2, z2; \
	VPXORD z3, z3, z3; \
	VPXORD z4, z4, z4; \
	VPXORD z5, z5, z5

// func dotTile4x12AVX512(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
// C[i][j] += Σp A[i][p]·B[j][p] for i < 4, j < 12, p < k, k a positive
// multiple of 8, with every sum rounded as dotTile4x3AVX rounds it: one
// eight-lane FMA chain per (i, j), then the same reduction. A ZMM register
// holds the chains of two columns (B row j in its low half, j+1 in its
// high half), so one FMA advances two dot products.
TEXT ·dotTile4x12AVX512(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R11
	LEAQ (DI)(R10*4), R12
	LEAQ (R12)(R10*4), R13
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX

	ZERO6(Z0, Z1, Z2, Z3, Z4, Z5)
	ZERO6(Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO6(Z12, Z13, Z14, Z15, Z16, Z17)
	ZERO6(Z18, Z19, Z20, Z21, Z22, Z23)

loop:
	PAIR((DI), (DI)(R10*1), Y24, Z24)
	PAIR((DI)(R10*2), (DI)(R11*1), Y25, Z25)
	PAIR((R12), (R12)(R10*1), Y26, Z26)
	PAIR((R12)(R10*2), (R12)(R11*1), Y27, Z27)
	PAIR((R13), (R13)(R10*1), Y28, Z28)
	PAIR((R13)(R10*2), (R13)(R11*1), Y29, Z29)
	AROW((SI), Z0, Z1, Z2, Z3, Z4, Z5)
	AROW((SI)(R8*1), Z6, Z7, Z8, Z9, Z10, Z11)
	AROW((SI)(R8*2), Z12, Z13, Z14, Z15, Z16, Z17)
	AROW((SI)(R9*1), Z18, Z19, Z20, Z21, Z22, Z23)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R12
	ADDQ $32, R13
	SUBQ $8, CX
	JNZ  loop

	VMOVUPS chunk0<>(SB), Z31
	SUM4(Z0, Z1, (DX))
	SUM4(Z2, Z3, 16(DX))
	SUM4(Z4, Z5, 32(DX))
	ADDQ BX, DX
	SUM4(Z6, Z7, (DX))
	SUM4(Z8, Z9, 16(DX))
	SUM4(Z10, Z11, 32(DX))
	ADDQ BX, DX
	SUM4(Z12, Z13, (DX))
	SUM4(Z14, Z15, 16(DX))
	SUM4(Z16, Z17, 32(DX))
	ADDQ BX, DX
	SUM4(Z18, Z19, (DX))
	SUM4(Z20, Z21, 16(DX))
	SUM4(Z22, Z23, 32(DX))
	VZEROUPPER
	RET
