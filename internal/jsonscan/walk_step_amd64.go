package jsonscan

// csvStep is documented in walk_step.go; in walk_step_amd64.s.
//
//go:noescape
func csvStep(q []byte, i, mode int) (keyStart, keyEnd, next int)
