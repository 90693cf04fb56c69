package auditlog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/eventlist"
)

// readAll drains r, returning each event and each error message in order
// (events as "ev <line>: <bytes>", errors as "err: <message>").
func readAll(t *testing.T, r *Reader) []string {
	t.Helper()
	var out []string
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("reader does not reach EOF")
		}
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		var pe *ParseError
		switch {
		case errors.As(err, &pe):
			out = append(out, "err: "+err.Error())
		case err != nil:
			out = append(out, "fatal: "+err.Error())
			if _, again := r.Next(); again == nil || again.Error() != err.Error() {
				t.Errorf("fatal error not sticky: then %v", again)
			}
			return out
		default:
			out = append(out, "ev "+itoa(r.Line())+": "+string(ev))
		}
	}
}

func itoa(n int) string { return fmt.Sprintf("%03d", n) }

func check(t *testing.T, input string, want ...string) {
	t.Helper()
	got := readAll(t, NewReader(strings.NewReader(input), "in.log"))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("input %q\n got: %q\nwant: %q", input, got, want)
	}
}

const (
	ev1 = `{"kind":"Event","auditID":"a1","verb":"create"}`
	ev2 = `{"kind":"Event","auditID":"a2","verb":"get"}`
)

func TestJSONLines(t *testing.T) {
	check(t, ev1+"\n"+ev2+"\n", "ev 001: "+ev1, "ev 002: "+ev2)
	check(t, "") // empty file: no events, no errors
	check(t, "\n\n  \n")
	check(t, ev1, "ev 001: "+ev1)                                       // no final newline
	check(t, ev1+"\r\n\r\n"+ev2+"\r\n", "ev 001: "+ev1, "ev 003: "+ev2) // CRLF, blank line
	check(t, "\xef\xbb\xbf"+ev1+"\n", "ev 001: "+ev1)                   // byte order mark
	check(t, "  "+ev1+"\t\n", "ev 001: "+ev1)
}

func TestNonAuditObjectPassesThrough(t *testing.T) {
	// Splunk would index these as _raw; the detection decides.
	aks := `{"category":"kube-audit","properties":{"log":"{\"kind\":\"Event\"}"}}`
	check(t, aks+"\n"+`{"kind": 0}`+"\n", "ev 001: "+aks, `ev 002: {"kind": 0}`)
	// Text that mentions EventList without being one.
	odd := `{"kind":"Event","auditID":"x","note":"EventList \u0041"}`
	check(t, odd+"\n", "ev 001: "+odd)
}

func TestBadLinesAreReportedAndSkipped(t *testing.T) {
	check(t, ev1+"\n"+`{"kind":"Event",}`+"\nnot json\n"+ev2+"\n[1,2]\n42\n"+`  {"a":tru}`+"\n",
		"ev 001: "+ev1,
		`err: in.log:2:17: not valid JSON: unexpected '}' where an object key belongs`,
		`err: in.log:3:1: not valid JSON: invalid literal`,
		"ev 004: "+ev2,
		"err: in.log:5: JSON value is not an object",
		"err: in.log:6: JSON value is not an object",
		`err: in.log:7:8: not valid JSON: invalid literal`,
	)
	// A truncated last line, as a log being written or cut leaves it.
	check(t, ev1+"\n"+ev2[:20], "ev 001: "+ev1,
		"err: in.log:2:17: not valid JSON: unterminated string")
}

func TestEventList(t *testing.T) {
	list := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + ev1 + `, ` + ev2 + `]}`
	check(t, ev2+"\n"+list+"\n"+ev1+"\n", "ev 001: "+ev2, "ev 002: "+ev1, "ev 002: "+ev2, "ev 003: "+ev1)
	check(t, `{"kind":"EventList","items":[]}`+"\n"+`{"kind":"EventList"}`+"\n"+ev1, "ev 003: "+ev1)
	// A bad item: the items before it are kept, the error names it.
	check(t, `{"kind":"EventList","items":[`+ev1+`,7,`+ev2+`]}`+"\n"+ev2,
		"ev 001: "+ev1,
		"err: in.log:1: audit document: items[1]: EventList item is not a JSON object",
		"ev 002: "+ev2)
	check(t, `{"kind":"EventList","items":{}}`,
		"err: in.log:1: audit document: neither an audit EventList nor an audit Event")
	// kind written with escapes is still an EventList.
	check(t, `{"kind":"Event\u004cist","items":[`+ev1+`]}`, "ev 001: "+ev1)
}

func TestEventListErrorIsTyped(t *testing.T) {
	r := NewReader(strings.NewReader(`{"kind":"EventList","items":[1]}`), "x")
	_, err := r.Next()
	var pe *ParseError
	if !errors.As(err, &pe) || !errors.Is(err, eventlist.ErrItem) || pe.Line != 1 {
		t.Fatalf("got %#v", err)
	}
}

