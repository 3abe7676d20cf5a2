#include "textflag.h"

// AVX-512 forms of the element-wise kernels. Each lane does exactly the
// arithmetic of its AVX2 twin, operand order included (it decides which
// NaN or clamp wins), so results are bit-identical; sums keep the AVX2 lane
// layout and order.

// One copy of each constant of expc<> in exp_amd64.s (file-local there),
// at the same offset divided by eight; the kernels broadcast them.
DATA expz<>+0(SB)/4, $0x42b00000  // hi
DATA expz<>+4(SB)/4, $0xc2aeac4f  // lo
DATA expz<>+8(SB)/4, $0x3fb8aa3b  // log2e
DATA expz<>+12(SB)/4, $0x3f000000 // half
DATA expz<>+16(SB)/4, $0x3f318000 // ln2hi
DATA expz<>+20(SB)/4, $0xb95e8083 // ln2lo
DATA expz<>+24(SB)/4, $0x39506967 // p0
DATA expz<>+28(SB)/4, $0x3ab743ce // p1
DATA expz<>+32(SB)/4, $0x3c088908 // p2
DATA expz<>+36(SB)/4, $0x3d2aa9c1 // p3
DATA expz<>+40(SB)/4, $0x3e2aaaaa // p4
DATA expz<>+44(SB)/4, $0x3f800000 // one
DATA expz<>+48(SB)/4, $127        // exponent bias
DATA expz<>+52(SB)/4, $0x80000000 // sign bit
GLOBL expz<>(SB), RODATA|NOPTR, $56

// EXPZ replaces the sixteen lanes of x by their exponentials exactly as
// EXP2 in exp_amd64.s does, using n, p and t as scratch.
#define EXPZ(x, n, p, t) \
	VMINPS.BCST       expz<>+0(SB), x, x; \
	VMAXPS.BCST       expz<>+4(SB), x, x; \
	VMULPS.BCST       expz<>+8(SB), x, n; \
	VADDPS.BCST       expz<>+12(SB), n, n; \
	VRNDSCALEPS       $1, n, n; \
	VFNMADD231PS.BCST expz<>+16(SB), n, x; \
	VFNMADD231PS.BCST expz<>+20(SB), n, x; \
	VBROADCASTSS      expz<>+24(SB), p; \
	VFMADD213PS.BCST  expz<>+28(SB), x, p; \
	VFMADD213PS.BCST  expz<>+32(SB), x, p; \
	VFMADD213PS.BCST  expz<>+36(SB), x, p; \
	VFMADD213PS.BCST  expz<>+40(SB), x, p; \
	VFMADD213PS.BCST  expz<>+12(SB), x, p; \
	VMULPS            x, x, t; \
	VFMADD213PS       x, t, p; \
	VADDPS.BCST       expz<>+44(SB), p, p; \
	VCVTPS2DQ         n, n; \
	VPADDD.BCST       expz<>+48(SB), n, n; \
	VPSLLD            $23, n, n; \
	VMULPS            n, p, x

