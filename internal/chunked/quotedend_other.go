//go:build !amd64

package chunked

// quotedEndBlocks is quotedEnd's search over whole 64-byte blocks of b, a
// field's content from a pair boundary on: the index of the closing quote
// and true, or where the search stopped (fewer than 64 bytes left, or a
// block of 64 quotes) and false.
func quotedEndBlocks(b []byte) (n int, found bool) { return quotedEndBlocksGo(b) }
