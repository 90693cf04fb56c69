package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"testing"
)

// firstMatch is the index of the first byte of x for which match holds,
// or 8: what the lowest set bit of a SWAR mask must say.
func firstMatch(x uint64, match func(c byte) bool) int {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], x)
	for i, c := range b {
		if match(c) {
			return i
		}
	}
	return 8
}

func FuzzSWAR(f *testing.F) {
	f.Add(uint64(0x2200412223005c80), byte('"'), byte(0x20))
	f.Add(uint64(0xffffffffffffffff), byte(0), byte(0x80))
	f.Fuzz(func(t *testing.T, x uint64, c, n byte) {
		n = n%0x80 + 1 // HasLess holds for n up to 0x80
		for _, tc := range []struct {
			name  string
			mask  uint64
			match func(byte) bool
		}{
			{"HasZero", HasZero(x), func(b byte) bool { return b == 0 }},
			{"HasByte", HasByte(x, c), func(b byte) bool { return b == c }},
			{"HasLess", HasLess(x, n), func(b byte) bool { return b < n }},
		} {
			if got, want := bits.TrailingZeros64(tc.mask)/8, firstMatch(x, tc.match); got != want || tc.mask&^Highs != 0 {
				t.Fatalf("%s(%#x, %#x, %#x) = %#x: first match %d, want %d", tc.name, x, c, n, tc.mask, got, want)
			}
		}
	})
}
