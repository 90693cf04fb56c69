#include "textflag.h"

// func unquoteBlocks(dst, q *byte, end, w int, carry uint64) (int, uint64)
//
// dropMask and the compaction of each eight bytes by PSHUFB, for the
// 64-byte blocks of q[:end]. Registers: SI q, DI dst, R8 end, R9 the
// block, R10 w, R11 unquoteShuffles, R12 carry, DX the block's drops.
TEXT ·unquoteBlocks(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ end+16(FP), R8
	MOVQ w+24(FP), R10
	MOVQ carry+32(FP), R12
	LEAQ ·unquoteShuffles(SB), R11
	MOVQ $0x2222222222222222, AX
	MOVQ AX, X0
	PUNPCKLQDQ X0, X0
	MOVQ $0x5555555555555555, R13
	XORQ R9, R9

block:
	CMPQ R9, R8
	JGE done
	MOVOU 0(SI)(R9*1), X1
	MOVOU 16(SI)(R9*1), X2
	MOVOU 32(SI)(R9*1), X3
	MOVOU 48(SI)(R9*1), X4
	MOVO X1, X5
	MOVO X2, X6
	MOVO X3, X7
	MOVO X4, X8
	PCMPEQB X0, X5
	PCMPEQB X0, X6
	PCMPEQB X0, X7
	PCMPEQB X0, X8
	PMOVMSKB X5, AX
	PMOVMSKB X6, BX
	PMOVMSKB X7, CX
	PMOVMSKB X8, DX
	SHLQ $16, BX
	SHLQ $32, CX
	SHLQ $48, DX
	ORQ BX, AX
	ORQ CX, AX
	ORQ DX, AX

	// AX = quotes; BX = first; CX = fromEven; DX = drops.
	MOVQ AX, BX
	ANDQ R12, BX
	MOVQ BX, CX
	NOTQ CX
	ANDQ CX, AX
	MOVQ AX, CX
	SHLQ $1, CX
	NOTQ CX
	ANDQ AX, CX
	ANDQ R13, CX
	ADDQ AX, CX
	NOTQ CX
	ANDQ AX, CX
	MOVQ R13, DX
	NOTQ DX
	ANDQ CX, DX
	NOTQ CX
	ANDQ AX, CX
	ANDQ R13, CX
	ORQ CX, DX
	ORQ BX, DX
	MOVQ DX, R12
	NOTQ R12
	ANDQ AX, R12
	SHRQ $63, R12
	TESTQ DX, DX
	JNE compact

	// No quote to drop: the block as it is.
	MOVOU X1, 0(DI)(R10*1)
	MOVOU X2, 16(DI)(R10*1)
	MOVOU X3, 32(DI)(R10*1)
	MOVOU X4, 48(DI)(R10*1)
	ADDQ $64, R10
	ADDQ $64, R9
	JMP block

compact:
	// Each eight bytes: the control for their drop mask (DL) moves the
	// bytes kept to the front, and w advances by how many there are.
#define EIGHT(off) \
	MOVBQZX DL, AX; \
	SHLQ $4, AX; \
	MOVQ off(SI)(R9*1), X1; \
	MOVQ (R11)(AX*1), X2; \
	PSHUFB X2, X1; \
	MOVQ X1, (DI)(R10*1); \
	ADDQ 8(R11)(AX*1), R10; \
	SHRQ $8, DX

	EIGHT(0)
	EIGHT(8)
	EIGHT(16)
	EIGHT(24)
	EIGHT(32)
	EIGHT(40)
	EIGHT(48)
	EIGHT(56)
#undef EIGHT
	ADDQ $64, R9
	JMP block

done:
	MOVQ R10, ret+40(FP)
	MOVQ R12, ret1+48(FP)
	RET
