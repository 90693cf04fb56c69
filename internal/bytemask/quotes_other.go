//go:build !amd64

package bytemask

// Quotes returns the quotes of a 64-byte block: bit k set when p[k] is
// '"'.
func Quotes(p *[64]byte) uint64 { return quotesSWAR(p) }
