//go:build !amd64

package jsonscan

// marksPlain is marksPlainSWAR where there is no vector version.
func marksPlain(p *[64]byte) uint64 { return marksPlainSWAR(p) }

// marksAny is marksAnySWAR where there is no vector version.
func marksAny(p *[64]byte) uint64 { return marksAnySWAR(p) }

// vectorMarks reports whether marksPlain and marksAny are the exact
// vector versions.
const vectorMarks = false

// useAVX2 and hasAVX2 are the amd64 build's vector-path switch and
// whether it may be on; nothing reads them here.
var useAVX2 byte

const hasAVX2 = false
