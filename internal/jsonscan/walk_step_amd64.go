package jsonscan

// csvStep is documented in walk_step.go; in walk_step_amd64.s.
//
//go:noescape
func csvStep(q []byte, i, mode int, k1, k2, k3 uint64) (keyStart, keyEnd, next int)
