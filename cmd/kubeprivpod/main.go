// Command kubeprivpod finds privileged Kubernetes pods in audit events, as a
// Splunk search command and as an offline scanner.
package main

import (
	"os"

	"github.com/kubeprivpod/kubeprivpod/internal/searchcmd"
)

var _ = newDetector

func main() { os.Exit(searchcmd.Run(os.Stdin, os.Stdout, os.Stderr)) }
