package extended

// nextNeedleSSE is nextNeedle for len(s) >= 16. In walk_needles_amd64.s.
//
//go:noescape
func nextNeedleSSE(s string, i int) (at, kind int)
