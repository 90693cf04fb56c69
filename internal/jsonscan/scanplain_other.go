//go:build !amd64

package jsonscan

import "unsafe"

// marksPlain is marksPlainSWAR where there is no vector version.
func marksPlain(p *[64]byte) uint64 { return marksPlainSWAR(p) }

// marksPlainBlocks sets out[b] to marksPlain of the b-th 64-byte block
// at p, for the n blocks there.
func marksPlainBlocks(p *byte, n int, out *uint64) {
	for b := 0; b < n; b++ {
		*(*uint64)(unsafe.Add(unsafe.Pointer(out), b<<3)) = marksPlain((*[64]byte)(unsafe.Add(unsafe.Pointer(p), b<<6)))
	}
}

// quoteBackslash returns the quotes and the backslashes of a 64-byte
// block as two masks.
func quoteBackslash(p *[64]byte) (q, b uint64) { return quoteBackslashBytes(p) }

// marksAny is marksAnySWAR where there is no vector version.
func marksAny(p *[64]byte) uint64 { return marksAnySWAR(p) }

// vectorMarks reports whether marksPlain and marksAny are the exact
// vector versions.
const vectorMarks = false

// useAVX2 and hasAVX2 are the amd64 build's vector-path switch and
// whether it may be on; nothing reads them here.
var useAVX2 byte

const hasAVX2 = false
