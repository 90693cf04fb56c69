package jsonscan

import "github.com/kubeprivpod/kubeprivpod/internal/cpufeat"

// marksPlain returns the marks of a plain document's 64-byte block: bit k
// set when p[k] is a quote, a backslash, a control byte, '<', '>', '&' or
// above 0x7F. Exact (no false marks). It is marksPlainBlocks for one
// block, whose SSE2 and AVX2 lanes are the only ones.
func marksPlain(p *[64]byte) uint64 {
	var m uint64
	marksPlainBlocks(&p[0], 1, &m)
	return m
}

// marksAny returns the marks of a 64-byte block of a document no longer
// plain: bit k set when p[k] is a quote, a backslash or a control byte.
// Exact. In scanplain_amd64.s, as marksPlain.
//
//go:noescape
func marksAny(p *[64]byte) uint64

// marksPlainBlocks sets out[b] to marksPlain of the b-th 64-byte block
// at p, for the n blocks there. In scanplain_amd64.s.
//
//go:noescape
func marksPlainBlocks(p *byte, n int, out *uint64)

// quoteBackslash returns the quotes and the backslashes of a 64-byte
// block as two masks. In scanplain_amd64.s.
//
//go:noescape
func quoteBackslash(p *[64]byte) (q, b uint64)

// useAVX2 makes marksPlain and marksAny take their AVX2 path: one byte
// the assembly tests on each call (1 when set), fixed at start-up. The
// marks are the same on either path; the tests turn it off to check the
// SSE2 one.
var useAVX2 = cpufeat.Flag(hasAVX2)

// vectorMarks reports whether marksPlain and marksAny are the exact
// vector versions.
const vectorMarks = true
