package main

import (
	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/internal/modes"
)

// newDetector returns a fresh detector for the named mode.
func newDetector(mode string) (detect.Detector, error) { return modes.New(mode) }
