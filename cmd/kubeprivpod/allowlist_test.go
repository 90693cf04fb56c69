package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scan --allowlist marks rows with the Go implementation of the Splunk
// macro; it refuses the escu mode and a bad file, naming the line.
func TestScanAllowlist(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "allow.csv")
	if err := os.WriteFile(good, []byte("namespace,owner,user,images,reasons,expires,comment\n"+
		"kube-system,Pod/cni-repair,*,quay.io/calico/node:*,privileged hostNetwork,,calico repair pod\n"+
		"shop,Pod/miner,*,docker.io/xmrig/*,hostPID,,miner (wrong reasons)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := scanWith(t, newDetector, "", "--mode", "extended", "--format", "csv", "--allowlist", good, "../../testdata/audit.log")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasSuffix(lines[0], ",message,allowlisted,allowlist_note") {
		t.Errorf("header %q", lines[0])
	}
	var allowed, noted int
	for _, l := range lines[1:] {
		switch {
		case strings.HasSuffix(l, ",calico repair pod,"):
			allowed++
		case strings.Contains(l, "reasons privileged not all within entry 'miner (wrong reasons)' (hostPID)"):
			noted++
		}
	}
	if allowed != 1 || noted != 1 {
		t.Errorf("allowlisted %d, noted %d, want 1 and 1:\n%s", allowed, noted, out)
	}

	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("namespace,owner,user,images,reasons,expires,comment\nns,*,*,a,b,,c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = scanWith(t, newDetector, "", "--mode", "extended", "--allowlist", bad, "../../testdata/audit.log")
	if code == 0 || !strings.Contains(errs, bad+`:2: fields "owner" and "user" are both *`) {
		t.Errorf("bad file: code %d, %q", code, errs)
	}
	code, _, errs = scanWith(t, newDetector, "", "--allowlist", good, "../../testdata/audit.log")
	if code != exitUsage || !strings.Contains(errs, "--allowlist applies to --mode extended only") {
		t.Errorf("escu mode: code %d, %q", code, errs)
	}
}
