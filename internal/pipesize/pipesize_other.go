//go:build !linux

package pipesize

import "os"

// grow does nothing where a pipe's capacity cannot be set.
func grow(f *os.File, size int) int { return 0 }
