package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
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
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	_, err := fmt.Fprintf(c.Stdout, "kubeprivpod %s (%s %s/%s)\n", versionString(version, info), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// Usage writes the command's help.
func (c *VersionCommand) Usage(w io.Writer) {
	fmt.Fprint(w, `Usage: kubeprivpod version

Prints the version: the one set at build time with
-ldflags "-X main.version=...", else the module version or the VCS
revision Go recorded in the binary.
`)
}

// versionString picks the most precise version available: the one set
// at link time, a released module version (go install ...@v1.2.3), or
// the commit the binary was built from, marked when the tree was dirty.
func versionString(linked string, info *debug.BuildInfo) string {
	if linked != "" {
		return linked
	}
	if info == nil {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "devel-" + rev
	if dirty {
		v += "-dirty"
	}
	if at != "" {
		v += " " + at
	}
	return v
}
