package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"

	"github.com/tidwall/gjson"
)

// countDetector is a test double for a detection: it counts events per
// (objectRef.name, verb) and lists their users, enough to see which
// events reached it.
type countDetector struct {
	groups  map[[2]string]*countGroup
	notJSON int
}

type countGroup struct {
	count int
	users []string
}

func newCountDetector(mode string) (detect.Detector, error) {
	if mode != "escu" {
		return nil, fmt.Errorf("unknown mode %q (want one of escu)", mode)
	}
	return &countDetector{groups: map[[2]string]*countGroup{}}, nil
}

func (d *countDetector) AddEvent(raw []byte) {
	if !gjson.ValidBytes(raw) {
		d.notJSON++
		return
	}
	k := [2]string{gjson.GetBytes(raw, "objectRef.name").String(), gjson.GetBytes(raw, "verb").String()}
	g := d.groups[k]
	if g == nil {
		g = &countGroup{}
		d.groups[k] = g
	}
	g.count++
	if u := gjson.GetBytes(raw, "user.username").String(); !slices.Contains(g.users, u) {
		g.users = append(g.users, u)
		slices.Sort(g.users)
	}
}

func (d *countDetector) AddPartial([]byte) error        { return fmt.Errorf("not used") }
func (d *countDetector) Flush(func([]byte) error) error { return nil }
func (d *countDetector) Messages() []string {
	if d.notJSON > 0 {
		return []string{fmt.Sprintf("WARN: %d events were not JSON", d.notJSON)}
	}
	return nil
}

func (d *countDetector) Result() detect.Table {
	t := detect.Table{Columns: []string{"objectRef.name", "verb", "count", "users"}}
	keys := make([][2]string, 0, len(d.groups))
	for k := range d.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	for _, k := range keys {
		g := d.groups[k]
		var name []string
		if k[0] != "" {
			name = []string{k[0]}
		}
		t.Rows = append(t.Rows, detect.Row{name, {k[1]}, {strconv.Itoa(g.count)}, g.users})
	}
	return t
}

// scan runs 'kubeprivpod scan args...' with the test double.
func scan(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return scanWith(t, newCountDetector, stdin, args...)
}

func scanWith(t *testing.T, nd func(string) (detect.Detector, error), stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}
	c := m.scanCommand()
	c.NewDetector = nd
	err := c.Run(context.Background(), args)
	// Map the error to the exit code as Main.Run does.
	code = m.exitCode("scan", err)
	return code, out.String(), errb.String()
}

func TestScanFormats(t *testing.T) {
	for _, tc := range []struct {
		format, want string
	}{
		{"csv", "objectRef.name,verb,count,users\n" +
			"toolbox,create,2,\"alice@example.com\ncarol@example.com\"\n" +
			"toolbox,get,1,bob@example.com\n"},
		// count is a number in the default mode's JSON schema; users is in
		// none, so it stays untyped.
		{"json", `{"objectRef.name":"toolbox","verb":"create","count":2,"users":["alice@example.com","carol@example.com"]}` + "\n" +
			`{"objectRef.name":"toolbox","verb":"get","count":1,"users":"bob@example.com"}` + "\n"},
		{"table", "" +
			"objectRef.name  verb    count  users\n" +
			"toolbox         create  2      alice@example.com\n" +
			"                               carol@example.com\n" +
			"\n" +
			"toolbox         get     1      bob@example.com\n"},
	} {
		code, out, errs := scan(t, "", "--format", tc.format, "testdata/events.log")
		if code != 0 || out != tc.want {
			t.Errorf("--format %s: code %d\n got %q\nwant %q", tc.format, code, out, tc.want)
		}
		wantErr := ""
		if tc.format == "table" {
			wantErr = "kubeprivpod: 3 events scanned in 1 file: 2 results\n"
		}
		if errs != wantErr {
			t.Errorf("--format %s: stderr %q, want %q", tc.format, errs, wantErr)
		}
	}
}

