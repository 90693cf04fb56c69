#include "textflag.h"

// Marks of one 64-byte block for blockMask.load, with SSE2 (part of the
// amd64 baseline, so no CPU check): each 16-byte lane is compared with
// the stop bytes and PMOVMSKB gathers one bit per byte. The marks are
// exact, a subset of the SWAR marks and with the same lowest bit.

// func marksPlain(p *[64]byte) uint64
// Quote, backslash, control bytes, '<', '>', '&' and bytes above 0x7F.
TEXT ·marksPlain(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ $0xFBFBFBFBFBFBFBFB, AX
	MOVQ AX, X8
	PUNPCKLQDQ X8, X8 // 0xFB: '"' and '&' differ in bit 2 only
	MOVQ $0x2222222222222222, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9 // '"'
	MOVQ $0xFDFDFDFDFDFDFDFD, AX
	MOVQ AX, X10
	PUNPCKLQDQ X10, X10 // 0xFD: '<' and '>' differ in bit 1 only
	MOVQ $0x3C3C3C3C3C3C3C3C, AX
	MOVQ AX, X11
	PUNPCKLQDQ X11, X11 // '<'
	MOVQ $0x5C5C5C5C5C5C5C5C, AX
	MOVQ AX, X12
	PUNPCKLQDQ X12, X12 // '\\'
	MOVQ $0x2020202020202020, AX
	MOVQ AX, X13
	PUNPCKLQDQ X13, X13 // 0x20: signed 0x20 > b holds for controls and bytes above 0x7F

#define LANE(off, dst) \
	MOVOU off(SI), X0; \
	MOVO X0, X1; \
	PAND X8, X1; \
	PCMPEQB X9, X1; \
	MOVO X0, X2; \
	PAND X10, X2; \
	PCMPEQB X11, X2; \
	POR X2, X1; \
	MOVO X0, X2; \
	PCMPEQB X12, X2; \
	POR X2, X1; \
	MOVO X13, X2; \
	PCMPGTB X0, X2; \
	POR X2, X1; \
	PMOVMSKB X1, dst

	LANE(0, AX)
	LANE(16, BX)
	LANE(32, CX)
	LANE(48, DX)
#undef LANE
	SHLQ $16, BX
	SHLQ $32, CX
	SHLQ $48, DX
	ORQ BX, AX
	ORQ CX, AX
	ORQ DX, AX
	MOVQ AX, ret+8(FP)
	RET

// func marksAny(p *[64]byte) uint64
// Quote, backslash and control bytes only.
TEXT ·marksAny(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ $0x2222222222222222, AX
	MOVQ AX, X9
	PUNPCKLQDQ X9, X9 // '"'
	MOVQ $0x5C5C5C5C5C5C5C5C, AX
	MOVQ AX, X12
	PUNPCKLQDQ X12, X12 // '\\'
	MOVQ $0x1F1F1F1F1F1F1F1F, AX
	MOVQ AX, X13
	PUNPCKLQDQ X13, X13 // b -sat 0x1F is 0 exactly for b <= 0x1F
	PXOR X14, X14

#define LANE(off, dst) \
	MOVOU off(SI), X0; \
	MOVO X0, X1; \
	PCMPEQB X9, X1; \
	MOVO X0, X2; \
	PCMPEQB X12, X2; \
	POR X2, X1; \
	PSUBUSB X13, X0; \
	PCMPEQB X14, X0; \
	POR X0, X1; \
	PMOVMSKB X1, dst

	LANE(0, AX)
	LANE(16, BX)
	LANE(32, CX)
	LANE(48, DX)
#undef LANE
	SHLQ $16, BX
	SHLQ $32, CX
	SHLQ $48, DX
	ORQ BX, AX
	ORQ CX, AX
	ORQ DX, AX
	MOVQ AX, ret+8(FP)
	RET
