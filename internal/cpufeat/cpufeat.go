// Package cpufeat says which vector instructions beyond the architecture's
// baseline this CPU runs, for the packages whose hot loops have a faster
// path for them (SSE2, the amd64 baseline, needs no check). It is read
// once at start, as Go's internal/cpu is, which other packages cannot
// import.
package cpufeat

// Flag is 1 for true and 0 for false: a feature in the form assembly
// tests with one byte compare (CMPB ·useAVX2(SB), $0).
func Flag(b bool) byte {
	if b {
		return 1
	}
	return 0
}
