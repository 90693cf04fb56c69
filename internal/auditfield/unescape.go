package auditfield

import "github.com/kubeprivpod/kubeprivpod/internal/jsonscan"

// Hex4 decodes the four hex digits of a JSON \u escape at the start of b:
// jsonscan.Hex4, kept here for the default mode's pre-filter.
func Hex4[T ~string | ~[]byte](b T) (rune, bool) { return jsonscan.Hex4(b) }
