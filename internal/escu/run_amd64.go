package escu

// swapRun copies src into dst, the bytes k.from turned into k.from ^
// k.xor, up to the first byte where a run of kind k stops, and returns
// how many bytes it copied: the index of that byte, or the bytes of src's
// whole 16-byte blocks. dst must be as long as src; bytes of dst after
// the count may be overwritten. In run_amd64.s.
//
//go:noescape
func swapRun(dst, src []byte, k *runKind) int
