#include "textflag.h"

// csvStep's common case with SSE2 (part of the amd64 baseline, so no CPU
// check): 16 bytes are compared at a time while searching for the next
// quote (in a string), the next quote or backslash (in a key), or the
// next quote or bracket (in an object or array). Anything off the common
// shape returns next = -1, for the byte walk to read instead.

DATA stepConsts<>+0x00(SB)/8, $0x2222222222222222 // '"'
DATA stepConsts<>+0x08(SB)/8, $0x2222222222222222
DATA stepConsts<>+0x10(SB)/8, $0x5C5C5C5C5C5C5C5C // '\\'
DATA stepConsts<>+0x18(SB)/8, $0x5C5C5C5C5C5C5C5C
DATA stepConsts<>+0x20(SB)/8, $0x2020202020202020 // folds '[' onto '{', ']' onto '}'
DATA stepConsts<>+0x28(SB)/8, $0x2020202020202020
DATA stepConsts<>+0x30(SB)/8, $0x7B7B7B7B7B7B7B7B // '{'
DATA stepConsts<>+0x38(SB)/8, $0x7B7B7B7B7B7B7B7B
DATA stepConsts<>+0x40(SB)/8, $0x7D7D7D7D7D7D7D7D // '}'
DATA stepConsts<>+0x48(SB)/8, $0x7D7D7D7D7D7D7D7D
GLOBL stepConsts<>(SB), RODATA|NOPTR, $0x50

// func csvStep(q []byte, i, mode int, k1, k2, k3 uint64) (keyStart, keyEnd, next int)
// SOUGHT jumps to found when the key from R11 to DI is one of the
// sought ones (R12, k2, k3): its length and first four bytes as keyCode
// makes them.
#define SOUGHT \
	MOVL (SI)(R11*1), CX; \
	MOVQ DI, DX; \
	SUBQ R11, DX; \
	SHLQ $32, DX; \
	ORQ CX, DX; \
	CMPQ DX, R12; \
	JEQ found; \
	CMPQ DX, k2+48(FP); \
	JEQ found; \
	CMPQ DX, k3+56(FP); \
	JEQ found

TEXT ·csvStep(SB), NOSPLIT, $0-88
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), BX
	MOVQ i+24(FP), DI
	MOVQ mode+32(FP), R8
	MOVQ k1+40(FP), R12
	MOVOU stepConsts<>+0x00(SB), X8
	MOVOU stepConsts<>+0x10(SB), X9
	MOVOU stepConsts<>+0x20(SB), X10
	MOVOU stepConsts<>+0x30(SB), X11
	MOVOU stepConsts<>+0x40(SB), X12
	XORQ R9, R9 // 1 while inside an object or array
	XORQ R10, R10 // its depth
	CMPQ R8, $3
	JEQ after
	TESTQ R8, R8
	JNE value
	// A key's opening "" pair at i.
	LEAQ 2(DI), AX
	CMPQ AX, BX
	JA slow
	CMPB (SI)(DI*1), $0x22
	JNE slow
	CMPB 1(SI)(DI*1), $0x22
	JNE slow
	MOVQ AX, DI
	JMP key

value:
	CMPQ DI, BX
	JAE slow
	MOVBLZX (SI)(DI*1), AX
	CMPB AL, $0x22
	JEQ vstring
	ORB $0x20, AL
	CMPB AL, $0x7B
	JEQ container
	JMP slow // scalars are left to the byte walk

vstring:
	LEAQ 1(DI), AX
	CMPQ AX, BX
	JAE slow
	CMPB 1(SI)(DI*1), $0x22
	JNE slow
	ADDQ $2, DI

strloop: // the next quote at or after DI closes the string
	LEAQ 16(DI), AX
	CMPQ AX, BX
	JA strtail
	MOVOU (SI)(DI*1), X0
	PCMPEQB X8, X0
	PMOVMSKB X0, AX
	TESTL AX, AX
	JNE strfound
	ADDQ $16, DI
	JMP strloop

