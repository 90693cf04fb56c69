package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestTargetsFile reads tools/targets.txt, the list build.sh builds from,
// and checks build.sh still takes it from there rather than its own copy.
func TestTargetsFile(t *testing.T) {
	tg, err := LoadTargets(filepath.Join("..", "..", "targets.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"linux_x86_64/bin/kubeprivpod", "linux_x86_64/bin/kube_audit_webhook",
		"darwin_x86_64/bin/kubeprivpod", "darwin_x86_64/bin/kube_audit_webhook",
		"windows_x86_64/bin/kubeprivpod.exe", "windows_x86_64/bin/kube_audit_webhook.exe",
		"bin/kubeprivpod", "bin/kube_audit_webhook",
	}
	if got := tg.Files(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Files() = %q, want %q", got, want)
	}
	script, err := os.ReadFile(filepath.Join("..", "..", "..", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"kube_audit_webhook", "linux_x86_64", "windows/amd64"} {
		if strings.Contains(string(script), s) {
			t.Errorf("build.sh names %q itself; it must read programs and platforms from tools/targets.txt", s)
		}
	}
}

func TestParseTargetsErrors(t *testing.T) {
	for in, want := range map[string]string{
		"program a\nplatform linux linux_x86_64 elf\n":            "t:2: \"linux\" is not GOOS/GOARCH",
		"program a\nplatform linux/amd64 linux_x86_64 coff\n":     "t:2: format \"coff\"",
		"program a\nplatform linux/amd64 l elf\nfallback bin x\n": "fallback bin copies x/bin, which is no platform folder",
		"programme a\n": "t:1: want \"program NAME\"",
		"# nothing\n":   "names no program or no platform",
	} {
		if _, err := ParseTargets("t", []byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTargets(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

// TestDeclarationOfRealBuild builds both programs for the first platform
// and its fallback folder as build.sh does, and declares them: the
// declaration names each binary, its main package and exactly the modules
// `go version -m` lists. (tools/pkgcheck checks every platform's on the
// built package.)
func TestDeclarationOfRealBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	all, err := LoadTargets(filepath.Join("..", "..", "targets.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tg := &Targets{Programs: all.Programs, Platforms: []Platform{all.Platforms[0]}}
	for _, pl := range all.Platforms {
		if pl.CopyOf == tg.Platforms[0].Dir {
			tg.Platforms = append(tg.Platforms, pl)
		}
	}
	dir := t.TempDir()
	infos := map[string]*debug.BuildInfo{}
	for _, pl := range tg.Platforms {
		if pl.CopyOf != "" {
			continue
		}
		for _, prog := range tg.Programs {
			rel := pl.Dir + "/" + prog + pl.Ext
			out := filepath.Join(dir, filepath.FromSlash(rel))
			cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid=", "-o", out, "../../../cmd/"+prog)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+pl.GOOS, "GOARCH="+pl.GOARCH)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", rel, err, b)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if infos[rel], err = ReadBuildInfo(b); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
		}
	}
	for _, pl := range tg.Platforms {
		if pl.CopyOf != "" {
			for _, prog := range tg.Programs {
				infos[pl.Dir+"/"+prog+pl.Ext] = infos[pl.CopyOf+"/"+prog+pl.Ext]
			}
		}
	}
	decl, err := Declaration(tg, infos)
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range tg.Files() {
		bi := infos[rel]
		line := ""
		for _, l := range strings.Split(decl, "\n") {
			if strings.HasPrefix(l, "| `"+rel+"` |") {
				line = l
			}
		}
		if line == "" || !strings.Contains(line, "`"+bi.Path+"`") {
			t.Errorf("declaration has no row for %s built from %s:\n%s", rel, bi.Path, decl)
		}
		for _, d := range bi.Deps {
			if !strings.Contains(line, "`"+d.Path+"` "+d.Version) {
				t.Errorf("%s: row does not name module %s %s", rel, d.Path, d.Version)
			}
		}
		// A module the program does not link must not be declared.
		if strings.Contains(line, "yaml") {
			t.Errorf("%s: declares a YAML module, which no shipped program links: %s", rel, line)
		}
	}
	infos["bin/kubeprivpod"].Settings = append(infos["bin/kubeprivpod"].Settings, debug.BuildSetting{Key: "CGO_ENABLED", Value: "1"})
	// The later setting wins in the map Declaration builds.
	if _, err := Declaration(tg, infos); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED") {
		t.Errorf("a cgo build was declared: %v", err)
	}
}
