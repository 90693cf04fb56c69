//go:build !amd64

package jsonscan

// structMarks returns the quotes, the backslashes, the opening brackets
// ('{', '[') and the closing ones ('}', ']') of a 64-byte block as four
// masks.
func structMarks(p *[64]byte) (q, b, open, close uint64) { return structMarksBytes(p) }
