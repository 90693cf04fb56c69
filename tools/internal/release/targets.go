// Package release holds what the build tools share about a release: the
// programs and platforms of tools/targets.txt (which build.sh reads too),
// and the Binary File Declaration generated from the built programs' own
// build information.
package release

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Platform is a folder of the package holding one build of every program.
type Platform struct {
	GOOS, GOARCH string // empty for a fallback folder
	Dir          string // "linux_x86_64/bin"
	Ext          string // ".exe" on Windows
	Format       string // "elf", "macho" or "pe"
	CopyOf       string // for a fallback: the Dir it copies
}

// Name describes the platform for people: "Linux x86-64", or the fallback.
func (p Platform) Name() string {
	if p.CopyOf != "" {
		return "fallback (copy of " + p.CopyOf + ")"
	}
	os := map[string]string{"linux": "Linux", "darwin": "macOS", "windows": "Windows"}[p.GOOS]
	if os == "" {
		os = p.GOOS
	}
	arch := map[string]string{"amd64": "x86-64", "arm64": "ARM64"}[p.GOARCH]
	if arch == "" {
		arch = p.GOARCH
	}
	return os + " " + arch
}

// Targets is the content of tools/targets.txt.
type Targets struct {
	Programs  []string
	Platforms []Platform // platform lines in order, then fallbacks
}

// Files returns every program path of the package, relative to its top
// folder, platform by platform.
func (t *Targets) Files() []string {
	var out []string
	for _, p := range t.Platforms {
		for _, prog := range t.Programs {
			out = append(out, p.Dir+"/"+prog+p.Ext)
		}
	}
	return out
}

// LoadTargets reads a targets file.
func LoadTargets(path string) (*Targets, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTargets(path, b)
}

// ParseTargets parses a targets file; name is used in errors.
func ParseTargets(name string, data []byte) (*Targets, error) {
	t := &Targets{}
	var fallbacks [][2]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, a...))
		}
		switch {
		case f[0] == "program" && len(f) == 2:
			t.Programs = append(t.Programs, f[1])
		case f[0] == "platform" && len(f) == 4:
			goos, goarch, ok := strings.Cut(f[1], "/")
			if !ok || goos == "" || goarch == "" {
				return nil, bad("%q is not GOOS/GOARCH", f[1])
			}
			if !slices.Contains([]string{"elf", "macho", "pe"}, f[3]) {
				return nil, bad("format %q is not elf, macho or pe", f[3])
			}
			ext := ""
			if goos == "windows" {
				ext = ".exe"
			}
			t.Platforms = append(t.Platforms, Platform{GOOS: goos, GOARCH: goarch, Dir: f[2] + "/bin", Ext: ext, Format: f[3]})
		case f[0] == "fallback" && len(f) == 3:
			fallbacks = append(fallbacks, [2]string{f[1], f[2] + "/bin"})
		default:
			return nil, bad("want \"program NAME\", \"platform GOOS/GOARCH FOLDER FORMAT\" or \"fallback FOLDER PLATFORM-FOLDER\", got %q", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, fb := range fallbacks {
		i := slices.IndexFunc(t.Platforms, func(p Platform) bool { return p.Dir == fb[1] })
		if i < 0 {
			return nil, fmt.Errorf("%s: fallback %s copies %s, which is no platform folder", name, fb[0], fb[1])
		}
		p := t.Platforms[i]
		t.Platforms = append(t.Platforms, Platform{Dir: fb[0], Ext: p.Ext, Format: p.Format, CopyOf: p.Dir})
	}
	if len(t.Programs) == 0 || len(t.Platforms) == 0 {
		return nil, fmt.Errorf("%s: names no program or no platform", name)
	}
	return t, nil
}
