#include "textflag.h"

// func plainEndBlocks(b []byte) int
TEXT ·plainEndBlocks(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), DI
	XORQ R8, R8
	MOVQ $0x2c2c2c2c2c2c2c2c, AX // ','
	MOVQ AX, X0
	PUNPCKLQDQ X0, X0
	MOVQ $0x0a0a0a0a0a0a0a0a, AX // '\n'
	MOVQ AX, X1
	PUNPCKLQDQ X1, X1
	MOVQ $0x2222222222222222, AX // '"'
	MOVQ AX, X2
	PUNPCKLQDQ X2, X2

loop:
	LEAQ 16(R8), AX
	CMPQ AX, DI
	JA   stop
	MOVOU 0(SI)(R8*1), X3
	MOVO X3, X4
	MOVO X3, X5
	PCMPEQB X0, X3
	PCMPEQB X1, X4
	PCMPEQB X2, X5
	POR  X4, X3
	POR  X5, X3
	PMOVMSKB X3, AX
	TESTL AX, AX
	JNZ  found
	ADDQ $16, R8
	JMP  loop

found:
	BSFL AX, AX
	ADDQ AX, R8

stop:
	MOVQ R8, ret+24(FP)
	RET