strtail:
	CMPQ DI, BX
	JAE slow
	CMPB (SI)(DI*1), $0x22
	JEQ strquote
	INCQ DI
	JMP strtail

strfound:
	BSFL AX, AX
	ADDQ AX, DI

strquote: // a "" pair, which closes the string unless escaped
	LEAQ 1(DI), AX
	CMPQ AX, BX
	JAE slow
	CMPB 1(SI)(DI*1), $0x22
	JNE slow
	CMPB -1(SI)(DI*1), $0x5C
	JEQ strescape

strclose:
	ADDQ $2, DI
	TESTQ R9, R9
	JNE cloop
	JMP after

strescape: // escaped by an odd run of backslashes, which a quote bounds
	LEAQ -2(DI), CX

escrun:
	CMPB (SI)(CX*1), $0x5C
	JNE escend
	DECQ CX
	JMP escrun

escend: // the run is DI-1-CX long
	MOVQ DI, DX
	SUBQ CX, DX
	TESTQ $1, DX
	JNE strclose
	ADDQ $2, DI
	JMP strloop

container: // DI at the opening bracket, depth 0
	MOVQ $1, R9

cloop: // the quotes (R11) and the quotes and brackets (DX) of the 16 bytes at DI
	LEAQ 16(DI), AX
	CMPQ AX, BX
	JA ctail
	MOVQ DI, R13
	MOVOU (SI)(DI*1), X0
	MOVO X0, X1
	PCMPEQB X8, X1
	PMOVMSKB X1, R11
	POR X10, X0
	MOVO X0, X2
	PCMPEQB X11, X2
	PMOVMSKB X2, R8
	PCMPEQB X12, X0
	POR X2, X0
	POR X1, X0
	PMOVMSKB X0, DX

cnext: // the marks left in the 16 bytes at R13, those before already read
	// Each mark is told by its bit in the quotes (R11) and the opening
	// brackets (R8), not by loading its byte, which would wait on BSF.
	TESTL DX, DX
	JEQ cadvance
	BSFL DX, CX
	LEAQ (R13)(CX*1), DI
	BTL CX, R11
	JCS cstring
	LEAL -1(DX), AX
	ANDL AX, DX
	INCQ DI
	BTL CX, R8
	JCS cdeeper
	DECQ R10
	JNE cnext
	XORQ R9, R9
	JMP after

cdeeper:
	INCQ R10
	JMP cnext

cadvance:
	LEAQ 16(R13), DI
	JMP cloop

cstring: // a string opens at DI, bit CX: its pair, then its closing quote
	LEAQ 1(DI), AX
	CMPQ AX, BX
	JAE slow
	CMPB 1(SI)(DI*1), $0x22
	JNE slow
	ADDL $2, CX
	MOVQ $-1, AX
	SHLQ CX, AX
	ANDQ AX, R11
	JEQ clong
	BSFQ R11, CX
	LEAQ (R13)(CX*1), DI
	LEAQ 1(DI), AX
	CMPQ AX, BX
	JAE slow
	CMPB 1(SI)(DI*1), $0x22
	JNE slow
	CMPB -1(SI)(DI*1), $0x5C
	JEQ strescape // perhaps escaped: the string search goes on from there
	// Closed: the marks up to the closing pair's end are read.
	CMPL CX, $15
	JEQ cpast
	ADDL $2, CX
	MOVQ $-1, AX
	SHLQ CX, AX
	ANDQ AX, R11
	ANDQ AX, DX
	JMP cnext

cpast: // the closing pair ends in the next 16 bytes
	ADDQ $2, DI
	JMP cloop

clong: // no quote left in these 16 bytes: the string search
	ADDQ $2, DI
	JMP strloop

