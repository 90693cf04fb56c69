package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/chunked"
	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

// --- building splunkd's side of a conversation ---------------------------

// frame writes one request as splunkd frames it.
func frame(buf *bytes.Buffer, meta string, body []byte) {
	fmt.Fprintf(buf, "chunked 1.0,%d,%d\n%s", len(meta), len(body), meta)
	buf.Write(body)
}

// getinfo writes a getinfo request with the given SPL arguments, shaped
// like splunkd 8.2's (string times, percent-encoded search).
func getinfo(buf *bytes.Buffer, args ...string) {
	a, _ := json.Marshal(args)
	if args == nil {
		a = []byte("[]")
	}
	meta := `{"action":"getinfo","preview":false,"streaming_command_will_restart":false,"searchinfo":{"args":` + string(a) +
		`,"raw_args":` + string(a) + `,"dispatch_dir":"/opt/splunk/var/run/splunk/dispatch/1700000000.42","sid":"1700000000.42",` +
		`"app":"kubeprivpod","owner":"admin","username":"admin","session_key":"xyz","splunkd_uri":"https://127.0.0.1:8089",` +
		`"splunk_version":"9.3.1","search":"search%20%60kube_audit%60%20%7C%20kubeprivpod","command":"kubeprivpod",` +
		`"maxresultrows":50000,"earliest_time":"0","latest_time":"1700000000"}}`
	frame(buf, meta, nil)
}

func execute(buf *bytes.Buffer, finished bool, body []byte) {
	frame(buf, fmt.Sprintf(`{"action":"execute","finished":%t}`, finished), body)
}

