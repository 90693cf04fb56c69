package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummary runs `go test -json` on a small module with a passing, a
// skipped and a failing test and checks the summary counts and names them.
func TestSummary(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.26\n")
	write("m_test.go", `package m

import "testing"

func TestPass(t *testing.T) {}
func TestSkip(t *testing.T) { t.Skip("../shared is absent") }
func TestSub(t *testing.T) {
	t.Run("skipped", func(t *testing.T) { t.Skipf("no %s on PATH", "openssl") })
}
func TestFail(t *testing.T) { t.Log("details"); t.Error("wrong answer") }
`)
	cmd := exec.Command("go", "test", "-json", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	js, _ := cmd.Output() // fails: one test fails
	var out bytes.Buffer
	code := run(bytes.NewReader(js), &out)
	got := out.String()
	for _, want := range []string{
		"FAIL\texample.com/m\t",
		"--- FAIL: example.com/m TestFail\n",
		"wrong answer",
		"go test: 2 passed, 1 failed, 2 skipped\n",
		"  SKIP example.com/m TestSkip: m_test.go:6: ../shared is absent\n",
		"  SKIP example.com/m TestSub/skipped: m_test.go:8: no openssl on PATH\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if code != 1 {
		t.Errorf("exit %d with a failing test, want 1", code)
	}
	// TestSub passes (its subtest skipped); TestPass passes: 2 passed.
	out.Reset()
	if code := run(strings.NewReader(`{"Action":"pass","Package":"p","Elapsed":0.1}`+"\n"), &out); code != 0 || !strings.Contains(out.String(), "ok  \tp\t0.100s") {
		t.Errorf("passing package: exit %d, %q", code, out.String())
	}
}
