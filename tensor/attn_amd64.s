#include "textflag.h"

// func scores4AVX(q, k *float32, ldk, n, hd int, out *float32)
// out[j] = q·k_j for j < n (a multiple of 4), key j at k + j·ldk floats,
// hd (a multiple of 8) elements each. Four keys are dotted at once so each
// load of q serves four FMAs; one horizontal-add tree reduces all four.
TEXT ·scores4AVX(SB), NOSPLIT, $0-48
	MOVQ q+0(FP), SI
	MOVQ k+8(FP), DI
	MOVQ ldk+16(FP), R8
	SHLQ $2, R8
	MOVQ n+24(FP), CX
	MOVQ hd+32(FP), R9
	MOVQ out+40(FP), DX
	LEAQ (R8)(R8*2), R10
	MOVQ R8, R11
	SHLQ $2, R11

outer:
	TESTQ  CX, CX
	JZ     done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ   AX, AX
	MOVQ   R9, BX

inner:
	VMOVUPS     (SI)(AX*1), Y4
	LEAQ        (DI)(AX*1), R12
	VFMADD231PS (R12), Y4, Y0
	VFMADD231PS (R12)(R8*1), Y4, Y1
	VFMADD231PS (R12)(R8*2), Y4, Y2
	VFMADD231PS (R12)(R10*1), Y4, Y3
	ADDQ        $32, AX
	SUBQ        $8, BX
	JNZ         inner

	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVUPS      X0, (DX)
	ADDQ         $16, DX
	ADDQ         R11, DI
	SUBQ         $4, CX
	JMP          outer

done:
	VZEROUPPER
	RET

// func wsum64AVX(p, v *float32, ldv, n int, out *float32)
// out[0:64] = Σ_{j<n} p[j]·v_j[0:64], row j of v at v + j·ldv floats. The
// 64 sums stay in Y0–Y7 for the whole pass.
TEXT ·wsum64AVX(SB), NOSPLIT, $0-40
	MOVQ   p+0(FP), SI
	MOVQ   v+8(FP), DI
	MOVQ   ldv+16(FP), R8
	SHLQ   $2, R8
	MOVQ   n+24(FP), CX
	MOVQ   out+32(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ  CX, CX
	JZ     store

loop:
	VBROADCASTSS (SI), Y8
	VFMADD231PS  (DI), Y8, Y0
	VFMADD231PS  32(DI), Y8, Y1
	VFMADD231PS  64(DI), Y8, Y2
	VFMADD231PS  96(DI), Y8, Y3
	VFMADD231PS  128(DI), Y8, Y4
	VFMADD231PS  160(DI), Y8, Y5
	VFMADD231PS  192(DI), Y8, Y6
	VFMADD231PS  224(DI), Y8, Y7
	ADDQ         $4, SI
	ADDQ         R8, DI
	DECQ         CX
	JNZ          loop

store:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VMOVUPS Y4, 128(DX)
	VMOVUPS Y5, 160(DX)
	VMOVUPS Y6, 192(DX)
	VMOVUPS Y7, 224(DX)
	VZEROUPPER
	RET
