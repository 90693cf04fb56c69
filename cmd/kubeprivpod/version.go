package main

import (
	"context"
	"fmt"
	"io"

	"github.com/kubeprivpod/kubeprivpod/internal/buildversion"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
// Without it, the version comes from the VCS information Go records.
var version string

// VersionCommand prints the program's version.
type VersionCommand struct {
	Stdout io.Writer
}

// Run prints the version. It takes no arguments.
func (c *VersionCommand) Run(_ context.Context, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q", args[0])
	}
	_, err := fmt.Fprintln(c.Stdout, buildversion.Line("kubeprivpod", version))
	return err
}

// Usage writes the command's help.
func (c *VersionCommand) Usage(w io.Writer) {
	fmt.Fprint(w, `Usage: kubeprivpod version (or kubeprivpod --version)

Prints the version: the one set at build time with
-ldflags "-X main.version=...", else the module version or the VCS
revision Go recorded in the binary.
`)
}
