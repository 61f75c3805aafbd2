//go:build !purego

#include "textflag.h"

// func kern4x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha float32)
// C[0:4, 0:16] += alpha · A[0:4, 0:k] · B[0:k, 0:16]; row-major, strides in elements.
TEXT ·kern4x16(SB), NOSPLIT, $0-60
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (SI)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX
	TESTQ CX, CX
	JEQ done4

loop4:
	VMOVUPS (DI), Y8
	VMOVUPS 32(DI), Y9
	VBROADCASTSS (SI)(AX*1), Y10
	VBROADCASTSS (R11)(AX*1), Y11
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y9, Y10, Y1
	VBROADCASTSS (R12)(AX*1), Y12
	VFMADD231PS Y8, Y11, Y2
	VFMADD231PS Y9, Y11, Y3
	VBROADCASTSS (R13)(AX*1), Y13
	VFMADD231PS Y8, Y12, Y4
	VFMADD231PS Y9, Y12, Y5
	VFMADD231PS Y8, Y13, Y6
	VFMADD231PS Y9, Y13, Y7
	ADDQ $4, AX
	ADDQ R9, DI
	DECQ CX
	JNE loop4

done4:
	VBROADCASTSS alpha+56(FP), Y14
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VMULPS Y14, Y2, Y2
	VMULPS Y14, Y3, Y3
	VMULPS Y14, Y4, Y4
	VMULPS Y14, Y5, Y5
	VMULPS Y14, Y6, Y6
	VMULPS Y14, Y7, Y7
	VADDPS (DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R10, DX
	VADDPS (DX), Y2, Y2
	VADDPS 32(DX), Y3, Y3
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R10, DX
	VADDPS (DX), Y4, Y4
	VADDPS 32(DX), Y5, Y5
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R10, DX
	VADDPS (DX), Y6, Y6
	VADDPS 32(DX), Y7, Y7
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func kern1x16(k int, a *float32, b *float32, ldb int, c *float32, alpha float32)
// C[0, 0:16] += alpha · A[0, 0:k] · B[0:k, 0:16].
TEXT ·kern1x16(SB), NOSPLIT, $0-44
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R9
	MOVQ c+32(FP), DX
	SHLQ $2, R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	TESTQ CX, CX
	JEQ done1

loop1:
	VBROADCASTSS (SI), Y10
	VFMADD231PS (DI), Y10, Y0
	VFMADD231PS 32(DI), Y10, Y1
	ADDQ $4, SI
	ADDQ R9, DI
	DECQ CX
	JNE loop1

done1:
	VBROADCASTSS alpha+40(FP), Y14
	VMULPS Y14, Y0, Y0
	VMULPS Y14, Y1, Y1
	VADDPS (DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VZEROUPPER
	RET

// Constants of expShift, each replicated over a 256-bit vector: lo
// (-87.33654), log2(e), 0.5, ln2 split in C1 + C2, the Cephes expf
// polynomial p0..p5, 1.0 and the exponent bias 127.
DATA expc<>+0(SB)/4, $0xc2aeac4f
DATA expc<>+4(SB)/4, $0xc2aeac4f
DATA expc<>+8(SB)/4, $0xc2aeac4f
DATA expc<>+12(SB)/4, $0xc2aeac4f
DATA expc<>+16(SB)/4, $0xc2aeac4f
DATA expc<>+20(SB)/4, $0xc2aeac4f
DATA expc<>+24(SB)/4, $0xc2aeac4f
DATA expc<>+28(SB)/4, $0xc2aeac4f
DATA expc<>+32(SB)/4, $0x3fb8aa3b
DATA expc<>+36(SB)/4, $0x3fb8aa3b
DATA expc<>+40(SB)/4, $0x3fb8aa3b
DATA expc<>+44(SB)/4, $0x3fb8aa3b
DATA expc<>+48(SB)/4, $0x3fb8aa3b
DATA expc<>+52(SB)/4, $0x3fb8aa3b
DATA expc<>+56(SB)/4, $0x3fb8aa3b
DATA expc<>+60(SB)/4, $0x3fb8aa3b
DATA expc<>+64(SB)/4, $0x3f000000
DATA expc<>+68(SB)/4, $0x3f000000
DATA expc<>+72(SB)/4, $0x3f000000
DATA expc<>+76(SB)/4, $0x3f000000
DATA expc<>+80(SB)/4, $0x3f000000
DATA expc<>+84(SB)/4, $0x3f000000
DATA expc<>+88(SB)/4, $0x3f000000
DATA expc<>+92(SB)/4, $0x3f000000
DATA expc<>+96(SB)/4, $0x3f318000
DATA expc<>+100(SB)/4, $0x3f318000
DATA expc<>+104(SB)/4, $0x3f318000
DATA expc<>+108(SB)/4, $0x3f318000
DATA expc<>+112(SB)/4, $0x3f318000
DATA expc<>+116(SB)/4, $0x3f318000
DATA expc<>+120(SB)/4, $0x3f318000
DATA expc<>+124(SB)/4, $0x3f318000
DATA expc<>+128(SB)/4, $0xb95e8083
DATA expc<>+132(SB)/4, $0xb95e8083
DATA expc<>+136(SB)/4, $0xb95e8083
DATA expc<>+140(SB)/4, $0xb95e8083
DATA expc<>+144(SB)/4, $0xb95e8083
DATA expc<>+148(SB)/4, $0xb95e8083
DATA expc<>+152(SB)/4, $0xb95e8083
DATA expc<>+156(SB)/4, $0xb95e8083
DATA expc<>+160(SB)/4, $0x39506967
DATA expc<>+164(SB)/4, $0x39506967
DATA expc<>+168(SB)/4, $0x39506967
DATA expc<>+172(SB)/4, $0x39506967
DATA expc<>+176(SB)/4, $0x39506967
DATA expc<>+180(SB)/4, $0x39506967
DATA expc<>+184(SB)/4, $0x39506967
DATA expc<>+188(SB)/4, $0x39506967
DATA expc<>+192(SB)/4, $0x3ab743ce
DATA expc<>+196(SB)/4, $0x3ab743ce
DATA expc<>+200(SB)/4, $0x3ab743ce
DATA expc<>+204(SB)/4, $0x3ab743ce
DATA expc<>+208(SB)/4, $0x3ab743ce
DATA expc<>+212(SB)/4, $0x3ab743ce
DATA expc<>+216(SB)/4, $0x3ab743ce
DATA expc<>+220(SB)/4, $0x3ab743ce
DATA expc<>+224(SB)/4, $0x3c088908
DATA expc<>+228(SB)/4, $0x3c088908
DATA expc<>+232(SB)/4, $0x3c088908
DATA expc<>+236(SB)/4, $0x3c088908
DATA expc<>+240(SB)/4, $0x3c088908
DATA expc<>+244(SB)/4, $0x3c088908
DATA expc<>+248(SB)/4, $0x3c088908
DATA expc<>+252(SB)/4, $0x3c088908
DATA expc<>+256(SB)/4, $0x3d2aa9c1
DATA expc<>+260(SB)/4, $0x3d2aa9c1
DATA expc<>+264(SB)/4, $0x3d2aa9c1
DATA expc<>+268(SB)/4, $0x3d2aa9c1
DATA expc<>+272(SB)/4, $0x3d2aa9c1
DATA expc<>+276(SB)/4, $0x3d2aa9c1
DATA expc<>+280(SB)/4, $0x3d2aa9c1
DATA expc<>+284(SB)/4, $0x3d2aa9c1
DATA expc<>+288(SB)/4, $0x3e2aaaaa
DATA expc<>+292(SB)/4, $0x3e2aaaaa
DATA expc<>+296(SB)/4, $0x3e2aaaaa
DATA expc<>+300(SB)/4, $0x3e2aaaaa
DATA expc<>+304(SB)/4, $0x3e2aaaaa
DATA expc<>+308(SB)/4, $0x3e2aaaaa
DATA expc<>+312(SB)/4, $0x3e2aaaaa
DATA expc<>+316(SB)/4, $0x3e2aaaaa
DATA expc<>+320(SB)/4, $0x3f000000
DATA expc<>+324(SB)/4, $0x3f000000
DATA expc<>+328(SB)/4, $0x3f000000
DATA expc<>+332(SB)/4, $0x3f000000
DATA expc<>+336(SB)/4, $0x3f000000
DATA expc<>+340(SB)/4, $0x3f000000
DATA expc<>+344(SB)/4, $0x3f000000
DATA expc<>+348(SB)/4, $0x3f000000
DATA expc<>+352(SB)/4, $0x3f800000
DATA expc<>+356(SB)/4, $0x3f800000
DATA expc<>+360(SB)/4, $0x3f800000
DATA expc<>+364(SB)/4, $0x3f800000
DATA expc<>+368(SB)/4, $0x3f800000
DATA expc<>+372(SB)/4, $0x3f800000
DATA expc<>+376(SB)/4, $0x3f800000
DATA expc<>+380(SB)/4, $0x3f800000
DATA expc<>+384(SB)/4, $0x7f
DATA expc<>+388(SB)/4, $0x7f
DATA expc<>+392(SB)/4, $0x7f
DATA expc<>+396(SB)/4, $0x7f
DATA expc<>+400(SB)/4, $0x7f
DATA expc<>+404(SB)/4, $0x7f
DATA expc<>+408(SB)/4, $0x7f
DATA expc<>+412(SB)/4, $0x7f
GLOBL expc<>(SB), RODATA|NOPTR, $416

// func expShift(x *float32, n int, m float32) float32
// x[i] = exp(x[i] - m) for i < n (n a multiple of 8; every x[i] - m <= 0),
// exactly 0 below -87.33654; returns the sum of the new x[i].
TEXT ·expShift(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Y0
	VXORPS Y12, Y12, Y12
	SHRQ $3, CX
	JEQ expdone

exploop:
	VMOVUPS (SI), Y1
	VSUBPS Y0, Y1, Y1
	VCMPPS $0x1d, expc<>+0(SB), Y1, Y7
	VMAXPS expc<>+0(SB), Y1, Y1
	VMOVUPS expc<>+32(SB), Y2
	VFMADD213PS expc<>+64(SB), Y1, Y2
	VROUNDPS $1, Y2, Y2
	VFNMADD231PS expc<>+96(SB), Y2, Y1
	VFNMADD231PS expc<>+128(SB), Y2, Y1
	VMOVUPS expc<>+160(SB), Y3
	VFMADD213PS expc<>+192(SB), Y1, Y3
	VFMADD213PS expc<>+224(SB), Y1, Y3
	VFMADD213PS expc<>+256(SB), Y1, Y3
	VFMADD213PS expc<>+288(SB), Y1, Y3
	VFMADD213PS expc<>+320(SB), Y1, Y3
	VMULPS Y1, Y1, Y4
	VFMADD213PS Y1, Y4, Y3
	VADDPS expc<>+352(SB), Y3, Y3
	VCVTPS2DQ Y2, Y5
	VPADDD expc<>+384(SB), Y5, Y5
	VPSLLD $23, Y5, Y5
	VMULPS Y5, Y3, Y3
	VANDPS Y7, Y3, Y3
	VMOVUPS Y3, (SI)
	VADDPS Y3, Y12, Y12
	ADDQ $32, SI
	DECQ CX
	JNE exploop

expdone:
	VEXTRACTF128 $1, Y12, X1
	VADDPS X1, X12, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func maxf(x *float32, n int) float32
// returns the maximum of x[0:n] (n a positive multiple of 8, no NaNs).
TEXT ·maxf(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	ADDQ $32, SI
	SHRQ $3, CX
	DECQ CX
	JEQ maxdone

maxloop:
	VMAXPS (SI), Y0, Y0
	ADDQ $32, SI
	DECQ CX
	JNE maxloop

maxdone:
	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET

// func axpyK(a float32, x *float32, y *float32, n int)
// y[i] += a·x[i] for i < n (n a multiple of 8), without fused multiply-add
// so that the result equals the scalar Go loop bit for bit.
TEXT ·axpyK(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JEQ axpydone

axpyloop:
	VMULPS (SI), Y0, Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNE axpyloop

axpydone:
	VZEROUPPER
	RET

// func adamK(w, grad, mom, vel *float32, n int, c *[6]float32)
// The Adam step of adam.update for n elements (a multiple of 8), with
// c = [1-β1, 1-β2, alpha, eps, keep, 0]: m += (g-m)·(1-β1);
// v += (g²-v)·(1-β2); w = w·keep - alpha·m/(sqrt(v)+eps). No fused
// multiply-add: the result equals the scalar Go code bit for bit.
TEXT ·adamK(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ mom+16(FP), R8
	MOVQ vel+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Y10
	VBROADCASTSS 4(AX), Y11
	VBROADCASTSS 8(AX), Y12
	VBROADCASTSS 12(AX), Y13
	VBROADCASTSS 16(AX), Y14
	SHRQ $3, CX
	JEQ adamdone

adamloop:
	VMOVUPS (SI), Y0
	VMOVUPS (R8), Y1
	VSUBPS Y1, Y0, Y2
	VMULPS Y10, Y2, Y2
	VADDPS Y2, Y1, Y1
	VMOVUPS Y1, (R8)
	VMOVUPS (R9), Y3
	VMULPS Y0, Y0, Y4
	VSUBPS Y3, Y4, Y4
	VMULPS Y11, Y4, Y4
	VADDPS Y4, Y3, Y3
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y5
	VADDPS Y13, Y5, Y5
	VMULPS Y12, Y1, Y6
	VDIVPS Y5, Y6, Y6
	VMOVUPS (DI), Y7
	VMULPS Y14, Y7, Y7
	VSUBPS Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNE adamloop

adamdone:
	VZEROUPPER
	RET
