// Package buildversion says which build of a program is running, the same way
// for both of the app's binaries: the version stamped at link time
// (build.sh passes -ldflags "-X main.version=X.Y.Z"), else what Go
// recorded in the binary: a released module version (go install ...@v1.2.3)
// or the VCS revision it was built from.
package buildversion

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Line returns the line a program prints for --version:
// "<program> <version> (<Go version> <os>/<arch>)". linked is the
// program's main.version, empty when the build did not set it.
func Line(program, linked string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return fmt.Sprintf("%s %s (%s %s/%s)", program, String(linked, info), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// String picks the most precise version available: linked when set, a
// released module version, or the commit the binary was built from
// ("devel-<12 hex digits>", "-dirty" when the tree had changes, then the
// commit time), else "devel"; "unknown" without build information.
func String(linked string, info *debug.BuildInfo) string {
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