func TestPrettyPrinted(t *testing.T) {
	pretty := "{\n  \"kind\": \"EventList\",\n  \"items\": [\n    {\n      \"kind\": \"Event\",\n      \"auditID\": \"p1\",\n      \"note\": \"} ] { [ \\\" \"\n    }\n  ]\n}\n"
	item := "{\n      \"kind\": \"Event\",\n      \"auditID\": \"p1\",\n      \"note\": \"} ] { [ \\\" \"\n    }"
	check(t, ev1+"\n"+pretty+ev2+"\n", "ev 001: "+ev1, "ev 002: "+item, "ev 012: "+ev2)

	single := "{\r\n \"kind\": \"Event\",\r\n \"auditID\": \"p2\"\r\n}\r\n"
	check(t, single, "ev 001: {\n \"kind\": \"Event\",\n \"auditID\": \"p2\"\n}")

	// Errors inside are placed on their own line.
	check(t, "{\n  \"kind\": \"Event\",\n  \"auditID\": p3\n}\n"+ev1,
		"err: in.log:3:14: not valid JSON: unexpected 'p' where a value belongs",
		"ev 005: "+ev1)
	check(t, ev1+"\n{\n  \"kind\": \"Event\",\n", "ev 001: "+ev1,
		"err: in.log:2: JSON document not terminated at end of input (lines 2-3)")
	check(t, "[\n1,\n2\n]\n"+ev1, "err: in.log:1: JSON value is not an object", "ev 005: "+ev1)
}

func TestMaxDocumentSize(t *testing.T) {
	r := NewReader(strings.NewReader(ev1+"\n"+strings.Repeat("x", 100)+"\n"+ev2+"\n{\n\"a\":\""+strings.Repeat("y", 100)+"\"\n}\n"+ev1), "in.log")
	r.MaxDocumentSize = len(ev1)
	got := readAll(t, r)
	want := []string{"ev 001: " + ev1,
		"err: in.log:2: document longer than the reader's MaxDocumentSize",
		"ev 003: " + ev2,
		"err: in.log:4: document longer than the reader's MaxDocumentSize",
		"ev 007: " + ev1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestLineLongerThanBuffer(t *testing.T) {
	big := `{"kind":"Event","auditID":"big","pad":"` + strings.Repeat("z", 700<<10) + `"}`
	var want []string
	for i := 1; i <= 3; i++ {
		want = append(want, "ev "+itoa(2*i-1)+": "+ev1, "ev "+itoa(2*i)+": "+big)
	}
	check(t, strings.Repeat(ev1+"\n"+big+"\n", 3), want...)
	// Too long and longer than the buffer: skipped, next line intact.
	r := NewReader(strings.NewReader(big+"\n"+ev1+"\n"), "in.log")
	r.MaxDocumentSize = 300 << 10
	got := readAll(t, r)
	if !reflect.DeepEqual(got, []string{"err: in.log:1: document longer than the reader's MaxDocumentSize", "ev 002: " + ev1}) {
		t.Errorf("got %q", got)
	}
}

func gz(t testing.TB, s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGzipByContent(t *testing.T) {
	check(t, gz(t, ev1+"\nbad\n"+ev2+"\n"), "ev 001: "+ev1,
		"err: in.log:2:1: not valid JSON: unexpected 'b' where a value belongs",
		"ev 003: "+ev2)
	// Concatenated members, as `cat a.gz b.gz` makes.
	check(t, gz(t, ev1+"\n")+gz(t, ev2+"\n"), "ev 001: "+ev1, "ev 002: "+ev2)
	// Damage is fatal and says where reading stopped.
	whole := gz(t, strings.Repeat(ev1+"\n", 1000))
	cut := whole[:len(whole)-20]
	check(t, cut, truncatedGzip(t, cut)...)
	check(t, "\x1f\x8bnot gzip", "fatal: in.log: gzip: gzip: invalid header")
}

// truncatedGzip returns the expected outcome of reading a cut gzip
// stream: every whole line, then an unexpected-EOF error.
func truncatedGzip(t *testing.T, s string) []string {
	zr, err := gzip.NewReader(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("setup: %v", err)
	}
	n := bytes.Count(plain, []byte("\n"))
	if n < 1 || n > 999 {
		t.Fatalf("setup: %d lines survive", n)
	}
	out := make([]string, 0, n+1)
	for i := 1; i <= n; i++ {
		out = append(out, "ev "+itoa(i)+": "+ev1)
	}
	return append(out, fmt.Sprintf("fatal: in.log:%d: unexpected EOF", n+1))
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(p, []byte(gz(t, ev1+"\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, r); !reflect.DeepEqual(got, []string{"ev 001: " + ev1}) {
		t.Errorf("got %q", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	r, err = Open("-", strings.NewReader(ev2))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name() != "-" {
		t.Errorf("name %q", r.Name())
	}
	if got := readAll(t, r); !reflect.DeepEqual(got, []string{"ev 001: " + ev2}) {
		t.Errorf("got %q", got)
	}

	if _, err := Open(filepath.Join(dir, "missing.log"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(dir, nil); err == nil || err.Error() != dir+": is a directory" {
		t.Errorf("directory: %v", err)
	}
}
