#include "textflag.h"

// func swapRun(dst, src []byte, k *runKind) int
//
// Sixteen bytes a step: the block's stop bytes are stopA and stopB and,
// for a ranged kind, those whose c - ' ' (mod 256) is above '~' - ' '
// (PMINUB is the unsigned compare SSE2 has). The block is stored swapped
// even when it holds a stop byte: the caller keeps only the count.
TEXT ·swapRun(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	MOVQ k+48(FP), R9
	MOVOU 0(R9), X8   // from
	MOVOU 16(R9), X10 // xor
	MOVOU 32(R9), X9  // stopA
	MOVOU 48(R9), X11 // stopB
	MOVOU 64(R9), X12 // lo
	MOVOU 80(R9), X13 // span
	MOVBLZX 96(R9), R10 // ranged
	XORQ AX, AX

loop:
	LEAQ 16(AX), DX
	CMPQ DX, CX
	JHI done
	MOVOU (SI)(AX*1), X0
	MOVO X0, X1
	PCMPEQB X9, X1
	MOVO X0, X2
	PCMPEQB X11, X2
	POR X2, X1
	PMOVMSKB X1, BX
	TESTL R10, R10
	JZ swap
	MOVO X0, X2
	PSUBB X12, X2
	MOVO X2, X3
	PMINUB X13, X3
	PCMPEQB X2, X3
	PMOVMSKB X3, R8
	XORL $0xffff, R8
	ORL R8, BX

swap:
	MOVO X0, X2
	PCMPEQB X8, X2
	PAND X10, X2
	PXOR X2, X0
	MOVOU X0, (DI)(AX*1)
	TESTL BX, BX
	JNZ stop
	MOVQ DX, AX
	JMP loop

stop:
	BSFL BX, BX
	ADDQ BX, AX

done:
	MOVQ AX, ret+56(FP)
	RET
