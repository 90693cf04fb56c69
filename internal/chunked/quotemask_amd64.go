package chunked

// quoteMask64 returns a mask of the '"' bytes among the 64 of blk, bit i
// for byte i: four SSE2 compares (SSE2 is in every amd64 CPU), where
// gathering the bits eight bytes at a time in Go took six times the
// instructions.
func quoteMask64(blk []byte) uint64 {
	_ = blk[63]
	return quoteMask64asm(&blk[0])
}

//go:noescape
func quoteMask64asm(p *byte) uint64
