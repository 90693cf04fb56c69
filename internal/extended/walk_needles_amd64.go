package extended

import "github.com/kubeprivpod/kubeprivpod/internal/cpufeat"

// nextNeedleSSE is nextNeedle for len(s) >= 16. In walk_needles_amd64.s.
//
//go:noescape
func nextNeedleSSE(s string, i int) (at, kind int)

// nextNeedleAVX2 is nextNeedleSSE 32 bytes at a time, while more than 32
// are left from i, then kind needleMore and where nextNeedleSSE goes on. In
// walk_needles_amd64.s; only where useAVX2Needles.
//
//go:noescape
func nextNeedleAVX2(s string, i int) (at, kind int)

// useAVX2Needles is whether nextNeedle takes nextNeedleAVX2 (the tests
// switch it to compare both paths).
var useAVX2Needles = cpufeat.AVX2
