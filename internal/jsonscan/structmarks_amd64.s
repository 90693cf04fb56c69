#include "textflag.h"

// SMLANE ors into AX, BX, CX and DX, shifted by sh, the quotes, the
// backslashes, the opening and the closing brackets of the 16 bytes at
// off(SI). '[' and '{', ']' and '}' differ only in bit 5 (X11 holds it).
#define SMLANE(off, sh) \
	MOVOU off(SI), X0; \
	MOVO X0, X1; \
	PCMPEQB X9, X1; \
	PMOVMSKB X1, R8; \
	SHLQ $sh, R8; \
	ORQ R8, AX; \
	MOVO X0, X1; \
	PCMPEQB X10, X1; \
	PMOVMSKB X1, R8; \
	SHLQ $sh, R8; \
	ORQ R8, BX; \
	POR X11, X0; \
	MOVO X0, X1; \
	PCMPEQB X12, X1; \
	PMOVMSKB X1, R8; \
	SHLQ $sh, R8; \
	ORQ R8, CX; \
	PCMPEQB X13, X0; \
	PMOVMSKB X0, R8; \
	SHLQ $sh, R8; \
	ORQ R8, DX

#define SPLAT(c, X) \
	MOVQ $c, R8; \
	MOVQ R8, X; \
	PUNPCKLQDQ X, X

// func structMarks(p *[64]byte) (q, b, open, close uint64)
TEXT ·structMarks(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	SPLAT(0x2222222222222222, X9)  // '"'
	SPLAT(0x5c5c5c5c5c5c5c5c, X10) // '\\'
	SPLAT(0x2020202020202020, X11) // bit 5
	SPLAT(0x7b7b7b7b7b7b7b7b, X12) // '{'
	SPLAT(0x7d7d7d7d7d7d7d7d, X13) // '}'
	XORQ AX, AX
	XORQ BX, BX
	XORQ CX, CX
	XORQ DX, DX
	SMLANE(0, 0)
	SMLANE(16, 16)
	SMLANE(32, 32)
	SMLANE(48, 48)
	MOVQ AX, q+8(FP)
	MOVQ BX, b+16(FP)
	MOVQ CX, open+24(FP)
	MOVQ DX, close+32(FP)
	RET
