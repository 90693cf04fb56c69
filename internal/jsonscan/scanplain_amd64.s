#include "textflag.h"

// Marks of one 64-byte block for blockMask.load, with SSE2 (part of the
// amd64 baseline, so no CPU check): each 16-byte lane is compared with
// the stop bytes and PMOVMSKB gathers one bit per byte. The marks are
// exact, a subset of the SWAR marks and with the same lowest bit.

// The constants of marksPlain, 16 bytes each, read from memory so that
// a call does not build them.
DATA plainConsts<>+0x00(SB)/8, $0xFBFBFBFBFBFBFBFB // '"' and '&' differ in bit 2 only
DATA plainConsts<>+0x08(SB)/8, $0xFBFBFBFBFBFBFBFB
DATA plainConsts<>+0x10(SB)/8, $0x2222222222222222 // '"'
DATA plainConsts<>+0x18(SB)/8, $0x2222222222222222
DATA plainConsts<>+0x20(SB)/8, $0xFDFDFDFDFDFDFDFD // '<' and '>' differ in bit 1 only
DATA plainConsts<>+0x28(SB)/8, $0xFDFDFDFDFDFDFDFD
DATA plainConsts<>+0x30(SB)/8, $0x3C3C3C3C3C3C3C3C // '<'
DATA plainConsts<>+0x38(SB)/8, $0x3C3C3C3C3C3C3C3C
DATA plainConsts<>+0x40(SB)/8, $0x5C5C5C5C5C5C5C5C // '\\'
DATA plainConsts<>+0x48(SB)/8, $0x5C5C5C5C5C5C5C5C
DATA plainConsts<>+0x50(SB)/8, $0x2020202020202020 // signed 0x20 > b holds for controls and bytes above 0x7F
DATA plainConsts<>+0x58(SB)/8, $0x2020202020202020
GLOBL plainConsts<>(SB), RODATA|NOPTR, $0x60

// func marksPlain(p *[64]byte) uint64
// Quote, backslash, control bytes, '<', '>', '&' and bytes above 0x7F.
TEXT ·marksPlain(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVOU plainConsts<>+0x00(SB), X8
	MOVOU plainConsts<>+0x10(SB), X9
	MOVOU plainConsts<>+0x20(SB), X10
	MOVOU plainConsts<>+0x30(SB), X11
	MOVOU plainConsts<>+0x40(SB), X12
	MOVOU plainConsts<>+0x50(SB), X13

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
