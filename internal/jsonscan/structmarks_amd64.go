package jsonscan

// structMarks returns the quotes, the backslashes, the opening brackets
// ('{', '[') and the closing ones ('}', ']') of a 64-byte block as four
// masks. In structmarks_amd64.s: SSE2, four compares a 16-byte lane.
//
//go:noescape
func structMarks(p *[64]byte) (q, b, open, close uint64)
