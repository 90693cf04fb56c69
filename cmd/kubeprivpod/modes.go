package main

import (
	"fmt"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/internal/escu"
	"github.com/kubeprivpod/kubeprivpod/internal/extended"
)

// The detection modes, by the name users type (mode=escu, --mode extended).

// defaultMode is the mode used when none is given: the ESCU search, exactly.
const defaultMode = "escu"

// modeNames lists the modes in the order the usage texts show them.
var modeNames = []string{"escu", "extended"}

// newDetector returns a fresh detector for the named mode.
func newDetector(mode string) (detect.Detector, error) {
	switch mode {
	case "escu":
		return escu.New(), nil
	case "extended":
		return extended.New(), nil
	}
	return nil, fmt.Errorf("unknown mode %q (want one of %s)", mode, strings.Join(modeNames, ", "))
}
