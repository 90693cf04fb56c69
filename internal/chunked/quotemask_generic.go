//go:build !amd64

package chunked

// quoteMask64 returns a mask of the '"' bytes among the 64 of blk, bit i
// for byte i.
func quoteMask64(blk []byte) uint64 { return quoteMask64Go(blk) }
