#include "textflag.h"

// The AVX-512 GEMM micro-kernels. Each output element gets exactly the
// arithmetic of kernel6x16AVX: a zeroed accumulator, one FMA per k step in
// order, then one add into C. Only the tile is wider (32 columns in two ZMM
// registers), so results are bit-identical to the AVX2 path.

// ROW multiplies the A element at off(ptr), broadcast into t, by the row of
// B in Z24/Z25 and adds the product to accumulators lo and hi.
#define ROW(off, ptr, t, lo, hi) \
	VBROADCASTSS off(ptr), t; \
	VFMADD231PS  Z24, t, lo; \
	VFMADD231PS  Z25, t, hi

// PANEL6 does one k step of six rows from the packed A panel at ptr (six
// floats per k step, the step at byte offset aoff) into Z(acc)…Z(acc+11).
#define PANEL6(aoff, ptr, z0, z1, z2, z3, z4, z5, z6, z7, z8, z9, z10, z11) \
	ROW(aoff+0, ptr, Z26, z0, z1); \
	ROW(aoff+4, ptr, Z27, z2, z3); \
	ROW(aoff+8, ptr, Z28, z4, z5); \
	ROW(aoff+12, ptr, Z29, z6, z7); \
	ROW(aoff+16, ptr, Z30, z8, z9); \
	ROW(aoff+20, ptr, Z31, z10, z11)

// LOADB loads row boff of the packed B panel (32 floats) into Z24/Z25.
#define LOADB(boff) \
	VMOVUPS boff(DI), Z24; \
	VMOVUPS boff+64(DI), Z25

// STORE2 adds accumulators lo and hi to the 32 floats of C at DX and moves
// DX to the next row.
#define STORE2(lo, hi) \
	VADDPS  (DX), lo, lo; \
	VADDPS  64(DX), hi, hi; \
	VMOVUPS lo, (DX); \
	VMOVUPS hi, 64(DX); \
	ADDQ    R8, DX

// PREFETCHC12 asks for the 12×32 tile of C at DX (row stride R8 bytes),
// walking r over its rows: the tile is added to at the end, and fetching it
// while the FMAs run made the gate/up projection a fifth faster.
#define PREFETCHC1(r) \
	PREFETCHT0 (r); \
	PREFETCHT0 64(r); \
	ADDQ       R8, r

#define PREFETCHC12(r) \
	MOVQ DX, r; \
	PREFETCHC1(r); PREFETCHC1(r); PREFETCHC1(r); PREFETCHC1(r); \
	PREFETCHC1(r); PREFETCHC1(r); PREFETCHC1(r); PREFETCHC1(r); \
	PREFETCHC1(r); PREFETCHC1(r); PREFETCHC1(r); PREFETCHC1(r)

#define ZERO12(z0, z1, z2, z3, z4, z5, z6, z7, z8, z9, z10, z11) \
	VPXORD z0, z0, z0; \
	VPXORD z1, z1, z1; \
	VPXORD z2, z2, z2; \
	VPXORD z3, z3, z3; \
	VPXORD z4, z4, z4; \
	VPXORD z5, z5, z5; \
	VPXORD z6, z6, z6; \
	VPXORD z7, z7, z7; \
	VPXORD z8, z8, z8; \
	VPXORD z9, z9, z9; \
	VPXORD z10, z10, z10; \
	VPXORD z11, z11, z11

