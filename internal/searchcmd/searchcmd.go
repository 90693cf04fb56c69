// Package searchcmd is the kubeprivpod search command as splunkd runs it:
// it speaks the chunked protocol on stdin and stdout and drives a detection.
package searchcmd

import (
	"errors"
	"io"
)

// Run serves one splunkd conversation and returns the process exit code.
// (Being written: see issue 2.)
func Run(stdin io.Reader, stdout, stderr io.Writer) int {
	_ = errors.New
	io.WriteString(stderr, "kubeprivpod: search command not built yet\n")
	return 2
}
