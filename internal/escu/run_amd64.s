#include "textflag.h"

// Sixteen copies of each byte the loops compare with.
DATA runConsts<>+0(SB)/8, $0x2222222222222222  // '"'
DATA runConsts<>+8(SB)/8, $0x2222222222222222
DATA runConsts<>+16(SB)/8, $0x2727272727272727 // '\''
DATA runConsts<>+24(SB)/8, $0x2727272727272727
DATA runConsts<>+32(SB)/8, $0x0505050505050505 // '"' ^ '\''
DATA runConsts<>+40(SB)/8, $0x0505050505050505
DATA runConsts<>+48(SB)/8, $0x5c5c5c5c5c5c5c5c // '\\'
DATA runConsts<>+56(SB)/8, $0x5c5c5c5c5c5c5c5c
DATA runConsts<>+64(SB)/8, $0x2020202020202020 // the first printable byte
DATA runConsts<>+72(SB)/8, $0x2020202020202020
DATA runConsts<>+80(SB)/8, $0x5e5e5e5e5e5e5e5e // '~' - ' '
DATA runConsts<>+88(SB)/8, $0x5e5e5e5e5e5e5e5e
DATA runConsts<>+96(SB)/8, $0x0909090909090909 // '\t'
DATA runConsts<>+104(SB)/8, $0x0909090909090909
GLOBL runConsts<>(SB), RODATA|NOPTR, $112

// func escapeRun(dst, src []byte) int
//
// A block's stop bytes: ' and \, and those outside ' '..'~', found as
// the bytes whose c - ' ' (mod 256) is above '~' - ' ' (PMINUB is the
// unsigned compare SSE2 has). The block is stored swapped even when it
// holds one: the caller keeps only the count.
TEXT ·escapeRun(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	MOVOU runConsts<>+0(SB), X8
	MOVOU runConsts<>+16(SB), X9
	MOVOU runConsts<>+32(SB), X10
	MOVOU runConsts<>+48(SB), X11
	MOVOU runConsts<>+64(SB), X12
	MOVOU runConsts<>+80(SB), X13
	XORQ AX, AX

escloop:
	LEAQ 16(AX), DX
	CMPQ DX, CX
	JHI escdone
	MOVOU (SI)(AX*1), X0
	MOVO X0, X1
	PCMPEQB X9, X1
	MOVO X0, X2
	PCMPEQB X11, X2
	POR X2, X1
	MOVO X0, X2
	PSUBB X12, X2
	MOVO X2, X3
	PMINUB X13, X3
	PCMPEQB X2, X3
	PMOVMSKB X1, BX
	PMOVMSKB X3, R8
	XORL $0xffff, R8
	ORL R8, BX
	MOVO X0, X2
	PCMPEQB X8, X2
	PAND X10, X2
	PXOR X2, X0
	MOVOU X0, (DI)(AX*1)
	TESTL BX, BX
	JNZ escstop
	MOVQ DX, AX
	JMP escloop

escstop:
	BSFL BX, BX
	ADDQ BX, AX

escdone:
	MOVQ AX, ret+48(FP)
	RET

// func plainRun(dst, src []byte) int
TEXT ·plainRun(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	MOVOU runConsts<>+16(SB), X9
	MOVOU runConsts<>+32(SB), X10
	MOVOU runConsts<>+48(SB), X11
	MOVOU runConsts<>+96(SB), X12
	XORQ AX, AX

plainloop:
	LEAQ 16(AX), DX
	CMPQ DX, CX
	JHI plaindone
	MOVOU (SI)(AX*1), X0
	MOVO X0, X1
	PCMPEQB X12, X1
	MOVO X0, X2
	PCMPEQB X11, X2
	POR X2, X1
	PMOVMSKB X1, BX
	MOVO X0, X2
	PCMPEQB X9, X2
	PAND X10, X2
	PXOR X2, X0
	MOVOU X0, (DI)(AX*1)
	TESTL BX, BX
	JNZ plainstop
	MOVQ DX, AX
	JMP plainloop

plainstop:
	BSFL BX, BX
	ADDQ BX, AX

plaindone:
	MOVQ AX, ret+48(FP)
	RET
