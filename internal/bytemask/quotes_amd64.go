package bytemask

// Quotes returns the quotes of a 64-byte block: bit k set when p[k] is
// '"'. Four SSE2 compares (SSE2 is in every amd64 CPU), in
// quotes_amd64.s: gathering the bits eight bytes at a time in Go took
// six times the instructions.
//
//go:noescape
func Quotes(p *[64]byte) uint64

// OddRunEndLF searches the whole 64-byte blocks of b, which starts where
// quotes come in pairs (inside a CSV-quoted field, after its opening
// quote or a "" pair), for the first run of quotes of odd length: the
// index n of its last quote (the field's closing quote) and true, or
// where the search stopped (fewer than 64 bytes left, or 64 quotes in a
// row) and false; the caller goes on from there byte by byte. lf reports
// whether b[:n] holds a newline, which a CSV reader needs to count lines.
// In quotes_amd64.s: no call or bounds check per block (two thirds of
// oddRunEndGo's instructions), the newlines from the same loads (less
// than a second pass over the field).
//
//go:noescape
func OddRunEndLF(b []byte) (n int, found, lf bool)
