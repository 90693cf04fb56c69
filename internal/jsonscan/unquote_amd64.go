package jsonscan

// quotes64 returns the quotes of a 64-byte block: bit k set when p[k] is
// '"'. In unquote_amd64.s, by SSE2, which every amd64 CPU has.
//
//go:noescape
func quotes64(p *[64]byte) uint64
