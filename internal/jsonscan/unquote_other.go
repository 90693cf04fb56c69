//go:build !amd64

package jsonscan

// quotes64 is quotesSWAR where there is no vector version.
func quotes64(p *[64]byte) uint64 { return quotesSWAR(p) }
