package chunked

// quotedEndBlocks is quotedEnd's search over whole 64-byte blocks of b, a
// field's content from a pair boundary on: the index of the closing quote
// and true, or where the search stopped (fewer than 64 bytes left, or a
// block of 64 quotes) and false. In quotedend_amd64.s: the same steps as
// quotedEndBlocksGo, without a call per block or a bounds check, which
// were two thirds of its instructions.
//
//go:noescape
func quotedEndBlocks(b []byte) (n int, found bool)
