//go:build amd64 && !purego

#include "textflag.h"

// func dot4(out *[4]int16, coef, buf []float32, off *[8]int, k int)
TEXT ·dot4(SB), NOSPLIT, $0-72
	MOVQ coef_base+8(FP), AX
	MOVQ buf_base+32(FP), BX
	MOVQ off+56(FP), DX
	MOVQ k+64(FP), CX
	SHLQ $2, CX                 // k in bytes

	MOVQ 0(DX), R8              // coefficient pointers, slots 0..3
	LEAQ (AX)(R8*4), R8
	MOVQ 8(DX), R9
	LEAQ (AX)(R9*4), R9
	MOVQ 16(DX), R10
	LEAQ (AX)(R10*4), R10
	MOVQ 24(DX), R11
	LEAQ (AX)(R11*4), R11
	MOVQ 32(DX), R12            // sample pointers, slots 0..3
	LEAQ (BX)(R12*4), R12
	MOVQ 40(DX), R13
	LEAQ (BX)(R13*4), R13
	MOVQ 48(DX), SI
	LEAQ (BX)(SI*4), SI
	MOVQ 56(DX), DI
	LEAQ (BX)(DI*4), DI

	XORPS X0, X0
	XORPS X1, X1
	XORPS X2, X2
	XORPS X3, X3
	XORQ  DX, DX                // byte index
	CMPQ  DX, CX
	JGE   reduce

loop:
	MOVUPS (R8)(DX*1), X4
	MOVUPS (R12)(DX*1), X8
	MOVUPS (R9)(DX*1), X5
	MOVUPS (R13)(DX*1), X9
	MOVUPS (R10)(DX*1), X6
	MOVUPS (SI)(DX*1), X10
	MOVUPS (R11)(DX*1), X7
	MOVUPS (DI)(DX*1), X11
	MULPS X8, X4
	MULPS X9, X5
	MULPS X10, X6
	MULPS X11, X7
	ADDPS X4, X0
	ADDPS X5, X1
	ADDPS X6, X2
	ADDPS X7, X3
	ADDQ  $16, DX
	CMPQ  DX, CX
	JLT   loop

reduce:
	// Xi = [ai0 ai1 ai2 ai3] → result i = (ai0+ai2) + (ai1+ai3).
	MOVAPS   X0, X4
	UNPCKLPS X1, X4             // a00 a10 a01 a11
	UNPCKHPS X1, X0             // a02 a12 a03 a13
	ADDPS    X4, X0             // s00 s10 s01 s11 (si0 = ai0+ai2, si1 = ai1+ai3)
	MOVAPS   X2, X5
	UNPCKLPS X3, X5             // a20 a30 a21 a31
	UNPCKHPS X3, X2             // a22 a32 a23 a33
	ADDPS    X5, X2             // s20 s30 s21 s31
	MOVAPS   X0, X6
	MOVLHPS  X2, X6             // s00 s10 s20 s30
	MOVHLPS  X0, X2             // s01 s11 s21 s31
	ADDPS    X6, X2
	CVTPS2PL X2, X2             // round to nearest even (MXCSR default)
	PACKSSLW X2, X2             // saturate to int16
	MOVQ     out+0(FP), AX
	MOVQ     X2, (AX)
	RET
