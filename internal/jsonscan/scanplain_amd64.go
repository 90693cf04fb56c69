package jsonscan

// marksPlain returns the marks of a plain document's 64-byte block: bit k
// set when p[k] is a quote, a backslash, a control byte, '<', '>', '&' or
// above 0x7F. Exact (no false marks). In scanplain_amd64.s.
//
//go:noescape
func marksPlain(p *[64]byte) uint64

// marksAny returns the marks of a 64-byte block of a document no longer
// plain: bit k set when p[k] is a quote, a backslash or a control byte.
// Exact. In scanplain_amd64.s.
//
//go:noescape
func marksAny(p *[64]byte) uint64

// vectorMarks reports whether marksPlain and marksAny are the exact
// vector versions.
const vectorMarks = true
