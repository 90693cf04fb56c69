//go:build !amd64

package extended

// nextNeedleSSE is nextNeedleGo where there is no vector version.
func nextNeedleSSE(s string, i int) (at, kind int) { return nextNeedleGo(s, i) }
