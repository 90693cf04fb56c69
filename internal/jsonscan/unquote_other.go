//go:build !amd64

package jsonscan

// vectorUnquote reports whether unquoteBlocks can run: not here.
const vectorUnquote = false

// unquoteBlocks is not called where vectorUnquote is false.
func unquoteBlocks(dst, q *byte, end, w int, carry uint64) (int, uint64) {
	panic("jsonscan: unquoteBlocks without a vector version")
}
