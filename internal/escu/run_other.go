//go:build !amd64

package escu

// escapeRun copies src into dst, double quotes turned into single ones,
// up to the first byte appendEscaped does not copy as it is or swap (or
// before it), and returns how many bytes it copied. dst must be as long
// as src; bytes of dst after the count may be overwritten.
func escapeRun(dst, src []byte) int { return escapeRunWords(dst, src) }

// plainRun copies src into dst, single quotes turned back into double
// ones, up to the first tab or backslash (or before it), and returns how
// many bytes it copied. dst must be as long as src; bytes of dst after
// the count may be overwritten.
func plainRun(dst, src []byte) int { return plainRunWords(dst, src) }
