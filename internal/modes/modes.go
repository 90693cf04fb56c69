// Package modes maps the names users type (mode=escu, mode=extended) to
// the detections that implement them.
package modes

import (
	"fmt"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/internal/escu"
	"github.com/kubeprivpod/kubeprivpod/internal/extended"
)

// Default is the mode used when none is given: the ESCU search, exactly.
const Default = "escu"

// Names lists the modes in the order the usage text shows them.
var Names = []string{"escu", "extended"}

// New returns a fresh detector for the named mode.
func New(mode string) (detect.Detector, error) {
	switch mode {
	case "escu":
		return escu.New(), nil
	case "extended":
		return extended.New(), nil
	}
	return nil, fmt.Errorf("unknown mode %q (want one of %s)", mode, strings.Join(Names, ", "))
}
