#include "textflag.h"

// QUOTES leaves in AX the quotes of the 64 bytes at SI+R8, with '"' in
// every byte of X0: four SSE2 compares.
#define QUOTES \
	MOVOU 0(SI)(R8*1), X1; \
	MOVOU 16(SI)(R8*1), X2; \
	MOVOU 32(SI)(R8*1), X3; \
	MOVOU 48(SI)(R8*1), X4; \
	PCMPEQB X0, X1; \
	PCMPEQB X0, X2; \
	PCMPEQB X0, X3; \
	PCMPEQB X0, X4; \
	PMOVMSKB X1, AX; \
	PMOVMSKB X2, BX; \
	PMOVMSKB X3, CX; \
	PMOVMSKB X4, DX; \
	SHLQ $16, BX; \
	SHLQ $32, CX; \
	SHLQ $48, DX; \
	ORQ BX, AX; \
	ORQ CX, AX; \
	ORQ DX, AX

// SPLAT_QUOTE puts '"' in every byte of X0.
#define SPLAT_QUOTE \
	MOVQ $0x2222222222222222, AX; \
	MOVQ AX, X0; \
	PUNPCKLQDQ X0, X0

// func Quotes(p *[64]byte) uint64
TEXT ·Quotes(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	XORQ R8, R8
	SPLAT_QUOTE
	QUOTES
	MOVQ AX, ret+8(FP)
	RET

// func OddRunEnd(b []byte) (n int, found bool)
//
// oddRunEndGo's loop: each block's quotes, the runs of odd length found
// with carries.
TEXT ·OddRunEnd(SB), NOSPLIT, $0-33
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), DI
	XORQ R8, R8                  // n
	SPLAT_QUOTE
	MOVQ $0x5555555555555555, R9 // even bits
	MOVQ R9, R12
	NOTQ R12                     // odd bits

loop:
	LEAQ 64(R8), AX
	CMPQ AX, DI
	JA   stop
	QUOTES                       // q
	TESTQ AX, AX
	JNZ  quotes
	ADDQ $64, R8
	JMP  loop

quotes:
	MOVQ AX, BX
	SHLQ $1, BX
	NOTQ BX
	ANDQ AX, BX                  // starts = q &^ (q << 1)
	MOVQ BX, CX
	ANDQ R9, CX
	ADDQ AX, CX                  // starts&even + q
	ANDQ R12, BX
	ADDQ AX, BX                  // starts&^even + q
	MOVQ AX, R10
	NOTQ R10                     // ^q
	ANDQ R10, CX                 // evenEnds
	ANDQ R10, BX                 // oddEnds
	ANDQ R12, CX                 // evenEnds &^ even
	ANDQ R9, BX                  // oddEnds & even
	ORQ  BX, CX                  // the bits after runs of odd length
	JNZ  found
	BSRQ R10, R11                // the highest byte that is not a quote
	JZ   stop                    // none: 64 quotes in a row
	LEAQ 1(R8)(R11*1), R8        // on to the start of the run reaching bit 63
	JMP  loop

found:
	BSFQ CX, CX
	LEAQ -1(R8)(CX*1), R8
	MOVQ R8, n+24(FP)
	MOVB $1, found+32(FP)
	RET

stop:
	MOVQ R8, n+24(FP)
	MOVB $0, found+32(FP)
	RET

// func oddRunEndLFAVX2(b []byte) (n int, found, lf bool)
//
// OddRunEnd 32 bytes a compare, the newlines found in the same loads:
// those of the blocks passed are gathered in Y7, those of the last
// block (in Y2 and Y3) are kept only below the closing quote. A block
// that ends in a run of quotes is read again from that run's start, but
// a run holds no newline, so Y7 stays exact.
TEXT ·oddRunEndLFAVX2(SB), NOSPLIT, $0-34
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), DI
	XORQ R8, R8                  // n
	MOVQ $0x22, AX
	MOVQ AX, X0
	VPBROADCASTB X0, Y0          // '"'
	MOVQ $0x0a, AX
	MOVQ AX, X1
	VPBROADCASTB X1, Y1          // '\n'
	VPXOR Y7, Y7, Y7             // the newlines of the blocks passed
	MOVQ $0x5555555555555555, R9 // even bits
	MOVQ R9, R12
	NOTQ R12                     // odd bits

loop:
	LEAQ 64(R8), AX
	CMPQ AX, DI
	JA   stop
	VMOVDQU 0(SI)(R8*1), Y2
	VMOVDQU 32(SI)(R8*1), Y3
	VPCMPEQB Y0, Y2, Y4
	VPCMPEQB Y0, Y3, Y5
	VPCMPEQB Y1, Y2, Y2
	VPCMPEQB Y1, Y3, Y3
	VPMOVMSKB Y4, AX
	VPMOVMSKB Y5, BX
	SHLQ $32, BX
	ORQ  BX, AX                  // q
	JNZ  quotes
	VPOR Y2, Y7, Y7
	VPOR Y3, Y7, Y7
	ADDQ $64, R8
	JMP  loop

quotes:
	MOVQ AX, BX
	SHLQ $1, BX
	NOTQ BX
	ANDQ AX, BX                  // starts = q &^ (q << 1)
	MOVQ BX, CX
	ANDQ R9, CX
	ADDQ AX, CX                  // starts&even + q
	ANDQ R12, BX
	ADDQ AX, BX                  // starts&^even + q
	MOVQ AX, R10
	NOTQ R10                     // ^q
	ANDQ R10, CX                 // evenEnds
	ANDQ R10, BX                 // oddEnds
	ANDQ R12, CX                 // evenEnds &^ even
	ANDQ R9, BX                  // oddEnds & even
	ORQ  BX, CX                  // the bits after runs of odd length
	JNZ  found
	VPOR Y2, Y7, Y7
	VPOR Y3, Y7, Y7
	BSRQ R10, R11                // the highest byte that is not a quote
	JZ   stop                    // none: 64 quotes in a row
	LEAQ 1(R8)(R11*1), R8        // on to the start of the run reaching bit 63
	JMP  loop

found:
	BSFQ CX, CX
	DECQ CX                      // the closing quote's bit
	LEAQ (R8)(CX*1), R8
	VPMOVMSKB Y2, AX
	VPMOVMSKB Y3, BX
	SHLQ $32, BX
	ORQ  BX, AX                  // the block's newlines
	MOVQ $1, DX
	SHLQ CX, DX
	DECQ DX
	ANDQ DX, AX                  // those before the closing quote
	VPTEST Y7, Y7
	SETNE BX
	TESTQ AX, AX
	SETNE AX
	ORB  BX, AX
	MOVQ R8, n+24(FP)
	MOVB $1, found+32(FP)
	MOVB AX, lf+33(FP)
	VZEROUPPER
	RET

stop:
	VPTEST Y7, Y7
	SETNE AX
	MOVQ R8, n+24(FP)
	MOVB $0, found+32(FP)
	MOVB AX, lf+33(FP)
	VZEROUPPER
	RET
