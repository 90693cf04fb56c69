#include "textflag.h"

// MATCHES leaves in AX the bytes of the 64 at SI+R8 equal to those in
// every byte of X (one bit each): four SSE2 compares. It clobbers X1-X4,
// BX, CX and DX.
#define MATCHES(X) \
	MOVOU 0(SI)(R8*1), X1; \
	MOVOU 16(SI)(R8*1), X2; \
	MOVOU 32(SI)(R8*1), X3; \
	MOVOU 48(SI)(R8*1), X4; \
	PCMPEQB X, X1; \
	PCMPEQB X, X2; \
	PCMPEQB X, X3; \
	PCMPEQB X, X4; \
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

// QUOTES leaves in AX the quotes of the 64 bytes at SI+R8, with '"' in
// every byte of X0.
#define QUOTES MATCHES(X0)

// SPLAT_QUOTE puts '"' in every byte of X0.
#define SPLAT_QUOTE \
	MOVQ $0x2222222222222222, AX; \
	MOVQ AX, X0; \
	PUNPCKLQDQ X0, X0

// ODD_ENDS leaves in CX the bits after the runs of odd length of the
// quotes in AX (each run's start, added, carries through the run to the
// bit after it, whose parity against the start's is the run's length
// parity), flags set by the last OR; R9 holds the even bits, R12 the odd
// ones; R10 gets ^AX, BX is clobbered.
#define ODD_ENDS \
	MOVQ AX, BX; \
	SHLQ $1, BX; \
	NOTQ BX; \
	ANDQ AX, BX; \
	MOVQ BX, CX; \
	ANDQ R9, CX; \
	ADDQ AX, CX; \
	ANDQ R12, BX; \
	ADDQ AX, BX; \
	MOVQ AX, R10; \
	NOTQ R10; \
	ANDQ R10, CX; \
	ANDQ R10, BX; \
	ANDQ R12, CX; \
	ANDQ R9, BX; \
	ORQ  BX, CX

// func Quotes(p *[64]byte) uint64
TEXT ·Quotes(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	XORQ R8, R8
	SPLAT_QUOTE
	QUOTES
	MOVQ AX, ret+8(FP)
	RET

// func OddRunEndLF(b []byte) (n int, found, lf bool)
//
// oddRunEndGo's loop over each block's quotes, the runs of odd length
// found with carries, with the newlines of the same loads: those of the blocks
// passed are gathered in X7, those of the last block (X5) kept only below
// the closing quote. A block that ends in a run of quotes is read again
// from that run's start, but a run holds no newline, so X7 stays exact.
TEXT ·OddRunEndLF(SB), NOSPLIT, $0-34
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), DI
	XORQ R8, R8                  // n
	SPLAT_QUOTE
	MOVQ $0x0a0a0a0a0a0a0a0a, AX
	MOVQ AX, X6
	PUNPCKLQDQ X6, X6            // '\n'
	PXOR X7, X7                  // the newlines of the blocks passed
	MOVQ $0x5555555555555555, R9 // even bits
	MOVQ R9, R12
	NOTQ R12                     // odd bits

loop:
	LEAQ 64(R8), AX
	CMPQ AX, DI
	JA   stop
	MOVOU 0(SI)(R8*1), X1
	MOVOU 16(SI)(R8*1), X2
	MOVOU 32(SI)(R8*1), X3
	MOVOU 48(SI)(R8*1), X4
	MOVO X1, X5
	PCMPEQB X6, X5
	MOVO X2, X8
	PCMPEQB X6, X8
	POR X8, X5
	MOVO X3, X8
	PCMPEQB X6, X8
	POR X8, X5
	MOVO X4, X8
	PCMPEQB X6, X8
	POR X8, X5                   // the block's newlines, in no order
	PCMPEQB X0, X1
	PCMPEQB X0, X2
	PCMPEQB X0, X3
	PCMPEQB X0, X4
	PMOVMSKB X1, AX
	PMOVMSKB X2, BX
	PMOVMSKB X3, CX
	PMOVMSKB X4, DX
	SHLQ $16, BX
	SHLQ $32, CX
	SHLQ $48, DX
	ORQ BX, AX
	ORQ CX, AX
	ORQ DX, AX                   // q
	TESTQ AX, AX
	JNZ  quotes
	POR  X5, X7
	ADDQ $64, R8
	JMP  loop

quotes:
	ODD_ENDS
	JNZ  found
	POR  X5, X7
	BTQ  $63, AX
	JCS  carried
	ADDQ $64, R8                 // not from the mask: the next loads need not wait for it
	JMP  loop

carried:
	BSRQ R10, R11                // the highest byte that is not a quote
	JZ   stop                    // none: 64 quotes in a row
	LEAQ 1(R8)(R11*1), R8        // on to the start of the run reaching bit 63
	JMP  loop

found:
	BSFQ CX, R11
	DECQ R11                     // the closing quote's bit
	MATCHES(X6)                  // the block's newlines in order, only now that they are needed
	MOVQ R11, CX
	MOVQ $1, DX
	SHLQ CX, DX
	DECQ DX
	ANDQ DX, AX                  // those before the closing quote
	ADDQ CX, R8
	PMOVMSKB X7, BX
	ORQ  BX, AX
	SETNE AX
	MOVB $1, DX
	JMP  ret

stop:
	PMOVMSKB X7, AX
	TESTL AX, AX
	SETNE AX
	MOVB $0, DX

ret:
	MOVQ R8, n+24(FP)
	MOVB DX, found+32(FP)
	MOVB AX, lf+33(FP)
	RET
