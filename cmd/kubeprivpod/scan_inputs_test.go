package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

const envelopes = "../../internal/extended/testdata/envelopes"

func envelope(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(envelopes, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func rowsOf(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	for _, r := range readCSV(t, out) {
		got = append(got, r["namespace"]+"/"+r["name"]+" "+r["outcome"]+" "+r["src_ip"]+" "+r["firstTime"]+": "+strings.ReplaceAll(r["reasons"], "\n", ","))
	}
	return got
}

// gcloud logging read --format=json writes one JSON array of LogEntries:
// every entry in it is read (before, the whole array was one bad document).
func TestScanGcloudJSONArray(t *testing.T) {
	code, out, errs := scanWith(t, newDetector, envelope(t, "gke-array.json"), "--mode", "extended", "--format", "csv")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	equalRows(t, rowsOf(t, out), []string{
		"default/image-without-attestation allowed 179.220.250.109 2019-02-15T10:20:30.823262Z: privileged",
		"default/image-without-attestation denied 179.220.250.109 2019-02-15T11:43:23.897797Z: privileged",
	})
}

func equalRows(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Every envelope file, scanned as a file: pretty-printed ones as one
// document, JSON-lines ones per line, each found once.
func TestScanEnvelopeFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(envelopes, "*.json"))
	if err != nil || len(files) < 14 {
		t.Fatalf("%d envelope files (%v)", len(files), err)
	}
	for _, f := range files {
		code, out, errs := scanWith(t, newDetector, "", "--mode", "extended", "--format", "csv", f)
		rows := rowsOf(t, out)
		want := 1
		if strings.HasSuffix(f, "gke-array.json") {
			want = 2
		}
		if code != 0 || errs != "" || len(rows) != want {
			t.Errorf("%s: exit %d, stderr %q, rows %q", filepath.Base(f), code, errs, rows)
		}
	}
}

// A file PowerShell wrote ("> file": UTF-16LE with a byte order mark) is
// decoded, and stderr says so.
func TestScanUTF16(t *testing.T) {
	var b []byte
	for _, u := range utf16.Encode([]rune("\uFEFF" + strings.ReplaceAll(envelope(t, "audit-event.json"), "\n", "\r\n"))) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	code, out, errs := scanWith(t, newDetector, string(b), "--mode", "extended", "--format", "csv")
	if code != 0 || errs != "kubeprivpod: -: decoded from UTF-16LE (byte order mark)\n" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	equalRows(t, rowsOf(t, out), []string{"default/nginx-deployment-5cdcc99dbf-rgw6z allowed 172.31.35.83 2018-10-25T14:09:12.572676Z: privileged"})
}

// Concatenated pretty-printed documents (jq . output) with one cut short:
// the documents after it are read, and exactly one is reported lost.
func TestScanPrettyResync(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(envelope(t, "audit-event.json")), &v); err != nil {
		t.Fatal(err)
	}
	pretty, _ := json.MarshalIndent(v, "", "  ")
	cut := pretty[:len(pretty)/2]
	other := strings.Replace(string(pretty), "a362d22b", "b362d22b", 1)
	in := string(cut) + "\n" + other + "\n" + string(cut) + "\n"
	code, out, errs := scanWith(t, newDetector, in, "--mode", "extended", "--format", "csv")
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(errs, "-:1: JSON document not terminated at end of input (lines 1-") ||
		!strings.HasSuffix(errs, "kubeprivpod: 2 bad documents skipped; the result covers the rest\n") {
		t.Errorf("stderr %q", errs)
	}
	equalRows(t, rowsOf(t, out), []string{"default/nginx-deployment-5cdcc99dbf-rgw6z allowed 172.31.35.83 2018-10-25T14:09:12.572676Z: privileged"})
}

// JSON objects that are no audit event in a known envelope are counted
// in one warning on stderr, naming one's top-level keys.
func TestScanUnknownObjectsWarn(t *testing.T) {
	in := `{"preview":false,"result":{"_raw":"x"}}` + "\n" + `{"preview":true,"result":{}}` + "\n" + envelope(t, "audit-event.json")
	code, out, errs := scanWith(t, newDetector, in, "--mode", "extended", "--format", "csv")
	want := "kubeprivpod: warning: kubeprivpod mode=extended ignored 2 JSON objects that are neither a Kubernetes audit event nor a known envelope of one " +
		"(one has the top-level keys: preview, result): if they hold audit events, send the events themselves or one of the envelopes docs/extended.md lists\n"
	if code != 0 || errs != want {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if len(rowsOf(t, out)) != 1 {
		t.Errorf("rows %q", rowsOf(t, out))
	}
}
