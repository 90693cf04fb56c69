//go:build !amd64

package bytemask

import "bytes"

// Quotes returns the quotes of a 64-byte block: bit k set when p[k] is
// '"'.
func Quotes(p *[64]byte) uint64 { return quotesSWAR(p) }

// OddRunEndLF searches the whole 64-byte blocks of b, which starts where
// quotes come in pairs (inside a CSV-quoted field, after its opening
// quote or a "" pair), for the first run of quotes of odd length: the
// index n of its last quote (the field's closing quote) and true, or
// where the search stopped (fewer than 64 bytes left, or 64 quotes in a
// row) and false; the caller goes on from there byte by byte. lf reports
// whether b[:n] holds a newline, which a CSV reader needs to count lines.
func OddRunEndLF(b []byte) (n int, found, lf bool) {
	n, found = oddRunEndGo(b)
	return n, found, bytes.IndexByte(b[:n], '\n') >= 0
}
