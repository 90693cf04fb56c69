//go:build !amd64

package extended

// nextNeedleSSE is nextNeedleGo where there is no vector version.
func nextNeedleSSE(s string, i int) (at, kind int) { return nextNeedleGo(s, i) }

// nextNeedleAVX2 and useAVX2Needles are the amd64 build's 32-byte
// search and its switch, never taken here.
func nextNeedleAVX2(s string, i int) (at, kind int) { return nextNeedleGo(s, i) }

var useAVX2Needles = false
