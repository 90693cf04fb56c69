package chunked

import "encoding/binary"

// quoteMask64Go is quoteMask64 in portable Go, used where there is no
// assembly version.
func quoteMask64Go(blk []byte) uint64 {
	_ = blk[63]
	return quoteBits(blk[0:]) | quoteBits(blk[8:])<<8 | quoteBits(blk[16:])<<16 | quoteBits(blk[24:])<<24 |
		quoteBits(blk[32:])<<32 | quoteBits(blk[40:])<<40 | quoteBits(blk[48:])<<48 | quoteBits(blk[56:])<<56
}

// quoteBits returns a mask of the '"' bytes among the first eight of b,
// bit i for byte i.
func quoteBits(b []byte) uint64 {
	const lo7 = 0x7F7F7F7F7F7F7F7F
	y := binary.LittleEndian.Uint64(b) ^ 0x2222222222222222
	m := ^((y&lo7 + lo7) | y | lo7) // exactly the high bits of the zero bytes
	// The multiply gathers bit 8i to bit 56+i; no two products meet there.
	return (m >> 7) * 0x0102040810204080 >> 56
}
