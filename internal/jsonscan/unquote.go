package jsonscan

import (
	"math/bits"
	"slices"
	"unsafe"

	"github.com/kubeprivpod/kubeprivpod/internal/bytemask"
)

// UnquoteCSV appends q with each "" turned into one quote. A lone quote
// (which a well-formed cell does not have) is kept, as
// bytes.ReplaceAll(q, `""`, `"`) keeps it.
//
// Quoted JSON has a pair every few bytes, so a loop that stops at each
// quote cost about nine instructions a byte. Here a 64-byte block's
// quotes are found at once (bytemask.Quotes), and the quotes to drop follow
// from them by a few word operations (dropMask). Where the CPU has SSSE3
// (unquoteBlocks), each eight bytes then go to the output in one shuffle
// that leaves their dropped quotes out; elsewhere, and for the last
// block, the runs between dropped quotes are copied, most of them by one
// 16-byte move.
func UnquoteCSV(dst, q []byte) []byte { return unquoteWith(dst, q, vectorUnquote) }

// unquoteWith is UnquoteCSV, by unquoteBlocks when vector is true.
func unquoteWith(dst, q []byte, vector bool) []byte {
	w := len(dst)
	// 16 bytes of slack: a run's 16-byte move may write past its end
	// (what the next run or the end then overwrites or cuts off); the
	// output never outruns the input.
	dst = slices.Grow(dst, len(q)+16)[:w+len(q)+16]
	var carry uint64 // 1 when the quote before the block opened a pair
	src := 0         // q[src:] is not copied yet
	i := 0
	if vector && len(q) >= 64 {
		i = len(q) &^ 63
		w, carry = unquoteBlocks(unsafe.SliceData(dst), unsafe.SliceData(q), i, w, carry)
		src = i
	}
	for ; i+64 <= len(q); i += 64 {
		d := dropMask(bytemask.Quotes((*[64]byte)(q[i:i+64])), &carry)
		w, src = copyRuns(dst, w, q, src, i, d)
	}
	if i < len(q) {
		// The last block, padded with zero bytes, which are no quotes.
		var tail [64]byte
		copy(tail[:], q[i:])
		w, src = copyRuns(dst, w, q, src, i, dropMask(bytemask.Quotes(&tail), &carry))
	}
	w += copy(dst[w:], q[src:])
	return dst[:w]
}

// copyRuns copies the text before each quote of drops (bit k for
// q[base+k]) from q[src:] to dst[w:], skipping the quote, and returns
// where both go on. A run of up to 16 bytes is one unchecked 16-byte
// move: the caller keeps w <= src and 16 bytes of slack past len(q) in
// dst, and the move reads q only where src+16 <= len(q).
func copyRuns(dst []byte, w int, q []byte, src, base int, drops uint64) (int, int) {
	dp, qp := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(q))
	for drops != 0 {
		drop := base + bits.TrailingZeros64(drops)
		n := drop - src
		if n <= 16 && src+16 <= len(q) {
			*(*[16]byte)(unsafe.Add(dp, w)) = *(*[16]byte)(unsafe.Add(qp, src))
		} else {
			copy(dst[w:w+n], q[src:drop])
		}
		w, src = w+n, drop+1
		drops &= drops - 1
	}
	return w, src
}

// dropMask returns, of a block whose quotes are the set bits of quotes,
// the quotes that close a "" pair, as ReplaceAll pairs them from the
// left: in each run of quotes, those at an odd offset from its start.
// carry is 1 when the quote just before the block opened a pair (so a
// quote at bit 0 closes it), and is set so for the next block.
func dropMask(quotes uint64, carry *uint64) uint64 {
	const even = 0x5555555555555555 // bits at even positions
	first := quotes & *carry
	quotes &^= first // a run after a closing quote starts anew
	starts := quotes &^ (quotes << 1)
	// Adding a run's start bit carries through the run and clears it:
	// the bits cleared are the runs that start at an even position.
	fromEven := quotes &^ (quotes + starts&even)
	drops := first | fromEven&^even | quotes&^fromEven&even
	*carry = (quotes &^ drops) >> 63
	return drops
}
