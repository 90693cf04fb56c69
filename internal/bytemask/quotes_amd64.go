package bytemask

import "github.com/kubeprivpod/kubeprivpod/internal/cpufeat"

// Quotes returns the quotes of a 64-byte block: bit k set when p[k] is
// '"'. Four SSE2 compares (SSE2 is in every amd64 CPU), in
// quotes_amd64.s: gathering the bits eight bytes at a time in Go took
// six times the instructions.
//
//go:noescape
func Quotes(p *[64]byte) uint64

// OddRunEnd searches the whole 64-byte blocks of b, which starts where
// quotes come in pairs (inside a CSV-quoted field, after its opening
// quote or a "" pair), for the first run of quotes of odd length: the
// index of its last quote (the field's closing quote) and true, or where
// the search stopped (fewer than 64 bytes left, or 64 quotes in a row)
// and false; the caller goes on from there byte by byte. In
// quotes_amd64.s, without a call or a bounds check per block, which were
// two thirds of oddRunEndGo's instructions.
//
//go:noescape
func OddRunEnd(b []byte) (n int, found bool)

// OddRunEndLF is OddRunEnd that also reports whether b[:n] holds a
// newline, which a CSV reader needs to count lines: with AVX2 in the
// same loads, 32 bytes a compare (quotes_amd64.s), which takes half
// OddRunEnd's compares and saves a second pass over the field;
// otherwise OddRunEnd and a search.
func OddRunEndLF(b []byte) (n int, found, lf bool) {
	if useAVX2 {
		return oddRunEndLFAVX2(b)
	}
	return oddRunEndLFSearch(b)
}

// useAVX2 is whether OddRunEndLF takes its AVX2 path (the tests switch
// it to compare both).
var useAVX2 = cpufeat.AVX2

// oddRunEndLFAVX2 is OddRunEndLF in AVX2. In quotes_amd64.s.
//
//go:noescape
func oddRunEndLFAVX2(b []byte) (n int, found, lf bool)
