package chunked

import (
	"math/bits"

	"github.com/kubeprivpod/kubeprivpod/internal/bytemask"
)

// quotedEndBlocksGo is quotedEndBlocks in Go: the version for
// architectures without an assembly one, and what the assembly is tested
// against.
func quotedEndBlocksGo(b []byte) (n int, found bool) {
	const even = 0x5555555555555555
	for n+64 <= len(b) {
		q := bytemask.Quotes((*[64]byte)(b[n : n+64]))
		if q == 0 {
			n += 64
			continue
		}
		starts := q &^ (q << 1)
		// Adding a run's first bit carries through the run to the bit
		// after it; that bit's parity against the start's is the run's
		// length parity. A run reaching bit 63 carries out and is left
		// for the next block.
		evenEnds := (starts&even + q) &^ q
		oddEnds := (starts&^even + q) &^ q
		if odd := evenEnds&^even | oddEnds&even; odd != 0 {
			return n + bits.TrailingZeros64(odd) - 1, true
		}
		k := 64 - bits.LeadingZeros64(^q) // where the last run starts, if it reaches bit 63
		if k == 0 {
			break // 64 quotes in a row: the caller goes byte by byte
		}
		n += k
	}
	return n, false
}
