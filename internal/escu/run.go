package escu

import "encoding/binary"

// The long runs of a partial row's values, the annotation above all, are
// copied by escapeRun and plainRun: SSE2 on amd64 (run_amd64.s), sixteen
// bytes a compare, and a word loop elsewhere. The callers then finish a
// value eight bytes and one byte at a time, so a run may stop short of
// its first stop byte.

// runMin is the length below which the callers do not start a run.
const runMin = 16

// A runKind says what a run swaps and where it stops: at the bytes stopA
// and stopB and, when ranged, at those outside ' '..'~'. The 16-byte
// splats are what the SSE2 loop compares with.
type runKind struct {
	from, xor, stopA, stopB, lo, span [16]byte
	ranged                            bool
}

// newRunKind returns the kind of run that turns from into to and stops
// at a and b (and outside ' '..'~' when ranged).
func newRunKind(from, to, a, b byte, ranged bool) *runKind {
	k := &runKind{ranged: ranged}
	for i := range 16 {
		k.from[i], k.xor[i], k.stopA[i], k.stopB[i] = from, from^to, a, b
		k.lo[i], k.span[i] = ' ', '~'-' '
	}
	return k
}

// The runs of appendEscaped (double quotes to single ones, up to a byte
// that needs an escape) and of appendPlain (back, up to a tab or escape).
var (
	escapeKind = newRunKind('"', '\'', '\'', '\\', true)
	plainKind  = newRunKind('\'', '"', '\t', '\\', false)
)

// escapeRun copies src into dst, double quotes turned into single ones,
// up to the first byte appendEscaped does not copy as it is or swap, and
// returns how many bytes it copied: the index of that byte, or fewer.
// dst must be as long as src; bytes of dst past the count may be
// overwritten.
func escapeRun(dst, src []byte) int { return swapRun(dst, src, escapeKind) }

// plainRun copies src into dst, single quotes turned back into double
// ones, up to the first tab or backslash, and returns how many bytes it
// copied, as escapeRun does.
func plainRun(dst, src []byte) int { return swapRun(dst, src, plainKind) }

// block is how many bytes the word loop takes at a time while none of
// them stops it: four words, so that the loop's own instructions and
// bounds checks are paid once per 32 bytes.
const block = 32

// runStops sets bit 7 of the bytes of w where a run of kind k stops, and
// maybe of others above one of them (carries and borrows start only at
// flagged bytes): whether a word has any is exact, which is all the
// block loop asks, and the four words' bits are joined before the one
// mask.
func (k *runKind) runStops(w uint64) uint64 {
	a, b := w^uint64(k.stopA[0])*lsb, w^uint64(k.stopB[0])*lsb
	m := (a-lsb)&^a | (b-lsb)&^b
	if k.ranged {
		m |= (w-0x20*lsb)&^w | (w + lsb) | w
	}
	return m
}

// swapRunWords is swapRun in 32-byte blocks of four words: it stops
// before the first block holding a stop byte.
func swapRunWords(dst, src []byte, k *runKind) int {
	from, to := k.from[0], k.from[0]^k.xor[0]
	n := 0
	for len(src)-n >= block {
		b := src[n : n+block]
		w0, w1 := binary.LittleEndian.Uint64(b[0:8]), binary.LittleEndian.Uint64(b[8:16])
		w2, w3 := binary.LittleEndian.Uint64(b[16:24]), binary.LittleEndian.Uint64(b[24:32])
		if (k.runStops(w0)|k.runStops(w1)|k.runStops(w2)|k.runStops(w3))&msb != 0 {
			break
		}
		o := dst[n : n+block]
		binary.LittleEndian.PutUint64(o[0:8], swapQuotes(w0, from, to))
		binary.LittleEndian.PutUint64(o[8:16], swapQuotes(w1, from, to))
		binary.LittleEndian.PutUint64(o[16:24], swapQuotes(w2, from, to))
		binary.LittleEndian.PutUint64(o[24:32], swapQuotes(w3, from, to))
		n += block
	}
	return n
}
