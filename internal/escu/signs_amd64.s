#include "textflag.h"

// SPLAT puts the byte c in every byte of X.
#define SPLAT(c, X) \
	MOVQ $c, AX; \
	MOVQ AX, X; \
	PUNPCKLQDQ X, X

// WINDOW leaves in AX the signs of the 16 bytes at SI+R8 (reading from
// one byte before to three after): a backslash followed by 'u', or by a
// quote that is not doubled, or by a doubled quote and a colon after a
// 'd' or 'D' (privileged\"":).
#define WINDOW \
	MOVOU 0(SI)(R8*1), X1; \
	PCMPEQB X8, X1; \
	MOVOU 1(SI)(R8*1), X2; \
	MOVO X2, X3; \
	PCMPEQB X9, X2; \
	PCMPEQB X10, X3; \
	MOVOU 2(SI)(R8*1), X4; \
	PCMPEQB X10, X4; \
	MOVOU -1(SI)(R8*1), X5; \
	POR X11, X5; \
	PCMPEQB X12, X5; \
	MOVOU 3(SI)(R8*1), X6; \
	PCMPEQB X13, X6; \
	PAND X6, X5; \
	PANDN X4, X5; \
	PANDN X3, X5; \
	POR X2, X5; \
	PAND X1, X5; \
	PMOVMSKB X5, AX

// func signBlocks(q []byte, i int) (p int, found bool)
//
// 64 bytes a step while they hold no backslash (four compares, one
// mask; two with AVX2), then WINDOW on each 16 bytes of a block that
// does.
TEXT ·signBlocks(SB), NOSPLIT, $0-41
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), DI
	MOVQ i+24(FP), R8
	MOVBLZX ·useAVX2(SB), R13
	SUBQ $3, DI // a window at n reads up to n+18
	SPLAT(0x5c5c5c5c5c5c5c5c, X8)  // '\\'
	SPLAT(0x7575757575757575, X9)  // 'u'
	SPLAT(0x2222222222222222, X10) // '"'
	SPLAT(0x2020202020202020, X11) // the ASCII case bit
	SPLAT(0x6464646464646464, X12) // 'd'
	SPLAT(0x3a3a3a3a3a3a3a3a, X13) // ':'

blocks:
	TESTQ R13, R13
	JNZ  avx2
	LEAQ 64(R8), AX
	CMPQ AX, DI
	JGT  windows
	MOVOU 0(SI)(R8*1), X1
	MOVOU 16(SI)(R8*1), X2
	MOVOU 32(SI)(R8*1), X3
	MOVOU 48(SI)(R8*1), X4
	PCMPEQB X8, X1
	PCMPEQB X8, X2
	PCMPEQB X8, X3
	PCMPEQB X8, X4
	POR X2, X1
	POR X4, X3
	POR X3, X1
	PMOVMSKB X1, AX
	TESTL AX, AX
	JNZ  backslashes
	ADDQ $64, R8
	JMP  blocks

avx2:
	VPBROADCASTB X8, Y8

avx2blocks:
	LEAQ 64(R8), AX
	CMPQ AX, DI
	JGT  avx2done
	VMOVDQU 0(SI)(R8*1), Y1
	VMOVDQU 32(SI)(R8*1), Y2
	VPCMPEQB Y8, Y1, Y1
	VPCMPEQB Y8, Y2, Y2
	VPOR Y1, Y2, Y1
	VPMOVMSKB Y1, AX
	TESTL AX, AX
	JNZ  avx2found
	ADDQ $64, R8
	JMP  avx2blocks

avx2found:
	VZEROUPPER
	JMP  backslashes

avx2done:
	VZEROUPPER
	JMP  windows

backslashes:
	MOVQ $4, R11

block:
	WINDOW
	TESTL AX, AX
	JNZ  found
	ADDQ $16, R8
	DECQ R11
	JNZ  block
	JMP  blocks

windows:
	LEAQ 16(R8), AX
	CMPQ AX, DI
	JGT  stop
	WINDOW
	TESTL AX, AX
	JNZ  found
	ADDQ $16, R8
	JMP  windows

found:
	BSFL AX, AX
	ADDQ AX, R8
	MOVQ R8, p+32(FP)
	MOVB $1, found+40(FP)
	RET

stop:
	MOVQ R8, p+32(FP)
	MOVB $0, found+40(FP)
	RET
