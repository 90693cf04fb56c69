// Package bytemask finds the quotes of a 64-byte block at once, one bit
// per byte: what both the protocol codec's CSV reader and the JSON
// scanner's CSV unquoting need, and so kept apart from either. It imports
// nothing of the project.
package bytemask

import "encoding/binary"

// quotesSWAR is Quotes eight bytes at a time, for architectures without a
// vector version: the exact zero-byte test on each word of p xor quotes
// (no borrow between bytes), its high bits gathered into one byte by a
// multiply (bit 8i to bit 56+i; no two products meet there).
func quotesSWAR(p *[64]byte) uint64 {
	const lows = 0x7f7f7f7f7f7f7f7f
	var m uint64
	for k := range 8 {
		y := binary.LittleEndian.Uint64(p[8*k:]) ^ 0x2222222222222222
		z := ^((y&lows + lows) | y | lows)
		m |= (z >> 7 * 0x0102040810204080 >> 56) << (8 * k)
	}
	return m
}
