package release

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"runtime/debug"
	"strings"
)

// DeclarationTitle is the heading AppInspect looks for in the package's
// README when binaries ship without C source.
const DeclarationTitle = "Binary File Declaration"

// ReadBuildInfo returns the build information Go records in an executable
// of any supported format, the data `go version -m` prints.
func ReadBuildInfo(exe []byte) (*debug.BuildInfo, error) {
	return buildinfo.Read(bytes.NewReader(exe))
}

// Declaration renders the package README's Binary File Declaration from
// the build information of every program (keyed by its path in the
// package, as Targets.Files names them), so it can only say what the
// binaries hold. It fails if a program is missing, was built with cgo, or
// was built for another platform than its folder's.
func Declaration(t *Targets, infos map[string]*debug.BuildInfo) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", DeclarationTitle)
	b.WriteString("This app ships compiled Go programs and no C source. Each is built from the Go source of\n" +
		"the kubeprivpod project (Apache-2.0, see LICENSE) with `CGO_ENABLED=0`, `-trimpath` and\n" +
		"`-buildvcs=false`: a static executable with no C code. The table is generated at build time\n" +
		"from the build information Go records in each binary (what `go version -m <binary>` prints):\n" +
		"the main package, the Go release, and every module linked in besides the standard library.\n\n")
	b.WriteString("| binary | platform | built from | Go | other modules linked in |\n|---|---|---|---|---|\n")
	for _, p := range t.Platforms {
		for _, prog := range t.Programs {
			rel := p.Dir + "/" + prog + p.Ext
			bi := infos[rel]
			if bi == nil {
				return "", fmt.Errorf("%s: no build information (missing, or not a Go program)", rel)
			}
			set := map[string]string{}
			for _, s := range bi.Settings {
				set[s.Key] = s.Value
			}
			if set["CGO_ENABLED"] != "0" {
				return "", fmt.Errorf("%s: built with CGO_ENABLED=%q; the package ships static programs only", rel, set["CGO_ENABLED"])
			}
			goos, goarch := p.GOOS, p.GOARCH
			if p.CopyOf != "" {
				for _, q := range t.Platforms {
					if q.Dir == p.CopyOf {
						goos, goarch = q.GOOS, q.GOARCH
					}
				}
			}
			if set["GOOS"] != goos || set["GOARCH"] != goarch {
				return "", fmt.Errorf("%s: built for %s/%s, want %s/%s", rel, set["GOOS"], set["GOARCH"], goos, goarch)
			}
			var mods []string
			for _, d := range bi.Deps {
				m := d
				if d.Replace != nil {
					m = d.Replace
				}
				mods = append(mods, "`"+m.Path+"` "+m.Version)
			}
			deps := "none"
			if len(mods) > 0 {
				deps = strings.Join(mods, ", ")
			}
			fmt.Fprintf(&b, "| `%s` | %s | `%s` | %s | %s |\n", rel, p.Name(), bi.Path, bi.GoVersion, deps)
		}
	}
	return b.String(), nil
}
