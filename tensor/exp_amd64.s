#include "textflag.h"

// Constants of expAVX, each broadcast to eight lanes (see Exp in exp.go).
DATA expc<>+0(SB)/4, $0x42b00000 // hi
DATA expc<>+4(SB)/4, $0x42b00000 // hi
DATA expc<>+8(SB)/4, $0x42b00000 // hi
DATA expc<>+12(SB)/4, $0x42b00000 // hi
DATA expc<>+16(SB)/4, $0x42b00000 // hi
DATA expc<>+20(SB)/4, $0x42b00000 // hi
DATA expc<>+24(SB)/4, $0x42b00000 // hi
DATA expc<>+28(SB)/4, $0x42b00000 // hi
DATA expc<>+32(SB)/4, $0xc2aeac4f // lo
DATA expc<>+36(SB)/4, $0xc2aeac4f // lo
DATA expc<>+40(SB)/4, $0xc2aeac4f // lo
DATA expc<>+44(SB)/4, $0xc2aeac4f // lo
DATA expc<>+48(SB)/4, $0xc2aeac4f // lo
DATA expc<>+52(SB)/4, $0xc2aeac4f // lo
DATA expc<>+56(SB)/4, $0xc2aeac4f // lo
DATA expc<>+60(SB)/4, $0xc2aeac4f // lo
DATA expc<>+64(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+68(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+72(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+76(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+80(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+84(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+88(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+92(SB)/4, $0x3fb8aa3b // log2e
DATA expc<>+96(SB)/4, $0x3f000000 // half
DATA expc<>+100(SB)/4, $0x3f000000 // half
DATA expc<>+104(SB)/4, $0x3f000000 // half
DATA expc<>+108(SB)/4, $0x3f000000 // half
DATA expc<>+112(SB)/4, $0x3f000000 // half
DATA expc<>+116(SB)/4, $0x3f000000 // half
DATA expc<>+120(SB)/4, $0x3f000000 // half
DATA expc<>+124(SB)/4, $0x3f000000 // half
DATA expc<>+128(SB)/4, $0x3f318000 // ln2hi
DATA expc<>+132(SB)/4, $0x3f318000 // ln2hi
DATA expc<>+136(SB)/4, $0x3f318000 // ln2hi
DATA expc<>+140(SB)/4, $0x3f318000 // ln2hi
DATA expc<>+144(SB)/4, $0x3f318000 // ln2hi
DATA expc<>+148(SB)/4, $0x3f318000 // ln2hi
DATA expc<>+152(SB)/4, $0x3f318000 // ln2hi
DATA expc<>+156(SB)/4, $0x3f318000 // ln2hi
DATA expc<>+160(SB)/4, $0xb95e8083 // ln2lo
DATA expc<>+164(SB)/4, $0xb95e8083 // ln2lo
DATA expc<>+168(SB)/4, $0xb95e8083 // ln2lo
DATA expc<>+172(SB)/4, $0xb95e8083 // ln2lo
DATA expc<>+176(SB)/4, $0xb95e8083 // ln2lo
DATA expc<>+180(SB)/4, $0xb95e8083 // ln2lo
DATA expc<>+184(SB)/4, $0xb95e8083 // ln2lo
DATA expc<>+188(SB)/4, $0xb95e8083 // ln2lo
DATA expc<>+192(SB)/4, $0x39506967 // p0
DATA expc<>+196(SB)/4, $0x39506967 // p0
DATA expc<>+200(SB)/4, $0x39506967 // p0
DATA expc<>+204(SB)/4, $0x39506967 // p0
DATA expc<>+208(SB)/4, $0x39506967 // p0
DATA expc<>+212(SB)/4, $0x39506967 // p0
DATA expc<>+216(SB)/4, $0x39506967 // p0
DATA expc<>+220(SB)/4, $0x39506967 // p0
DATA expc<>+224(SB)/4, $0x3ab743ce // p1
DATA expc<>+228(SB)/4, $0x3ab743ce // p1
DATA expc<>+232(SB)/4, $0x3ab743ce // p1
DATA expc<>+236(SB)/4, $0x3ab743ce // p1
DATA expc<>+240(SB)/4, $0x3ab743ce // p1
DATA expc<>+244(SB)/4, $0x3ab743ce // p1
DATA expc<>+248(SB)/4, $0x3ab743ce // p1
DATA expc<>+252(SB)/4, $0x3ab743ce // p1
DATA expc<>+256(SB)/4, $0x3c088908 // p2
DATA expc<>+260(SB)/4, $0x3c088908 // p2
DATA expc<>+264(SB)/4, $0x3c088908 // p2
DATA expc<>+268(SB)/4, $0x3c088908 // p2
DATA expc<>+272(SB)/4, $0x3c088908 // p2
DATA expc<>+276(SB)/4, $0x3c088908 // p2
DATA expc<>+280(SB)/4, $0x3c088908 // p2
DATA expc<>+284(SB)/4, $0x3c088908 // p2
DATA expc<>+288(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+292(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+296(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+300(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+304(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+308(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+312(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+316(SB)/4, $0x3d2aa9c1 // p3
DATA expc<>+320(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+324(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+328(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+332(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+336(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+340(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+344(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+348(SB)/4, $0x3e2aaaaa // p4
DATA expc<>+352(SB)/4, $0x3f800000 // one
DATA expc<>+356(SB)/4, $0x3f800000 // one
DATA expc<>+360(SB)/4, $0x3f800000 // one
DATA expc<>+364(SB)/4, $0x3f800000 // one
DATA expc<>+368(SB)/4, $0x3f800000 // one
DATA expc<>+372(SB)/4, $0x3f800000 // one
DATA expc<>+376(SB)/4, $0x3f800000 // one
DATA expc<>+380(SB)/4, $0x3f800000 // one
DATA expc<>+384(SB)/4, $127 // exponent bias
DATA expc<>+388(SB)/4, $127 // exponent bias
DATA expc<>+392(SB)/4, $127 // exponent bias
DATA expc<>+396(SB)/4, $127 // exponent bias
DATA expc<>+400(SB)/4, $127 // exponent bias
DATA expc<>+404(SB)/4, $127 // exponent bias
DATA expc<>+408(SB)/4, $127 // exponent bias
DATA expc<>+412(SB)/4, $127 // exponent bias
GLOBL expc<>(SB), RODATA|NOPTR, $416

// EXP2 replaces the eight lanes of Y0 and of Y4 by their exponentials
// (see Exp in exp.go), using Y1–Y3 and Y5–Y7. Inputs are clamped to
// [-87.34, 88]; the two vectors are interleaved to hide FMA latency.
#define EXP2 \
	VMINPS expc<>+0(SB), Y0, Y0; \
	VMINPS expc<>+0(SB), Y4, Y4; \
	VMAXPS expc<>+32(SB), Y0, Y0; \
	VMAXPS expc<>+32(SB), Y4, Y4; \
	VMULPS expc<>+64(SB), Y0, Y1; \
	VMULPS expc<>+64(SB), Y4, Y5; \
	VADDPS expc<>+96(SB), Y1, Y1; \
	VADDPS expc<>+96(SB), Y5, Y5; \
	VROUNDPS $1, Y1, Y1; \
	VROUNDPS $1, Y5, Y5; \
	VFNMADD231PS expc<>+128(SB), Y1, Y0; \
	VFNMADD231PS expc<>+128(SB), Y5, Y4; \
	VFNMADD231PS expc<>+160(SB), Y1, Y0; \
	VFNMADD231PS expc<>+160(SB), Y5, Y4; \
	VMOVUPS expc<>+192(SB), Y2; \
	VMOVUPS expc<>+192(SB), Y6; \
	VFMADD213PS expc<>+224(SB), Y0, Y2; \
	VFMADD213PS expc<>+224(SB), Y4, Y6; \
	VFMADD213PS expc<>+256(SB), Y0, Y2; \
	VFMADD213PS expc<>+256(SB), Y4, Y6; \
	VFMADD213PS expc<>+288(SB), Y0, Y2; \
	VFMADD213PS expc<>+288(SB), Y4, Y6; \
	VFMADD213PS expc<>+320(SB), Y0, Y2; \
	VFMADD213PS expc<>+320(SB), Y4, Y6; \
	VFMADD213PS expc<>+96(SB), Y0, Y2; \
	VFMADD213PS expc<>+96(SB), Y4, Y6; \
	VMULPS Y0, Y0, Y3; \
	VMULPS Y4, Y4, Y7; \
	VFMADD213PS Y0, Y3, Y2; \
	VFMADD213PS Y4, Y7, Y6; \
	VADDPS expc<>+352(SB), Y2, Y2; \
	VADDPS expc<>+352(SB), Y6, Y6; \
	VCVTPS2DQ Y1, Y1; \
	VCVTPS2DQ Y5, Y5; \
	VPADDD expc<>+384(SB), Y1, Y1; \
	VPADDD expc<>+384(SB), Y5, Y5; \
	VPSLLD $23, Y1, Y1; \
	VPSLLD $23, Y5, Y5; \
	VMULPS Y1, Y2, Y0; \
	VMULPS Y5, Y6, Y4

// func expAVX(x *float32, n int)
// Replaces x[i] by e^x[i] for i < n, n a multiple of 16.
TEXT ·expAVX(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	TESTQ CX, CX
	JZ done

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y4
	EXP2
	VMOVUPS Y0, (SI)
	VMOVUPS Y4, 32(SI)
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ loop

done:
	VZEROUPPER
	RET

// func expSumAVX(x *float32, n int, shift float32) float32
// Replaces x[i] by e^(x[i]-shift) for i < n, n a multiple of 16, and
// returns their sum (sixteen float32 partial sums).
TEXT ·expSumAVX(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS shift+16(FP), Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	TESTQ CX, CX
	JZ sumdone

sumloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y4
	VSUBPS Y8, Y0, Y0
	VSUBPS Y8, Y4, Y4
	EXP2
	VMOVUPS Y0, (SI)
	VMOVUPS Y4, 32(SI)
	VADDPS Y0, Y9, Y9
	VADDPS Y4, Y10, Y10
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ sumloop

sumdone:
	VADDPS Y10, Y9, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func maxAVX(x *float32, n int) float32
// Returns the largest of x[i] for i < n, n a positive multiple of 16.
TEXT ·maxAVX(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	ADDQ $64, SI
	SUBQ $16, CX
	JZ maxreduce

maxloop:
	VMAXPS (SI), Y0, Y0
	VMAXPS 32(SI), Y1, Y1
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ maxloop

maxreduce:
	VMAXPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

// func scaleAVX(alpha float32, x *float32, n int)
// Multiplies x[i] by alpha for i < n, n a multiple of 16.
TEXT ·scaleAVX(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	TESTQ CX, CX
	JZ scaledone

scaleloop:
	VMULPS (SI), Y0, Y1
	VMULPS 32(SI), Y0, Y2
	VMOVUPS Y1, (SI)
	VMOVUPS Y2, 32(SI)
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ scaleloop

scaledone:
	VZEROUPPER
	RET

// func swigluAVX(out, gate, up *float32, n int)
// out[i] = gate[i]·up[i] / (1 + e^-gate[i]) for i < n, n a multiple of 16:
// the operations of SwiGLU's Go loop, in its order (product, then
// quotient), around the exp of ExpInPlace, in one pass. out may alias gate
// or up.
TEXT ·swigluAVX(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DX
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS signbit<>(SB), Y11
	TESTQ CX, CX
	JZ swiglud

swiglul:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y4
	VMULPS (DI), Y0, Y8
	VMULPS 32(DI), Y4, Y9
	VXORPS Y11, Y0, Y0
	VXORPS Y11, Y4, Y4
	EXP2
	VADDPS expc<>+352(SB), Y0, Y0
	VADDPS expc<>+352(SB), Y4, Y4
	VDIVPS Y0, Y8, Y8
	VDIVPS Y4, Y9, Y9
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, 32(DX)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $16, CX
	JNZ swiglul

swiglud:
	VZEROUPPER
	RET

DATA signbit<>+0(SB)/4, $0x80000000
GLOBL signbit<>(SB), RODATA|NOPTR, $4
