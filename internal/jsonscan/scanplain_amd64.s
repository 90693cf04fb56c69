#include "textflag.h"

// The block marks of scanplain.go, with SSE2 (part of the amd64
// baseline, so no CPU check) or AVX2 where useAVX2 is set: each 16- or
// 32-byte lane is compared with the stop bytes and PMOVMSKB gathers one
// bit per byte. The marks are exact, a subset of the SWAR marks and with
// the same lowest bit.

// The SSE2 constants, 16 bytes each, read from memory so that a call
// does not build them.
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

// func marksAny(p *[64]byte) uint64
// Quote, backslash and control bytes only.
TEXT ·marksAny(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	CMPB ·useAVX2(SB), $0
	JNE anyAVX2
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

anyAVX2:
	VMOVDQU avx2Consts<>+0x20(SB), Y9  // '"'
	VMOVDQU avx2Consts<>+0x80(SB), Y12 // '\\'
	VMOVDQU avx2Consts<>+0xC0(SB), Y13 // 0x1F
	VPXOR Y14, Y14, Y14

#define LANE32(off, dst) \
	VMOVDQU off(SI), Y0; \
	VPCMPEQB Y9, Y0, Y1; \
	VPCMPEQB Y12, Y0, Y2; \
	VPOR Y2, Y1, Y1; \
	VPSUBUSB Y13, Y0, Y2; \
	VPCMPEQB Y14, Y2, Y2; \
	VPOR Y2, Y1, Y1; \
	VPMOVMSKB Y1, dst

	LANE32(0, AX)
	LANE32(32, BX)
#undef LANE32
	VZEROUPPER
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, ret+8(FP)
	RET

// func marksPlainBlocks(p *byte, n int, out *uint64)
// out[b] = marksPlain(p[64b:64b+64]) for b < n, the constants loaded once
// and no call per block.
TEXT ·marksPlainBlocks(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	TESTQ CX, CX
	JEQ blocksDone
	CMPB ·useAVX2(SB), $0
	JNE blocksAVX2
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

blocksSSE2:
	LANE(0, AX)
	LANE(16, BX)
	LANE(32, R8)
	LANE(48, DX)
	SHLQ $16, BX
	SHLQ $32, R8
	SHLQ $48, DX
	ORQ BX, AX
	ORQ R8, AX
	ORQ DX, AX
	MOVQ AX, (DI)
	ADDQ $64, SI
	ADDQ $8, DI
	DECQ CX
	JNE blocksSSE2
#undef LANE
	RET

blocksAVX2:
	VMOVDQU avx2Consts<>+0x00(SB), Y8
	VMOVDQU avx2Consts<>+0x20(SB), Y9
	VMOVDQU avx2Consts<>+0x40(SB), Y10
	VMOVDQU avx2Consts<>+0x60(SB), Y11
	VMOVDQU avx2Consts<>+0x80(SB), Y12
	VMOVDQU avx2Consts<>+0xA0(SB), Y13

#define LANE32(off, dst) \
	VMOVDQU off(SI), Y0; \
	VPAND Y8, Y0, Y1; \
	VPCMPEQB Y9, Y1, Y1; \
	VPAND Y10, Y0, Y2; \
	VPCMPEQB Y11, Y2, Y2; \
	VPOR Y2, Y1, Y1; \
	VPCMPEQB Y12, Y0, Y2; \
	VPOR Y2, Y1, Y1; \
	VPCMPGTB Y0, Y13, Y2; \
	VPOR Y2, Y1, Y1; \
	VPMOVMSKB Y1, dst

blocksLoopAVX2:
	LANE32(0, AX)
	LANE32(32, BX)
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, (DI)
	ADDQ $64, SI
	ADDQ $8, DI
	DECQ CX
	JNE blocksLoopAVX2
#undef LANE32
	VZEROUPPER
blocksDone:
	RET

// func quoteBackslash(p *[64]byte) (q, b uint64)
// The quotes and the backslashes of a 64-byte block, each its own mask.
TEXT ·quoteBackslash(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	CMPB ·useAVX2(SB), $0
	JNE qbAVX2
	MOVOU plainConsts<>+0x10(SB), X9  // '"'
	MOVOU plainConsts<>+0x40(SB), X12 // '\\'

#define LANE(off, q, b) \
	MOVOU off(SI), X0; \
	MOVO X0, X1; \
	PCMPEQB X9, X1; \
	PMOVMSKB X1, q; \
	PCMPEQB X12, X0; \
	PMOVMSKB X0, b

	LANE(0, AX, BX)
	LANE(16, CX, DX)
	LANE(32, R8, R9)
	LANE(48, R10, R11)
#undef LANE
	SHLQ $16, CX
	SHLQ $32, R8
	SHLQ $48, R10
	ORQ CX, AX
	ORQ R8, AX
	ORQ R10, AX
	SHLQ $16, DX
	SHLQ $32, R9
	SHLQ $48, R11
	ORQ DX, BX
	ORQ R9, BX
	ORQ R11, BX
	MOVQ AX, q+8(FP)
	MOVQ BX, b+16(FP)
	RET

qbAVX2:
	VMOVDQU avx2Consts<>+0x20(SB), Y9  // '"'
	VMOVDQU avx2Consts<>+0x80(SB), Y12 // '\\'
	VMOVDQU 0(SI), Y0
	VPCMPEQB Y9, Y0, Y1
	VPMOVMSKB Y1, AX
	VPCMPEQB Y12, Y0, Y2
	VPMOVMSKB Y2, BX
	VMOVDQU 32(SI), Y0
	VPCMPEQB Y9, Y0, Y1
	VPMOVMSKB Y1, CX
	VPCMPEQB Y12, Y0, Y2
	VPMOVMSKB Y2, DX
	VZEROUPPER
	SHLQ $32, CX
	ORQ CX, AX
	SHLQ $32, DX
	ORQ DX, BX
	MOVQ AX, q+8(FP)
	MOVQ BX, b+16(FP)
	RET

// The constants of the AVX2 marks, 32 bytes each.
#define C32(off, v) \
	DATA avx2Consts<>+(off+0x00)(SB)/8, v; \
	DATA avx2Consts<>+(off+0x08)(SB)/8, v; \
	DATA avx2Consts<>+(off+0x10)(SB)/8, v; \
	DATA avx2Consts<>+(off+0x18)(SB)/8, v

C32(0x00, $0xFBFBFBFBFBFBFBFB)
C32(0x20, $0x2222222222222222)
C32(0x40, $0xFDFDFDFDFDFDFDFD)
C32(0x60, $0x3C3C3C3C3C3C3C3C)
C32(0x80, $0x5C5C5C5C5C5C5C5C)
C32(0xA0, $0x2020202020202020)
C32(0xC0, $0x1F1F1F1F1F1F1F1F)
#undef C32
GLOBL avx2Consts<>(SB), RODATA|NOPTR, $0xE0
