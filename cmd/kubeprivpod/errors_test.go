package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Errors that name the fix.

// 'scan mode=extended FILE' is SPL's spelling: it must not run the
// default mode and call mode=extended a missing file.
func TestScanSPLStyleOption(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{
		{"mode=extended", `kubeprivpod scan: "mode=extended" is not a file; options are flags here: did you mean --mode extended?`},
		{"format=json", `kubeprivpod scan: "format=json" is not a file; options are flags here: did you mean --format json?`},
	} {
		code, out, errs := scanWith(t, newDetector, "", tc.arg, sample)
		if code != exitUsage || out != "" || !strings.HasPrefix(errs, tc.want+"\n") {
			t.Errorf("scan %s FILE: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.arg, code, out, errs, tc.want)
		}
	}
	// A file that really has such a name is scanned.
	t.Chdir(t.TempDir())
	data, err := os.ReadFile(filepath.Join(origDir, sample))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("mode=escu", data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := scanWith(t, newDetector, "", "--format", "csv", "mode=escu")
	if code != 0 || strings.Count(out, "\n") < 2 {
		t.Errorf("existing file mode=escu: exit %d, stderr %q", code, errs)
	}
}

// origDir is the package directory, where the tests start.
var origDir, _ = os.Getwd()

// A missing file is "not found", not "not read to the end".
func TestScanMissingFile(t *testing.T) {
	code, _, errs := scanWith(t, newDetector, "", "--format", "csv", "testdata/no-such.log", sample)
	want := "kubeprivpod: testdata/no-such.log: not found\n" +
		"kubeprivpod: 1 file not found; the result covers the rest\n"
	if code != exitError || errs != want {
		t.Errorf("exit %d, stderr %q, want %q", code, errs, want)
	}
}

// 'kubeprivpod < audit.log' feeds audit events to the search command:
// the error says to use scan.
func TestSearchGivenAuditLog(t *testing.T) {
	log, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(log)
	zw.Close()
	const hint = "use `kubeprivpod scan -`"
	for name, in := range map[string][]byte{
		"JSON lines":  log,
		"EventList":   []byte("\n  [{\"kind\":\"EventList\"}]"),
		"gzip":        gz.Bytes(),
		"BOM and obj": append([]byte("\ufeff"), log...),
	} {
		var out, errb bytes.Buffer
		code := runSearch(bytes.NewReader(in), &out, &errb)
		if code != exitError || !strings.Contains(errb.String(), "malformed chunk header") || !strings.Contains(errb.String(), hint) {
			t.Errorf("%s: exit %d, stderr %q", name, code, errb.String())
		}
		// splunkd's side still gets its one finished ERROR reply.
		if !strings.HasPrefix(out.String(), "chunked 1.0,") || !strings.Contains(out.String(), `"finished":true`) {
			t.Errorf("%s: reply %q", name, out.String())
		}
	}
	// Input that is neither the protocol nor JSON gets no such advice.
	var errb bytes.Buffer
	if code := runSearch(strings.NewReader("chunked 1.0;3;0\n"), new(bytes.Buffer), &errb); code != exitError || strings.Contains(errb.String(), hint) {
		t.Errorf("bad header: exit %d, stderr %q", code, errb.String())
	}
}
