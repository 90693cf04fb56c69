//go:build !amd64

package jsonscan

// marksPlain is marksPlainSWAR where there is no vector version.
func marksPlain(p *[64]byte) uint64 { return marksPlainSWAR(p) }

// marksAny is marksAnySWAR where there is no vector version.
func marksAny(p *[64]byte) uint64 { return marksAnySWAR(p) }

// vectorMarks reports whether marksPlain and marksAny are the exact
// vector versions.
const vectorMarks = false
