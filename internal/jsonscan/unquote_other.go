//go:build !amd64

package jsonscan

// quotes64 is quotesSWAR where there is no vector version.
func quotes64(p *[64]byte) uint64 { return quotesSWAR(p) }

// vectorUnquote reports whether unquoteBlocks can run: not here.
const vectorUnquote = false

// unquoteBlocks is not called where vectorUnquote is false.
func unquoteBlocks(dst, q *byte, end, w int, carry uint64) (int, uint64) {
	panic("jsonscan: unquoteBlocks without a vector version")
}
