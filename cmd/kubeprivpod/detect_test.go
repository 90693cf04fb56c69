package main

import (
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

// These tests run scan end to end with the real detections (newDetector).

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const sample = "../../testdata/audit.log"

// golden compares got with testdata/golden/name, or rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -run %s -update rewrites it)\n got:\n%s", p, t.Name(), got)
	}
}

// TestScanSampleESCU is the README's first command: the default mode
// over the bundled sample, in each format. The table's content is
// internal/escu's to assert; this checks what the user sees.
func TestScanSampleESCU(t *testing.T) {
	for _, f := range []struct{ format, file string }{{"table", "sample-escu.txt"}, {"csv", "sample-escu.csv"}, {"json", "sample-escu.json"}} {
		code, out, errs := scanWith(t, newDetector, "", "--format", f.format, sample)
		if code != 0 {
			t.Errorf("%s: exit %d, stderr %q", f.format, code, errs)
		}
		wantErr := ""
		if f.format == "table" {
			wantErr = "kubeprivpod: 118 events scanned in 1 file: 8 results\n"
		}
		if errs != wantErr {
			t.Errorf("%s: stderr %q, want %q", f.format, errs, wantErr)
		}
		golden(t, f.file, out)
	}
	// The default mode is escu; stdin works the same.
	in, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	_, out, _ := scanWith(t, newDetector, string(in), "--mode", "escu", "--format", "csv", "-")
	golden(t, "sample-escu.csv", out)
}

// readCSV parses scan's CSV output into rows keyed by column.
func readCSV(t *testing.T, s string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("csv: %v in %q", err, s)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = rec[i]
		}
		rows = append(rows, m)
	}
	return rows
}

func TestScanSampleExtended(t *testing.T) {
	code, out, errs := scanWith(t, newDetector, "", "--mode", "extended", "--format", "csv", sample)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	// The sample has one pod create logged at Metadata level: the mode
	// warns that it cannot see inside it.
	if !strings.HasPrefix(errs, "kubeprivpod: warning: ") || strings.Count(errs, "\n") != 1 {
		t.Errorf("stderr %q", errs)
	}
	var got []string
	for _, r := range readCSV(t, out) {
		got = append(got, r["namespace"]+"/"+r["name"]+" "+strings.TrimSuffix(r["resource"]+"/"+r["subresource"], "/")+" "+r["verb"]+" "+r["outcome"]+": "+strings.ReplaceAll(r["reasons"], "\n", ","))
	}
	slices.Sort(got)
	// One line per scenario of testdata/README.md that extended mode catches.
	want := []string{
		"default/host-inspect pods create allowed: hostPath:/,hostPID",
		"default/node-shell pods create allowed: privileged,hostPID,hostNetwork",
		"default/node-shell pods update allowed: privileged,hostPID,hostNetwork",
		"kube-system/cni-repair pods create dry-run: privileged,hostNetwork",
		"monitoring/log-shipper deployments create allowed: privileged,hostPath:/var/log",
		"monitoring/log-shipper-7f5c9d8b64-g7mhn pods create allowed: privileged,hostPath:/var/log",
		"payments/debug-tools pods create allowed: privileged",
		"shop/checkout deployments patch allowed: privileged",
		"shop/miner pods create denied: privileged",
		"shop/sysctl-tuner pods create allowed: privileged",
		"shop/web-6b7f9c5d4-qk8zt pods/ephemeralcontainers patch allowed: privileged",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// fixtureFiles lists the audit event files of the shared fixtures.
func fixtureFiles(t *testing.T) []string {
	dir := sharedtest.Dir(t, "fixtures", "audit")
	var files []string
	for _, pat := range []string{"*/*.json", "*/*.jsonl", "*/*.log"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, "_expected.json") {
				files = append(files, f)
			}
		}
	}
	if len(files) != 59 {
		t.Fatalf("%d fixture files, want 59", len(files))
	}
	return files
}

// TestScanFixtures runs both modes over every real audit event collected
// upstream: the ESCU search finds nothing (no event carries the
// kubectl last-applied annotation, see the fixtures README), the extended
// mode finds the privileged pods.
func TestScanFixtures(t *testing.T) {
	files := fixtureFiles(t)
	code, out, errs := scanWith(t, newDetector, "", append([]string{"--format", "csv"}, files...)...)
	if code != 0 || errs != "" || len(readCSV(t, out)) != 0 {
		t.Errorf("escu: exit %d, stderr %q, out %q", code, errs, out)
	}

	code, out, errs = scanWith(t, newDetector, "", append([]string{"--mode", "extended", "--format", "csv"}, files...)...)
	if code != 0 || !strings.HasPrefix(errs, "kubeprivpod: warning: ") {
		t.Errorf("extended: exit %d, stderr %q", code, errs)
	}
	privileged := 0
	for _, r := range readCSV(t, out) {
		if r["reasons"] == "" || r["message"] == "" {
			t.Errorf("row without reasons or message: %v", r)
		}
		if slices.Contains(strings.Split(r["reasons"], "\n"), "privileged") {
			privileged++
		}
	}
	if privileged == 0 {
		t.Error("extended mode found no privileged pod in the fixtures")
	}
}
