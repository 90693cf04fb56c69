package escu

import (
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/cpufeat"
)

// TestNextSignPaths runs TestNextSign's cases on signBlocks' SSE2 path and,
// where the CPU has it, its AVX2 one.
func TestNextSignPaths(t *testing.T) {
	defer func(was byte) { useAVX2 = was }(useAVX2)
	for _, avx2 := range []byte{0, 1} {
		if avx2 == 1 && !cpufeat.AVX2 {
			continue
		}
		useAVX2 = avx2
		nextSignCases(t)
	}
}
