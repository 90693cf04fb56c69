#include "textflag.h"

// nextNeedle's search with SSE2 (part of the amd64 baseline, so no CPU
// check): each 16 bytes are compared with the five anchor bytes, and each
// anchor found is checked against its name in place, with 8-, 4- and
// 2-byte loads. Only a runAs or a \u, which need a closer look, and a
// name found end the search.

DATA needleConsts<>+0x00(SB)/8, $0x7676767676767676 // 'v' of privileged
DATA needleConsts<>+0x08(SB)/8, $0x7676767676767676
DATA needleConsts<>+0x10(SB)/8, $0x6262626262626262 // 'b' of capabilities
DATA needleConsts<>+0x18(SB)/8, $0x6262626262626262
DATA needleConsts<>+0x20(SB)/8, $0x6868686868686868 // 'h' of host and patch
DATA needleConsts<>+0x28(SB)/8, $0x6868686868686868
DATA needleConsts<>+0x30(SB)/8, $0x4141414141414141 // 'A' of runAs
DATA needleConsts<>+0x38(SB)/8, $0x4141414141414141
DATA needleConsts<>+0x40(SB)/8, $0x5C5C5C5C5C5C5C5C // '\\' of \u
DATA needleConsts<>+0x48(SB)/8, $0x5C5C5C5C5C5C5C5C
DATA needleConsts<>+0x50(SB)/8, $0x6969696969696969 // 'i' after privileged's 'v' and capabilities' 'b'
DATA needleConsts<>+0x58(SB)/8, $0x6969696969696969
DATA needleConsts<>+0x60(SB)/8, $0x7575757575757575 // 'u' after the '\\' of \u
DATA needleConsts<>+0x68(SB)/8, $0x7575757575757575
GLOBL needleConsts<>(SB), RODATA|NOPTR, $0x70

// CHECKS checks each anchor in DX (those of the R11 bytes at DI) against
// the name it starts or ends, the same in both searches, in the order of
// how often the anchors come (backslashes first): a \u (kind 3), runAs
// (kind 2) or another name (kind 1, at its first byte) found goes to the
// function's done label with its place and kind set; when none of the
// anchors starts a name, the search goes on at resume with DI past the
// bytes DX marked.
#define CHECKS(resume) \
cands: \
	BSFL DX, CX; \
	LEAQ (DI)(CX*1), R8; \
	MOVBLZX (SI)(R8*1), AX; \
	CMPB AL, $0x5C; \
	JEQ isesc; \
	CMPB AL, $0x62; \
	JEQ isb; \
	CMPB AL, $0x76; \
	JEQ isv; \
	CMPB AL, $0x68; \
	JEQ ish; \
	JMP isA; \
isesc: \
	LEAQ 2(R8), R9; \
	CMPQ R9, BX; \
	JA next; \
	CMPB 1(SI)(R8*1), $0x75; \
	JNE next; \
	MOVQ R8, at+24(FP); \
	MOVQ $3, kind+32(FP); \
	JMP done; \
isv: \
	CMPQ R8, $3; \
	JLT next; \
	LEAQ 7(R8), R9; \
	CMPQ R9, BX; \
	JA next; \
	MOVQ $0x67656c6976697270, R10; \
	CMPQ -3(SI)(R8*1), R10; \
	JNE next; \
	CMPW 5(SI)(R8*1), $0x6465; \
	JNE next; \
	SUBQ $3, R8; \
	JMP hit; \
isb: \
	CMPQ R8, $4; \
	JLT next; \
	LEAQ 8(R8), R9; \
	CMPQ R9, BX; \
	JA next; \
	MOVQ $0x696c696261706163, R10; \
	CMPQ -4(SI)(R8*1), R10; \
	JNE next; \
	CMPL 4(SI)(R8*1), $0x73656974; \
	JNE next; \
	SUBQ $4, R8; \
	JMP hit; \
ish: \
	LEAQ 4(R8), R9; \
	CMPQ R9, BX; \
	JA patch; \
	CMPL (SI)(R8*1), $0x74736f68; \
	JEQ hit; \
patch: \
	CMPQ R8, $4; \
	JLT next; \
	CMPL -4(SI)(R8*1), $0x63746170; \
	JNE next; \
	SUBQ $4, R8; \
	JMP hit; \
isA: \
	CMPQ R8, $3; \
	JLT next; \
	LEAQ 2(R8), R9; \
	CMPQ R9, BX; \
	JA next; \
	CMPL -3(SI)(R8*1), $0x416e7572; \
	JNE next; \
	CMPB 1(SI)(R8*1), $0x73; \
	JNE next; \
	SUBQ $3, R8; \
	MOVQ R8, at+24(FP); \
	MOVQ $2, kind+32(FP); \
	JMP done; \
next: \
	LEAL -1(DX), R9; \
	ANDL R9, DX; \
	JNE cands; \
	ADDQ R11, DI; \
	JMP resume; \
hit: \
	MOVQ R8, at+24(FP); \
	MOVQ $1, kind+32(FP); \
	JMP done

