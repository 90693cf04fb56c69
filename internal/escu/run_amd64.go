package escu

// escapeRun copies src into dst, double quotes turned into single ones,
// up to the first byte appendEscaped does not copy as it is or swap, and
// returns how many bytes it copied: the index of that byte, or the bytes
// of src's whole 16-byte blocks. dst must be as long as src; bytes of
// dst after the count may be overwritten. In run_amd64.s.
//
//go:noescape
func escapeRun(dst, src []byte) int

// plainRun copies src into dst, single quotes turned back into double
// ones, up to the first tab or backslash, and returns how many bytes it
// copied: the index of that byte, or the bytes of src's whole 16-byte
// blocks. dst must be as long as src; bytes of dst after the count may
// be overwritten. In run_amd64.s.
//
//go:noescape
func plainRun(dst, src []byte) int
