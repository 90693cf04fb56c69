// Package cpufeat says which vector instructions beyond the architecture's
// baseline this CPU runs, for the packages whose hot loops have a faster
// path for them (SSE2, the amd64 baseline, needs no check). It is read
// once at start, as Go's internal/cpu is, which other packages cannot
// import.
package cpufeat
