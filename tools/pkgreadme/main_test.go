package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadme writes the package README for a real build of the input
// program: package.md, then a declaration row per packaged copy; and names
// the missing program when the build is absent.
func TestReadme(t *testing.T) {
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.txt")
	if err := os.WriteFile(targets, []byte("program kube_audit_webhook\nplatform linux/amd64 linux_x86_64 elf\nfallback bin linux_x86_64\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-targets", targets, "-root", dir}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "linux_x86_64/bin/kube_audit_webhook") || !strings.Contains(errb.String(), "build the programs first") {
		t.Fatalf("without a build: exit %d, %q", code, errb.String())
	}
	exe := filepath.Join(dir, "linux_x86_64", "bin", "kube_audit_webhook")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", exe, "../../cmd/kube_audit_webhook")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	b, _ := os.ReadFile(exe)
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin", "kube_audit_webhook"), b, 0o755)
	readme := filepath.Join(dir, "README.md")
	errb.Reset()
	if code := run([]string{"-targets", targets, "-root", dir, "-o", readme}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got, _ := os.ReadFile(readme)
	if !strings.HasPrefix(string(got), packageText) {
		t.Error("README does not start with package.md")
	}
	for _, want := range []string{
		"\n# Binary File Declaration\n",
		"| `linux_x86_64/bin/kube_audit_webhook` | Linux x86-64 | `github.com/kubeprivpod/kubeprivpod/cmd/kube_audit_webhook` |",
		"| `bin/kube_audit_webhook` | fallback (copy of linux_x86_64/bin) |",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("README lacks %q:\n%s", want, got)
		}
	}
}