func TestScanInputKinds(t *testing.T) {
	// JSON lines, a pretty-printed EventList, a gzip file without .gz in
	// its name, an empty file and stdin, in one run; flags after files.
	stdin, err := os.ReadFile("testdata/events.log")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := scan(t, string(stdin), "testdata/eventlist.json", "testdata/rotated.log.1", "testdata/empty.log", "-", "--format=csv")
	want := "objectRef.name,verb,count,users\n" +
		"coredns,update,1,system:serviceaccount:kube-system:deployer\n" +
		"toolbox,create,4,\"alice@example.com\ncarol@example.com\"\n" +
		"toolbox,delete,1,bob@example.com\n" +
		"toolbox,get,1,bob@example.com\n"
	if code != 0 || out != want || errs != "" {
		t.Errorf("code %d\n got %q\nwant %q\nstderr %q", code, out, want, errs)
	}
	// No file at all reads stdin.
	code, out, _ = scan(t, string(stdin), "--format", "csv")
	if code != 0 || out != "objectRef.name,verb,count,users\ntoolbox,create,2,\"alice@example.com\ncarol@example.com\"\ntoolbox,get,1,bob@example.com\n" {
		t.Errorf("stdin: code %d out %q", code, out)
	}
	// "--" ends the flags: a file may then start with a dash.
	code, _, errs = scan(t, "", "--format=csv", "--", "-", "--format")
	if code != exitError || errs != "kubeprivpod: --format: not found\nkubeprivpod: 1 file not found; the result covers the rest\n" {
		t.Errorf("after --: code %d err %q", code, errs)
	}
}

func TestScanEmptyResult(t *testing.T) {
	code, out, errs := scan(t, "", "testdata/empty.log")
	if code != 0 || out != "objectRef.name  verb  count  users\n" || errs != "kubeprivpod: 0 events scanned in 1 file: 0 results\n" {
		t.Errorf("code %d out %q err %q", code, out, errs)
	}
}

func TestScanBadInput(t *testing.T) {
	code, out, errs := scan(t, "", "--format", "csv", "testdata/bad.log", "testdata/missing.log", "testdata/events.log")
	wantOut := "objectRef.name,verb,count,users\n" +
		"toolbox,create,3,\"alice@example.com\ncarol@example.com\"\n" +
		"toolbox,get,2,bob@example.com\n"
	wantErr := "" +
		"kubeprivpod: skipped testdata/bad.log:2:83: not valid JSON: unexpected end of input\n" +
		"kubeprivpod: skipped testdata/bad.log:3:1: not valid JSON: unexpected 'N' where a value belongs\n" +
		"kubeprivpod: testdata/missing.log: not found\n" +
		"kubeprivpod: 2 bad documents skipped, 1 file not found; the result covers the rest\n"
	if code != exitError || out != wantOut || errs != wantErr {
		t.Errorf("code %d\nstdout %q\nwant   %q\nstderr %q\nwant   %q", code, out, wantOut, errs, wantErr)
	}
}

func TestScanManyBadLinesAreCounted(t *testing.T) {
	in := strings.Repeat("garbage\n", 25) + "{\"verb\":\"get\"}\n"
	code, out, errs := scan(t, in, "--format", "json")
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	if code != exitError || out != `{"verb":"get","count":1,"users":""}`+"\n" || len(lines) != 12 ||
		lines[9] != "kubeprivpod: skipped -:10:1: not valid JSON: unexpected 'g' where a value belongs" ||
		lines[10] != "kubeprivpod: -: 15 more bad documents skipped" ||
		lines[11] != "kubeprivpod: 25 bad documents skipped; the result covers the rest" {
		t.Errorf("code %d out %q\nstderr:\n%s", code, out, errs)
	}
}

func TestScanUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--format", "xml"}, `kubeprivpod scan: unknown format "xml" (want table, csv or json)`},
		{[]string{"--mode", "bogus"}, `kubeprivpod scan: unknown mode "bogus" (want one of escu)`},
		{[]string{"--frmat", "csv"}, `kubeprivpod scan: flag provided but not defined: -frmat`},
		{[]string{"file", "--format"}, `kubeprivpod scan: flag needs an argument: -format`},
	} {
		code, out, errs := scan(t, "", tc.args...)
		want := tc.want + "\nRun 'kubeprivpod help scan' for usage.\n"
		if code != exitUsage || out != "" || errs != want {
			t.Errorf("%q: code %d out %q\nstderr %q\nwant   %q", tc.args, code, out, errs, want)
		}
	}
}

// TestScanSharedFixtures reads every audit fixture collected from upstream
// projects: all 156 events must reach the detection, none may be lost.
// (The fixtures README's per-file table adds up to 156; its summary line
// says 162.)
func TestScanSharedFixtures(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures", "audit")
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
		case strings.HasSuffix(p, ".jsonl"), strings.HasSuffix(p, ".log"),
			strings.HasSuffix(p, ".json") && !strings.HasSuffix(p, "_expected.json"):
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs := scan(t, "", append([]string{"--format", "table"}, files...)...)
	want := fmt.Sprintf("kubeprivpod: 156 events scanned in %d files: ", len(files))
	if code != 0 || !strings.HasPrefix(errs, want) {
		t.Errorf("code %d stderr %q, want prefix %q", code, errs, want)
	}
}