// rawBody is a CSV body with a _raw column (and splunkd's _chunked_idx
// bookkeeping column), as splunkd sends events.
func rawBody(events [][]byte) []byte {
	var b bytes.Buffer
	w := chunked.NewRecordWriter(&b)
	w.WriteHeader([]string{"_raw", "_chunked_idx"}, nil)
	for i, e := range events {
		w.WriteFields(e, []byte(strconv.Itoa(i)))
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// --- reading the command's side -------------------------------------------

type reply struct {
	meta map[string]any
	raw  string // the metadata JSON as written
	body []byte
}

var replyHeader = regexp.MustCompile(`^chunked 1\.0,(\d+),(\d+)\n`)

// parseReplies splits the command's output into chunks, checking the
// framing exactly: nothing may come between or after chunks.
func parseReplies(t *testing.T, out []byte) []reply {
	t.Helper()
	var rs []reply
	for len(out) > 0 {
		m := replyHeader.FindSubmatch(out)
		if m == nil {
			t.Fatalf("bad reply header at %q", out[:min(len(out), 40)])
		}
		ml, _ := strconv.Atoi(string(m[1]))
		bl, _ := strconv.Atoi(string(m[2]))
		out = out[len(m[0]):]
		if len(out) < ml+bl {
			t.Fatalf("reply shorter than its header says")
		}
		r := reply{raw: string(out[:ml]), body: out[ml : ml+bl]}
		if err := json.Unmarshal(out[:ml], &r.meta); err != nil {
			t.Fatalf("reply metadata %q: %v", out[:ml], err)
		}
		rs = append(rs, r)
		out = out[ml+bl:]
	}
	return rs
}

// serve runs the search command as splunkd would, on the conversation in.
func serve(t *testing.T, in []byte) ([]reply, int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runSearch(bytes.NewReader(in), &out, &errOut)
	return parseReplies(t, out.Bytes()), code, errOut.String()
}

// runSearch runs the program as splunkd starts it: no arguments, stdin a pipe.
func runSearch(stdin io.Reader, stdout, stderr io.Writer) int {
	m := &Main{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	return m.Run(context.Background(), nil)
}

// readTable decodes a reply body with the codec, keeping multivalue cells.
func readTable(t *testing.T, body []byte) detect.Table {
	t.Helper()
	rr := chunked.NewRecordReader(bytes.NewReader(body))
	h, err := rr.Header()
	if err != nil {
		t.Fatal(err)
	}
	tb := detect.Table{Columns: h}
	for rr.Next() {
		row := make(detect.Row, len(h))
		for i := range h {
			for _, v := range rr.Values(i) {
				row[i] = append(row[i], string(v))
			}
		}
		tb.Rows = append(tb.Rows, row)
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	return tb
}

// --- corpora -----------------------------------------------------------------

func eventLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			evs = append(evs, bytes.Clone(l))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return evs
}

func sampleEvents(t *testing.T) [][]byte {
	return eventLines(t, filepath.Join("..", "..", "testdata", "audit.log"))
}

// mixedCorpus is the bundled sample, every real fixture event, synthetic
// events and a few non-JSON lines, shuffled deterministically.
func mixedCorpus(t *testing.T) [][]byte {
	evs := sampleEvents(t)
	dir := sharedtest.Dir(t, "fixtures", "audit")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json*"))
	files = append(files, filepath.Join(dir, "liggitt-audit2rbac", "demo.log"))
	for _, f := range files {
		if strings.HasSuffix(f, "panther_tests_expected.json") {
			continue
		}
		evs = append(evs, eventLines(t, f)...)
	}
	g := corpus.New(7)
	for range 3000 {
		evs = append(evs, g.Append(nil))
	}
	evs = append(evs, []byte("not json at all"), []byte(`{"truncated":`), []byte("E1125 12:00:00 apiserver log line"))
	// Deterministic interleave so that each map process sees a bit of all.
	out := make([][]byte, 0, len(evs))
	for stride := 0; stride < 7; stride++ {
		for i := stride; i < len(evs); i += 7 {
			out = append(out, evs[i])
		}
	}
	return out
}

// --- the tests -------------------------------------------------------------------

func TestGetInfoReplies(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, `{"type":"reporting","required_fields":["_raw","__kubeprivpod_partial"],"streaming_preop":"kubeprivpod phase=map mode=escu"}`},
		{[]string{"mode=extended"}, `{"type":"reporting","required_fields":["_raw","__kubeprivpod_partial"],"streaming_preop":"kubeprivpod phase=map mode=extended"}`},
		{[]string{"phase=map", "mode=escu"}, `{"type":"streaming","required_fields":["_raw"]}`},
		{[]string{"mode=extended", "phase=map"}, `{"type":"streaming","required_fields":["_raw"]}`},
	}
	for _, c := range cases {
		var in bytes.Buffer
		getinfo(&in, c.args...)
		var out bytes.Buffer
		if code := runSearch(&in, &out, new(bytes.Buffer)); code != 0 {
			t.Fatalf("%v: exit %d", c.args, code)
		}
		// A getinfo-only process (splunkd starts some) exits quietly.
		want := fmt.Sprintf("chunked 1.0,%d,0\n%s", len(c.want), c.want)
		if out.String() != want {
			t.Errorf("%v:\n got %q\nwant %q", c.args, out.String(), want)
		}
	}
}

func TestBadArguments(t *testing.T) {
	cases := map[string][]string{
		`unknown mode "bogus"`:    {"mode=bogus"},
		`verbose`:                 {"verbose=true"},
		`unexpected argument "x"`: {"x"},
		`invalid phase="both"`:    {"phase=both"},
	}
	for want, args := range cases {
		var in bytes.Buffer
		getinfo(&in, args...)
		execute(&in, true, rawBody(sampleEvents(t)[:3]))
		rs, code, stderr := serve(t, in.Bytes())
		if code != 1 {
			t.Errorf("%v: exit %d, want 1", args, code)
		}
		if len(rs) != 1 || rs[0].meta["finished"] != true || !strings.Contains(rs[0].raw, `["ERROR",`) || !strings.Contains(fmt.Sprint(rs[0].meta["inspector"]), want) {
			t.Errorf("%v: want one finished ERROR reply mentioning %q, got %+v", args, want, rs)
		}
		if !strings.Contains(stderr, want) {
			t.Errorf("%v: stderr %q does not say %q", args, stderr, want)
		}
	}
}

func TestMissingRawColumn(t *testing.T) {
	var in bytes.Buffer
	getinfo(&in)
	execute(&in, false, []byte("host,source\nweb1,/var/log/x\n"))
	execute(&in, true, nil)
	rs, code, _ := serve(t, in.Bytes())
	if code != 1 || len(rs) != 2 {
		t.Fatalf("exit %d, %d replies; want 1 and getinfo+error", code, len(rs))
	}
	if !strings.Contains(rs[1].raw, "neither a _raw field") || !strings.Contains(rs[1].raw, "columns: host, source") || rs[1].meta["finished"] != true {
		t.Errorf("error reply %s", rs[1].raw)
	}
}

func TestBadPartialRow(t *testing.T) {
	var in bytes.Buffer
	getinfo(&in)
	execute(&in, true, []byte("__kubeprivpod_partial\n\"{\"\"v\"\":999}\"\n"))
	rs, code, _ := serve(t, in.Bytes())
	if code != 1 || len(rs) != 2 || !strings.Contains(rs[1].raw, "row 1: __kubeprivpod_partial") {
		t.Fatalf("exit %d, replies %+v", code, rs)
	}
}

// The reduce process answers every non-final chunk with an empty
// {"finished":false} and the table once, at the end.
func TestReduceLockStep(t *testing.T) {
	evs := sampleEvents(t)
	var in bytes.Buffer
	getinfo(&in)
	execute(&in, false, rawBody(evs[:40]))
	execute(&in, false, []byte(`"_raw","_chunked_idx"`+"\n")) // header only
	execute(&in, false, nil)                                  // empty
	execute(&in, true, rawBody(evs[40:]))
	rs, code, stderr := serve(t, in.Bytes())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(rs) != 5 {
		t.Fatalf("%d replies, want 5", len(rs))
	}
	for i := 1; i < 4; i++ {
		if rs[i].raw != `{"finished":false}` || len(rs[i].body) != 0 {
			t.Errorf("reply %d = %s + %d bytes, want {\"finished\":false} and no body", i, rs[i].raw, len(rs[i].body))
		}
	}
	if rs[4].meta["finished"] != true {
		t.Fatalf("last reply %s", rs[4].raw)
	}
	got := readTable(t, rs[4].body)
	d, _ := newDetector("escu")
	for _, e := range evs {
		d.AddEvent(e)
	}
	if want := d.Result(); !tablesEqual(got, want) {
		t.Errorf("table through the protocol differs from the detection's own:\n got %v\nwant %v", got, want)
	}
	if len(got.Rows) == 0 {
		t.Error("the sample has a kubectl-apply privileged pod; the table is empty")
	}
}

func TestNonJSONWarning(t *testing.T) {
	var in bytes.Buffer
	getinfo(&in)
	execute(&in, true, rawBody([][]byte{[]byte("plain text"), []byte("{broken"), sampleEvents(t)[0]}))
	rs, code, _ := serve(t, in.Bytes())
	if code != 0 || len(rs) != 2 {
		t.Fatalf("exit %d, %d replies", code, len(rs))
	}
	if !strings.Contains(rs[1].raw, `"WARN"`) || !strings.Contains(rs[1].raw, "2 ") {
		t.Errorf("want one WARN counting 2 non-JSON events, got %s", rs[1].raw)
	}
}

func tablesEqual(a, b detect.Table) bool {
	ja, _ := json.Marshal(normalize(a))
	jb, _ := json.Marshal(normalize(b))
	return bytes.Equal(ja, jb)
}

// normalize makes empty and nil cells equal, as they are on the wire.
func normalize(t detect.Table) detect.Table {
	for _, r := range t.Rows {
		for i := range r {
			if len(r[i]) == 0 {
				r[i] = nil
			}
		}
	}
	return t
}

// mapProcess runs one map-phase process over events in chunks of size rows
// and returns its reply bodies, as splunkd would forward them.
func mapProcess(t *testing.T, mode string, events [][]byte, size int) [][]byte {
	t.Helper()
	var in bytes.Buffer
	getinfo(&in, "phase=map", "mode="+mode)
	for i := 0; i < len(events) || i == 0; i += size {
		end := min(i+size, len(events))
		execute(&in, end == len(events), rawBody(events[i:end]))
	}
	rs, code, stderr := serve(t, in.Bytes())
	if code != 0 {
		t.Fatalf("map: exit %d: %s", code, stderr)
	}
	var bodies [][]byte
	for _, r := range rs[1:] {
		if len(r.body) > 0 {
			bodies = append(bodies, r.body)
		}
	}
	return bodies
}

// reduceProcess feeds bodies to one reduce process and returns its final reply.
func reduceProcess(t *testing.T, mode string, bodies [][]byte) reply {
	t.Helper()
	var in bytes.Buffer
	getinfo(&in, "mode="+mode)
	for i, b := range bodies {
		execute(&in, i == len(bodies)-1, b)
	}
	if len(bodies) == 0 {
		execute(&in, true, nil)
	}
	rs, code, stderr := serve(t, in.Bytes())
	if code != 0 {
		t.Fatalf("reduce: exit %d: %s", code, stderr)
	}
	return rs[len(rs)-1]
}

// TestDistributed splits a corpus across several map processes with varied
// chunk sizes and checks that the reduce process gives, byte for byte, the
// reply of a single process that saw every event; also with raw events
// mixed into the reduce input, as when splunkd runs no preop for some.
func TestDistributed(t *testing.T) {
	evs := mixedCorpus(t)
	for _, mode := range modeNames {
		t.Run(mode, func(t *testing.T) {
			single := reduceProcess(t, mode, [][]byte{rawBody(evs)})
			if len(single.body) == 0 {
				t.Fatal("single-process run found nothing; the comparison would be vacuous")
			}
			for _, split := range []struct{ procs, chunk, rawTail int }{
				{1, 1000, 0}, {2, 333, 0}, {3, 50, 0}, {5, 7, 0}, {4, 1, 0}, {3, 100, 500},
			} {
				head := evs[:len(evs)-split.rawTail]
				var bodies [][]byte
				per := (len(head) + split.procs - 1) / split.procs
				for p := 0; p < len(head); p += per {
					bodies = append(bodies, mapProcess(t, mode, head[p:min(p+per, len(head))], split.chunk)...)
				}
				// Interleave raw chunks with the partials.
				tail := evs[len(evs)-split.rawTail:]
				for i := 0; i < len(tail); i += 97 {
					at := (i / 97) % (len(bodies) + 1)
					bodies = append(bodies[:at], append([][]byte{rawBody(tail[i:min(i+97, len(tail))])}, bodies[at:]...)...)
				}
				got := reduceProcess(t, mode, bodies)
				if got.raw != single.raw || !bytes.Equal(got.body, single.body) {
					t.Errorf("%+v: distributed reply differs from single-process reply\n got %s\n%s\nwant %s\n%s",
						split, got.raw, got.body, single.raw, single.body)
				}
			}
		})
	}
}

// The map phase's rows carry only the partial column, and a reduce that is
// given nothing at all answers {"finished":true} with no body.
func TestMapOutputShape(t *testing.T) {
	bodies := mapProcess(t, "escu", sampleEvents(t), 25)
	if len(bodies) == 0 {
		t.Fatal("no partials")
	}
	for _, b := range bodies {
		tb := readTable(t, b)
		if len(tb.Columns) != 1 || tb.Columns[0] != partialField {
			t.Fatalf("map columns %v", tb.Columns)
		}
	}
	empty := reduceProcess(t, "escu", nil)
	if empty.raw != `{"finished":true}` || len(empty.body) != 0 {
		t.Errorf("empty reduce reply %s + %q", empty.raw, empty.body)
	}
}
