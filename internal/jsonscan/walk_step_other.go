//go:build !amd64

package jsonscan

// csvStep is csvStepGo where there is no vector version.
func csvStep(q []byte, i, mode int, k1, k2, k3 uint64) (keyStart, keyEnd, next int) {
	return csvStepGo(q, i, mode, k1, k2, k3)
}
