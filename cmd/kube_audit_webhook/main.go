// Command kube_audit_webhook is a Splunk modular input that receives the
// Kubernetes API server's audit webhook over HTTPS and writes every audit
// event to Splunk's XML event stream, exactly as the API server's log
// backend would have written it.
//
// Splunk runs it as:
//
//	kube_audit_webhook --scheme               print the introspection scheme
//	kube_audit_webhook --validate-arguments   validate one stanza (XML on stdin)
//	kube_audit_webhook                        run: configuration XML on stdin, events on stdout
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubeprivpod/kubeprivpod/internal/buildversion"
	"github.com/kubeprivpod/kubeprivpod/internal/pipesize"
)

// Scheme is the modular input's name; the executable must carry it.
const Scheme = "kube_audit_webhook"

// version is set at build time (build.sh: -ldflags "-X main.version=...");
// without it, internal/buildversion falls back to what Go recorded.
var version string

func main() {
	// Without this a write to a closed stdout kills the process with
	// SIGPIPE; we want the EPIPE error, so the batch is refused (503) and
	// the process shuts down in order.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		defer signal.Stop(sig)
		pipeBytes := 0
		if f, ok := stdout.(*os.File); ok {
			pipeBytes = pipesize.Grow(f, stdoutPipeBytes)
		}
		return runInputs(stdin, stdout, stderr, sig, pipeBytes)
	case len(args) == 1 && args[0] == "--scheme":
		if _, err := scheme().WriteTo(stdout); err != nil {
			fmt.Fprintf(stderr, "ERROR writing scheme: %v\n", err)
			return 1
		}
		return 0
	case len(args) == 1 && args[0] == "--validate-arguments":
		return validate(stdin, stdout, stderr)
	case len(args) == 1 && (args[0] == "--version" || args[0] == "version"):
		fmt.Fprintln(stdout, buildversion.Line(Scheme, version))
		return 0
	case len(args) == 1 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help"):
		fmt.Fprint(stdout, usageText)
		return 0
	}
	fmt.Fprintf(stderr, "ERROR usage: %s [--scheme | --validate-arguments | --version | --help]; Splunk runs it with the configuration XML on stdin\n", Scheme)
	return 2
}
