package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun renders the repository's app/ into an empty folder, then finds
// nothing stale with -check, then reports a file edited by hand.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join("..", "..", "app")
	var out, errb bytes.Buffer
	if code := run([]string{"-app", app, "-default", dir}, &out, &errb); code != 0 {
		t.Fatalf("render: exit %d: %s", code, errb.String())
	}
	if got := out.String(); !strings.Contains(got, "wrote "+filepath.Join(dir, "macros.conf")) || !strings.Contains(got, "savedsearches.conf") {
		t.Errorf("render printed %q", got)
	}
	want, _ := os.ReadFile(filepath.Join("..", "..", "default", "savedsearches.conf"))
	if got, _ := os.ReadFile(filepath.Join(dir, "savedsearches.conf")); !bytes.Equal(got, want) {
		t.Error("rendering differs from the committed default/savedsearches.conf")
	}
	errb.Reset()
	if code := run([]string{"-app", app, "-default", dir, "-check"}, &out, &errb); code != 0 {
		t.Fatalf("-check on fresh files: exit %d: %s", code, errb.String())
	}
	os.WriteFile(filepath.Join(dir, "macros.conf"), []byte("[kube_audit]\ndefinition = index=main\n"), 0o644)
	if code := run([]string{"-app", app, "-default", dir, "-check"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "macros.conf is stale; run ./build.sh conf") {
		t.Fatalf("-check on an edited file: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"-app", t.TempDir(), "-default", dir}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "no detections") {
		t.Fatalf("empty app/: exit %d: %s", code, errb.String())
	}
}
