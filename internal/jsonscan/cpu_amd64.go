package jsonscan

import "github.com/kubeprivpod/kubeprivpod/internal/cpufeat"

// The vector paths beyond SSE2 are taken only where the CPU has them:
// SSSE3 for unquoteBlocks' PSHUFB, AVX2 for the 32-byte block marks.
var hasSSSE3, hasAVX2 = cpufeat.SSSE3, cpufeat.AVX2
