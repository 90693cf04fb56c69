package bytemask

// Quotes returns the quotes of a 64-byte block: bit k set when p[k] is
// '"'. Four SSE2 compares (SSE2 is in every amd64 CPU), in
// quotes_amd64.s: gathering the bits eight bytes at a time in Go took
// six times the instructions.
//
//go:noescape
func Quotes(p *[64]byte) uint64