ctail:
	CMPQ DI, BX
	JAE slow
	MOVBLZX (SI)(DI*1), AX
	CMPB AL, $0x22
	JEQ cbyte
	ORB $0x20, AL
	CMPB AL, $0x7B
	JEQ cbyte
	CMPB AL, $0x7D
	JEQ cbyte
	INCQ DI
	JMP ctail

cfound:
	BSFL AX, AX
	ADDQ AX, DI

cbyte:
	MOVBLZX (SI)(DI*1), AX
	CMPB AL, $0x22
	JEQ cquote
	INCQ DI
	ORB $0x20, AL
	CMPB AL, $0x7B
	JEQ copen
	DECQ R10
	JNE cloop
	XORQ R9, R9
	JMP after

copen:
	INCQ R10
	JMP cloop

cquote:
	LEAQ 1(DI), AX
	CMPQ AX, BX
	JAE slow
	CMPB 1(SI)(DI*1), $0x22
	JNE slow
	ADDQ $2, DI
	JMP strloop

after: // a value ended at DI
	CMPQ mode+32(FP), $2
	JEQ done
	LEAQ 3(DI), AX
	CMPQ AX, BX
	JA closing
	CMPW (SI)(DI*1), $0x222C // `,"`
	JNE closing
	CMPB 2(SI)(DI*1), $0x22
	JNE slow
	MOVQ AX, DI

key: // a key's text starts at DI: it ends at the first quote or backslash
	MOVQ DI, R11

kloop:
	LEAQ 16(DI), AX
	CMPQ AX, BX
	JA ktail
	MOVOU (SI)(DI*1), X0
	MOVO X0, X1
	PCMPEQB X8, X0
	PCMPEQB X9, X1
	POR X1, X0
	PMOVMSKB X0, AX
	TESTL AX, AX
	JNE kfound
	ADDQ $16, DI
	JMP kloop

ktail:
	CMPQ DI, BX
	JAE slow
	MOVBLZX (SI)(DI*1), AX
	CMPB AL, $0x22
	JEQ kend
	CMPB AL, $0x5C
	JEQ kend
	INCQ DI
	JMP ktail

kfound:
	BSFL AX, AX
	ADDQ AX, DI

kend: // `"":` and a value start that is not a blank
	LEAQ 5(DI), AX
	CMPQ AX, BX
	JAE kend3
	CMPL (SI)(DI*1), $0x223A2222 // `"":"`, most often with a string after
	JNE kend3
	CMPB 4(SI)(DI*1), $0x22
	JNE kend3
	LEAQ 3(DI), AX
	TESTQ R12, R12
	JEQ found
	SOUGHT
	// Another key, with a string value: cross it, as value would.
	ADDQ $5, DI
	JMP strloop

kend3:
	LEAQ 3(DI), AX
	CMPQ AX, BX
	JAE slow
	CMPB (SI)(DI*1), $0x22
	JNE slow
	CMPB 1(SI)(DI*1), $0x22
	JNE slow
	CMPB 2(SI)(DI*1), $0x3A
	JNE slow
	CMPB 3(SI)(DI*1), $0x20
	JLS slow
	TESTQ R12, R12
	JEQ found
	// Sought keys only: length and first four bytes (which lie before
	// the `"":` checked above) as keyCode makes them.
	SOUGHT
	// Another key: its value is crossed, and the next member read.
	MOVQ AX, DI
	MOVQ $1, R8
	JMP value

found:
	MOVQ R11, keyStart+64(FP)
	MOVQ DI, keyEnd+72(FP)
	MOVQ AX, next+80(FP)
	RET

done:
	MOVQ DI, next+80(FP)
	RET

closing: // no next member: the object ends at DI, or the byte walk reads on
	CMPQ DI, BX
	JAE slow
	CMPB (SI)(DI*1), $0x7D
	JNE slow
	MOVQ $-2, next+80(FP)
	RET

slow:
	MOVQ $-1, next+80(FP)
	RET
