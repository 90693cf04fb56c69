package escu

import "encoding/binary"

// The long runs of a partial row's values, the annotation above all, are
// copied by escapeRun and plainRun: SSE2 on amd64 (run_amd64.s), sixteen
// bytes a compare, and the word loops below elsewhere. The callers then
// finish a value eight bytes and one byte at a time, so a run may stop
// short of its first stop byte.

// runMin is the length below which the callers do not start a run.
const runMin = 16

// block is how many bytes the word loops take at a time while none of
// them stops the loop: four words, so that the loop's own instructions
// and bounds checks are paid once per 32 bytes.
const block = 32

// stopBits sets bit 7 of the bytes of w that escapeStops flags, and maybe
// of others above one of them (carries and borrows start only at flagged
// bytes): whether a word has any is exact, which is all the block loop
// asks, and the four words' bits are joined before the one mask.
func stopBits(w uint64) uint64 {
	q, b := w^'\''*lsb, w^'\\'*lsb
	return (w-0x20*lsb)&^w | (w + lsb) | w | (q-lsb)&^q | (b-lsb)&^b
}

// escapeRunWords is escapeRun in 32-byte blocks of four words: it stops
// before the first block holding a byte escapeStops flags.
func escapeRunWords(dst, src []byte) int {
	n := 0
	for len(src)-n >= block {
		b := src[n : n+block]
		w0, w1 := binary.LittleEndian.Uint64(b[0:8]), binary.LittleEndian.Uint64(b[8:16])
		w2, w3 := binary.LittleEndian.Uint64(b[16:24]), binary.LittleEndian.Uint64(b[24:32])
		if (stopBits(w0)|stopBits(w1)|stopBits(w2)|stopBits(w3))&msb != 0 {
			break
		}
		o := dst[n : n+block]
		binary.LittleEndian.PutUint64(o[0:8], swapQuotes(w0, '"', '\''))
		binary.LittleEndian.PutUint64(o[8:16], swapQuotes(w1, '"', '\''))
		binary.LittleEndian.PutUint64(o[16:24], swapQuotes(w2, '"', '\''))
		binary.LittleEndian.PutUint64(o[24:32], swapQuotes(w3, '"', '\''))
		n += block
	}
	return n
}

// plainRunWords is plainRun in 32-byte blocks of four words: it stops
// before the first block holding a tab or a backslash.
func plainRunWords(dst, src []byte) int {
	n := 0
	for len(src)-n >= block {
		b := src[n : n+block]
		w0, w1 := binary.LittleEndian.Uint64(b[0:8]), binary.LittleEndian.Uint64(b[8:16])
		w2, w3 := binary.LittleEndian.Uint64(b[16:24]), binary.LittleEndian.Uint64(b[24:32])
		t0, t1, t2, t3 := w0^'\t'*lsb, w1^'\t'*lsb, w2^'\t'*lsb, w3^'\t'*lsb
		b0, b1, b2, b3 := w0^'\\'*lsb, w1^'\\'*lsb, w2^'\\'*lsb, w3^'\\'*lsb
		// As in stopBits: a yes or no, so the masks are joined first.
		if ((t0-lsb)&^t0|(t1-lsb)&^t1|(t2-lsb)&^t2|(t3-lsb)&^t3|
			(b0-lsb)&^b0|(b1-lsb)&^b1|(b2-lsb)&^b2|(b3-lsb)&^b3)&msb != 0 {
			break
		}
		o := dst[n : n+block]
		binary.LittleEndian.PutUint64(o[0:8], swapQuotes(w0, '\'', '"'))
		binary.LittleEndian.PutUint64(o[8:16], swapQuotes(w1, '\'', '"'))
		binary.LittleEndian.PutUint64(o[16:24], swapQuotes(w2, '\'', '"'))
		binary.LittleEndian.PutUint64(o[24:32], swapQuotes(w3, '\'', '"'))
		n += block
	}
	return n
}