// func kernel12x32AVX512(kc int, a0, a1, b, c *float32, ldc int)
// C[12][32] (row stride ldc floats) += A·B, where rows 0–5 of A are the
// packed 6×kc panel at a0, rows 6–11 the one at a1, and B a packed kc×32
// panel (32 floats per k step). Z0–Z23 hold the tile, Z24/Z25 a row of B,
// Z26–Z31 broadcast elements of A: twelve loads feed 24 FMAs.
TEXT ·kernel12x32AVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a0+8(FP), SI
	MOVQ a1+16(FP), BX
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8

	PREFETCHC12(R9)

	ZERO12(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO12(Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

	CMPQ CX, $2
	JL   tail12

loop12:
	LOADB(0)
	PANEL6(0, SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	PANEL6(0, BX, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	LOADB(128)
	PANEL6(24, SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	PANEL6(24, BX, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	ADDQ $48, SI
	ADDQ $48, BX
	ADDQ $256, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop12

tail12:
	TESTQ CX, CX
	JZ    store12
	LOADB(0)
	PANEL6(0, SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	PANEL6(0, BX, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

store12:
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	STORE2(Z8, Z9)
	STORE2(Z10, Z11)
	STORE2(Z12, Z13)
	STORE2(Z14, Z15)
	STORE2(Z16, Z17)
	STORE2(Z18, Z19)
	STORE2(Z20, Z21)
	STORE2(Z22, Z23)
	VZEROUPPER
	RET

// func kernel6x32AVX512(kc int, a, b, c *float32, ldc int)
// As kernel12x32AVX512 for one 6-row panel of A: the last panel of an odd
// count, and tiles that go through an edge buffer.
TEXT ·kernel6x32AVX512(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	ZERO12(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)

	CMPQ CX, $2
	JL   tail6

loop6:
	LOADB(0)
	PANEL6(0, SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	LOADB(128)
	PANEL6(24, SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	ADDQ $48, SI
	ADDQ $256, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop6

tail6:
	TESTQ CX, CX
	JZ    store6
	LOADB(0)
	PANEL6(0, SI, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)

store6:
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	STORE2(Z8, Z9)
	STORE2(Z10, Z11)
	VZEROUPPER
	RET

// The in-place kernels below read A as it is stored, row-major, instead of
// from a packed panel: A[i][p] is broadcast from row i's own address. Each
// output gets the FMAs of the packed kernels above in the same order, so the
// results are bit-identical to theirs. Rows 0–3 of A are addressed from SI,
// rows 4–7 from BX and rows 8–11 from R11 (each base four rows below the
// last), with R9 = lda and R10 = 3·lda in bytes; every base moves 4 bytes a
// k step.

// ROWAT multiplies the A element at addr, broadcast into t, by the row of B
// in Z24/Z25 and adds the product to accumulators lo and hi.
#define ROWAT(addr, t, lo, hi) \
	VBROADCASTSS addr, t; \
	VFMADD231PS  Z24, t, lo; \
	VFMADD231PS  Z25, t, hi

// STEP6 does one k step (the element at byte offset off in each row) of
// rows 0–5 of A into Z0–Z11.
#define STEP6(off) \
	ROWAT(off(SI), Z26, Z0, Z1); \
	ROWAT(off(SI)(R9*1), Z27, Z2, Z3); \
	ROWAT(off(SI)(R9*2), Z28, Z4, Z5); \
	ROWAT(off(SI)(R10*1), Z29, Z6, Z7); \
	ROWAT(off(BX), Z30, Z8, Z9); \
	ROWAT(off(BX)(R9*1), Z31, Z10, Z11)

// STEP12 does one k step of rows 0–11 of A into Z0–Z23.
#define STEP12(off) \
	STEP6(off); \
	ROWAT(off(BX)(R9*2), Z26, Z12, Z13); \
	ROWAT(off(BX)(R10*1), Z27, Z14, Z15); \
	ROWAT(off(R11), Z28, Z16, Z17); \
	ROWAT(off(R11)(R9*1), Z29, Z18, Z19); \
	ROWAT(off(R11)(R9*2), Z30, Z20, Z21); \
	ROWAT(off(R11)(R10*1), Z31, Z22, Z23)

// func kernel12x32InPlaceAVX512(kc int, a *float32, lda int, b, c *float32, ldc int)
// As kernel12x32AVX512, with rows 0–11 of A read in place: row i's kc
// elements start at a + i·lda (floats).
TEXT ·kernel12x32InPlaceAVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10
	LEAQ (SI)(R9*4), BX
	LEAQ (BX)(R9*4), R11
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8
	PREFETCHC12(R12)

	ZERO12(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	ZERO12(Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

	CMPQ CX, $2
	JL   tail12i

loop12i:
	LOADB(0)
	STEP12(0)
	LOADB(128)
	STEP12(4)
	ADDQ $8, SI
	ADDQ $8, BX
	ADDQ $8, R11
	ADDQ $256, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop12i

tail12i:
	TESTQ CX, CX
	JZ    store12i
	LOADB(0)
	STEP12(0)

store12i:
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	STORE2(Z8, Z9)
	STORE2(Z10, Z11)
	STORE2(Z12, Z13)
	STORE2(Z14, Z15)
	STORE2(Z16, Z17)
	STORE2(Z18, Z19)
	STORE2(Z20, Z21)
	STORE2(Z22, Z23)
	VZEROUPPER
	RET

// func kernel6x32InPlaceAVX512(kc int, a *float32, lda int, b, c *float32, ldc int)
// As kernel6x32AVX512, with rows 0–5 of A read in place as in
// kernel12x32InPlaceAVX512.
TEXT ·kernel6x32InPlaceAVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10
	LEAQ (SI)(R9*4), BX
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8

	ZERO12(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)

	CMPQ CX, $2
	JL   tail6i

loop6i:
	LOADB(0)
	STEP6(0)
	LOADB(128)
	STEP6(4)
	ADDQ $8, SI
	ADDQ $8, BX
	ADDQ $256, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop6i

tail6i:
	TESTQ CX, CX
	JZ    store6i
	LOADB(0)
	STEP6(0)

store6i:
	STORE2(Z0, Z1)
	STORE2(Z2, Z3)
	STORE2(Z4, Z5)
	STORE2(Z6, Z7)
	STORE2(Z8, Z9)
	STORE2(Z10, Z11)
	VZEROUPPER
	RET
