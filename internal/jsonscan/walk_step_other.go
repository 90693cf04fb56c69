//go:build !amd64

package jsonscan

// csvStep is csvStepGo where there is no vector version.
func csvStep(q []byte, i, mode int) (keyStart, keyEnd, next int) { return csvStepGo(q, i, mode) }