// func nextNeedleSSE(s string, i int) (at, kind int)
// len(s) >= 16.
TEXT ·nextNeedleSSE(SB), NOSPLIT, $0-40
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	MOVQ i+16(FP), DI
	MOVOU needleConsts<>+0x00(SB), X8
	MOVOU needleConsts<>+0x10(SB), X9
	MOVOU needleConsts<>+0x20(SB), X10
	MOVOU needleConsts<>+0x30(SB), X11
	MOVOU needleConsts<>+0x40(SB), X12
	JMP loop32

#define ANCHORS(mask) \
	MOVO X0, X1; \
	PCMPEQB X8, X1; \
	MOVO X0, X2; \
	PCMPEQB X9, X2; \
	POR X2, X1; \
	MOVO X0, X2; \
	PCMPEQB X10, X2; \
	POR X2, X1; \
	MOVO X0, X2; \
	PCMPEQB X11, X2; \
	POR X2, X1; \
	PCMPEQB X12, X0; \
	POR X0, X1; \
	PMOVMSKB X1, mask

loop32: // DI: the next 32 bytes to search, as two 16-byte halves
	LEAQ 32(DI), AX
	CMPQ AX, BX
	JA loop
	MOVOU (SI)(DI*1), X0
	ANCHORS(DX)
	MOVOU 16(SI)(DI*1), X0
	ANCHORS(CX)
	SHLL $16, CX
	ORL CX, DX
	MOVQ $32, R11 // the bytes DX marks
	JNE cands
	MOVQ AX, DI
	JMP loop32

loop: // DI: the next 16 bytes to search
	LEAQ 16(DI), AX
	CMPQ AX, BX
	JA tail
	MOVOU (SI)(DI*1), X0
	ANCHORS(DX)
	MOVQ $16, R11
	TESTL DX, DX
	JNE cands
	MOVQ AX, DI
	JMP loop

tail: // the last 16 bytes of s, less those before DI
	CMPQ DI, BX
	JAE none
	MOVQ BX, AX
	SUBQ $16, AX
	MOVOU (SI)(AX*1), X0
	ANCHORS(DX)
	MOVQ DI, CX
	SUBQ AX, CX
	SHRL CX, DX
	SHLL CX, DX
	MOVQ AX, DI
	MOVQ $16, R11
	TESTL DX, DX
	JEQ none

	CHECKS(loop32)

none:
	MOVQ $-1, at+24(FP)
	MOVQ $0, kind+32(FP)

done:
	RET

// func nextNeedleAVX2(s string, i int) (at, kind int)
// nextNeedleSSE's search 32 bytes at a time, while 33 are left from i;
// where fewer are left it returns kind needleMore and, as at, where
// nextNeedleSSE is to go on. The byte after each is also compared, for
// the anchors most often found in pod specs that start none of the
// names: a 'v' or 'b' needs an 'i' after it, a backslash a 'u'. The
// anchors it passes to the checks are nextNeedleSSE's, less those that
// the checks would turn down, so its answers are the same.
TEXT ·nextNeedleAVX2(SB), NOSPLIT, $0-40
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), BX
	MOVQ i+16(FP), DI
	VBROADCASTI128 needleConsts<>+0x00(SB), Y8
	VBROADCASTI128 needleConsts<>+0x10(SB), Y9
	VBROADCASTI128 needleConsts<>+0x20(SB), Y10
	VBROADCASTI128 needleConsts<>+0x30(SB), Y11
	VBROADCASTI128 needleConsts<>+0x40(SB), Y12
	VBROADCASTI128 needleConsts<>+0x50(SB), Y13
	VBROADCASTI128 needleConsts<>+0x60(SB), Y14

yloop: // DI: the next 32 bytes to search, Y3 the 32 bytes after each
	LEAQ 33(DI), AX
	CMPQ AX, BX
	JA ymore
	VMOVDQU (SI)(DI*1), Y0
	VMOVDQU 1(SI)(DI*1), Y3
	VPCMPEQB Y8, Y0, Y1 // 'v' or 'b', then 'i'
	VPCMPEQB Y9, Y0, Y2
	VPOR Y2, Y1, Y1
	VPCMPEQB Y13, Y3, Y2
	VPAND Y2, Y1, Y1
	VPCMPEQB Y10, Y0, Y2 // 'h'
	VPOR Y2, Y1, Y1
	VPCMPEQB Y11, Y0, Y2 // 'A'
	VPOR Y2, Y1, Y1
	VPCMPEQB Y12, Y0, Y2 // '\\', then 'u'
	VPCMPEQB Y14, Y3, Y3
	VPAND Y3, Y2, Y2
	VPOR Y2, Y1, Y1
	VPMOVMSKB Y1, DX
	MOVQ $32, R11
	TESTL DX, DX
	JNE cands
	LEAQ 32(DI), DI
	JMP yloop

ymore: // fewer than 32 bytes left: nextNeedleSSE's
	MOVQ DI, at+24(FP)
	MOVQ $4, kind+32(FP)
	VZEROUPPER
	RET

	CHECKS(yloop)

done:
	VZEROUPPER
	RET
