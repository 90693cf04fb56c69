//go:build !amd64

package cpufeat

// SSSE3 and AVX2 are amd64 instructions: false elsewhere.
var SSSE3, AVX2 = false, false
