// Package bytemask finds the quotes of a 64-byte block at once, one bit
// per byte, and with them where a CSV-quoted field ends: what both the
// protocol codec's CSV reader and the JSON scanner's CSV unquoting need,
// and so kept apart from either. It imports nothing of the project.
package bytemask

import (
	"encoding/binary"
	"math/bits"
)

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

// oddRunEndGo is OddRunEndLF's search in Go, without the newlines: the
// version for architectures without an assembly one, and what the
// assembly is tested against.
//
// From a pair boundary every run of quotes has even length, except the
// run that ends with the closing quote. Adding a run's first bit carries
// through the run to the bit after it; that bit's parity against the
// start's is the run's length parity (the way simdjson finds odd runs of
// backslashes), so no quote costs a branch. A run reaching bit 63 carries
// out and is left for the next block, which starts where it starts.
func oddRunEndGo(b []byte) (n int, found bool) {
	const even = 0x5555555555555555
	for n+64 <= len(b) {
		q := Quotes((*[64]byte)(b[n : n+64]))
		if q == 0 {
			n += 64
			continue
		}
		starts := q &^ (q << 1)
		evenEnds := (starts&even + q) &^ q
		oddEnds := (starts&^even + q) &^ q
		if odd := evenEnds&^even | oddEnds&even; odd != 0 {
			return n + bits.TrailingZeros64(odd) - 1, true
		}
		k := 64 - bits.LeadingZeros64(^q) // where the last run starts, if it reaches bit 63
		if k == 0 {
			break // 64 quotes in a row
		}
		n += k
	}
	return n, false
}