// func expAVX512(x *float32, n int)
// Replaces x[i] by e^x[i] for i < n, n a multiple of 16.
TEXT ·expAVX512(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX

loop32:
	CMPQ    CX, $32
	JL      tail
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z4
	EXPZ(Z0, Z1, Z2, Z3)
	EXPZ(Z4, Z5, Z6, Z7)
	VMOVUPS Z0, (SI)
	VMOVUPS Z4, 64(SI)
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     loop32

tail:
	TESTQ   CX, CX
	JZ      done
	VMOVUPS (SI), Z0
	EXPZ(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (SI)

done:
	VZEROUPPER
	RET

// func expSumAVX512(x *float32, n int, shift float32) float32
// Replaces x[i] by e^(x[i]-shift) for i < n, n a multiple of 16, and
// returns their sum. Lane l of Z9 sums x[16t+l] over t in order, as the
// lanes of Y9 (l < 8) and Y10 (l ≥ 8) do in expSumAVX, and the lanes are
// then reduced as there.
TEXT ·expSumAVX512(SB), NOSPLIT, $0-28
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS shift+16(FP), Z8
	VPXORD       Z9, Z9, Z9

sum32:
	CMPQ    CX, $32
	JL      sumtail
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z4
	VSUBPS  Z8, Z0, Z0
	VSUBPS  Z8, Z4, Z4
	EXPZ(Z0, Z1, Z2, Z3)
	EXPZ(Z4, Z5, Z6, Z7)
	VMOVUPS Z0, (SI)
	VMOVUPS Z4, 64(SI)
	VADDPS  Z0, Z9, Z9
	VADDPS  Z4, Z9, Z9
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     sum32

sumtail:
	TESTQ   CX, CX
	JZ      sumdone
	VMOVUPS (SI), Z0
	VSUBPS  Z8, Z0, Z0
	EXPZ(Z0, Z1, Z2, Z3)
	VMOVUPS Z0, (SI)
	VADDPS  Z0, Z9, Z9

sumdone:
	VEXTRACTF32X8 $1, Z9, Y10
	VADDPS        Y10, Y9, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VHADDPS       X0, X0, X0
	VHADDPS       X0, X0, X0
	VZEROUPPER
	MOVSS         X0, ret+24(FP)
	RET

// func scaleAVX512(alpha float32, x *float32, n int)
// Multiplies x[i] by alpha for i < n, n a multiple of 16.
TEXT ·scaleAVX512(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Z0
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX

scale32:
	CMPQ    CX, $32
	JL      scaletail
	VMULPS  (SI), Z0, Z1
	VMULPS  64(SI), Z0, Z2
	VMOVUPS Z1, (SI)
	VMOVUPS Z2, 64(SI)
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     scale32

scaletail:
	TESTQ   CX, CX
	JZ      scaledone
	VMULPS  (SI), Z0, Z1
	VMOVUPS Z1, (SI)

scaledone:
	VZEROUPPER
	RET

// func axpyAVX512(alpha float32, x, y *float32, n int)
// y[i] += alpha·x[i] for i < n, one FMA per element as in axpyAVX; the last
// n mod 16 elements under a mask, so no scalar tail.
TEXT ·axpyAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX

axpy32:
	CMPQ        CX, $32
	JL          axpy16
	VMOVUPS     (DI), Z1
	VMOVUPS     64(DI), Z2
	VFMADD231PS (SI), Z0, Z1
	VFMADD231PS 64(SI), Z0, Z2
	VMOVUPS     Z1, (DI)
	VMOVUPS     Z2, 64(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         axpy32

axpy16:
	CMPQ        CX, $16
	JL          axpymask
	VMOVUPS     (DI), Z1
	VFMADD231PS (SI), Z0, Z1
	VMOVUPS     Z1, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX

axpymask:
	TESTQ       CX, CX
	JZ          axpydone
	MOVL        $1, AX
	SHLL        CX, AX
	DECL        AX
	KMOVW       AX, K1
	VMOVUPS     (DI), K1, Z1
	VMOVUPS     (SI), K1, Z2
	VFMADD231PS Z2, Z0, K1, Z1
	VMOVUPS     Z1, K1, (DI)

axpydone:
	VZEROUPPER
	RET

// func swigluAVX512(out, gate, up *float32, n int)
// swigluAVX with sixteen lanes per register.
TEXT ·swigluAVX512(SB), NOSPLIT, $0-32
	MOVQ         out+0(FP), DX
	MOVQ         gate+8(FP), SI
	MOVQ         up+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS expz<>+52(SB), Z11

swiglu32:
	CMPQ    CX, $32
	JL      swiglutail
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z4
	VMULPS  (DI), Z0, Z8
	VMULPS  64(DI), Z4, Z9
	VPXORD  Z11, Z0, Z0
	VPXORD  Z11, Z4, Z4
	EXPZ(Z0, Z1, Z2, Z3)
	EXPZ(Z4, Z5, Z6, Z7)
	VADDPS.BCST expz<>+44(SB), Z0, Z0
	VADDPS.BCST expz<>+44(SB), Z4, Z4
	VDIVPS  Z0, Z8, Z8
	VDIVPS  Z4, Z9, Z9
	VMOVUPS Z8, (DX)
	VMOVUPS Z9, 64(DX)
	ADDQ    $128, SI
	ADDQ    $128, DI
	ADDQ    $128, DX
	SUBQ    $32, CX
	JMP     swiglu32

swiglutail:
	TESTQ   CX, CX
	JZ      swigludone
	VMOVUPS (SI), Z0
	VMULPS  (DI), Z0, Z8
	VPXORD  Z11, Z0, Z0
	EXPZ(Z0, Z1, Z2, Z3)
	VADDPS.BCST expz<>+44(SB), Z0, Z0
	VDIVPS  Z0, Z8, Z8
	VMOVUPS Z8, (DX)

swigludone:
	VZEROUPPER
	RET
