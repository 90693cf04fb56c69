package eventlist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

func collect(t testing.TB, doc []byte) ([]string, error) {
	var got []string
	err := Split(doc, func(ev []byte) error {
		got = append(got, string(ev))
		return nil
	})
	return got, err
}

func TestSplitEventList(t *testing.T) {
	doc, err := os.ReadFile("testdata/eventlist.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := collect(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	// The expected items are cut out of the file by hand-checked offsets:
	// the first item starts after `"items":[`, the second after `},`.
	items := doc[bytes.Index(doc, []byte(`"items":[`))+len(`"items":[`) : len(doc)-3]
	cut := bytes.Index(items, []byte(`},{"level":"Request"`)) + 1
	want := []string{string(items[:cut]), string(items[cut+1:])}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %d items:\n%s\nwant:\n%s", len(got), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSplitAliasesDoc(t *testing.T) {
	doc := []byte(`{"kind":"EventList","items":[{"auditID":"a"}, {"auditID":"b"}]}`)
	var slices [][]byte
	if err := Split(doc, func(ev []byte) error { slices = append(slices, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	doc[bytes.Index(doc, []byte(`"b"`))+1] = 'B'
	if string(slices[0]) != `{"auditID":"a"}` || string(slices[1]) != `{"auditID":"B"}` {
		t.Errorf("items do not alias doc: %q", slices)
	}
}

func TestSplitShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		want []string
		err  string
	}{
		{"single event", " \n{\"kind\":\"Event\",\"auditID\":\"x\"}\n", []string{`{"kind":"Event","auditID":"x"}`}, ""},
		{"event without kind", `{"auditID":"x","stage":"ResponseComplete"}`, []string{`{"auditID":"x","stage":"ResponseComplete"}`}, ""},
		{"pretty list", "{\n  \"kind\": \"EventList\",\n  \"items\": [\n    {\"auditID\": \"1\"},\n    {}\n  ]\n}", []string{`{"auditID": "1"}`, `{}`}, ""},
		{"empty list", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[]}`, nil, ""},
		{"list without items", `{"kind":"EventList","metadata":{}}`, nil, ""},
		{"null items", `{"kind":"EventList","items":null}`, nil, ""},
		{"not json", `{"kind":"EventList","items":[{]}`, nil, "audit document: not valid JSON at byte 30: unexpected ']' where an object key belongs"},
		{"empty", ``, nil, "audit document: not valid JSON at byte 0: unexpected end of input"},
		{"array", `[{"auditID":"x"}]`, nil, "audit document: neither an audit EventList nor an audit Event"},
		{"other kind", `{"kind":"Pod","metadata":{}}`, nil, "audit document: neither an audit EventList nor an audit Event"},
		{"kind not string", `{"kind":0}`, nil, "audit document: neither an audit EventList nor an audit Event"},
		{"items not array", `{"kind":"EventList","items":{}}`, nil, "audit document: neither an audit EventList nor an audit Event"},
		{"item not object", `{"kind":"EventList","items":[{"auditID":"1"},"x",{}]}`, []string{`{"auditID":"1"}`}, "audit document: items[1]: EventList item is not a JSON object"},
		{"two documents", `{"auditID":"a"} {"auditID":"b"}`, nil, "audit document: not valid JSON at byte 16: data after the top-level value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collect(t, []byte(tc.doc))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	_, err := collect(t, []byte(`{"kind":"EventList","items":[1]}`))
	var e *Error
	if !errors.As(err, &e) || e.Item != 0 || !errors.Is(err, ErrItem) {
		t.Errorf("err = %#v", err)
	}
	_, err = collect(t, []byte(`nope`))
	if !errors.Is(err, ErrNotJSON) {
		t.Errorf("err = %v", err)
	}
	stop := errors.New("stop")
	n := 0
	err = Split([]byte(`{"kind":"EventList","items":[{},{},{}]}`), func([]byte) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("callback error: err=%v after %d calls", err, n)
	}
}

// TestSplitSharedFixtures splits every single-event fixture line of the
// shared audit corpus, and the same events wrapped into one EventList.
func TestSplitSharedFixtures(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures", "audit", "falcosecurity-falco")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	var lines [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			got, err := collect(t, line)
			if filepath.Base(f) == "fal_01_003.json" {
				// {"kind": 0} is Falco's malformed-event regression case.
				if !errors.Is(err, ErrNotAudit) {
					t.Errorf("%s: err = %v, want ErrNotAudit", f, err)
				}
				continue
			}
			if err != nil || len(got) != 1 || got[0] != string(line) {
				t.Errorf("%s: got %d events, err %v", f, len(got), err)
				continue
			}
			lines = append(lines, line)
		}
	}
	list := append([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`), bytes.Join(lines, []byte(",\n"))...)
	list = append(list, "]}"...)
	got, err := collect(t, list)
	if err != nil || len(got) != len(lines) {
		t.Fatalf("list: %d events, err %v; want %d", len(got), err, len(lines))
	}
	for i := range got {
		if got[i] != string(lines[i]) {
			t.Errorf("item %d differs", i)
		}
	}
}

func FuzzSplit(f *testing.F) {
	seed, err := os.ReadFile("testdata/eventlist.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{`{"auditID":"x"}`, `{"kind":"EventList","items":[{},1]}`, `{"kind":0}`, `[]`, ``, `{"kind":"Event"}`, `{"kind":"EventList","items":[{"a":"\u00e9"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		orig := bytes.Clone(doc)
		var items [][]byte
		err := Split(doc, func(ev []byte) error {
			items = append(items, ev)
			return nil
		})
		if !bytes.Equal(doc, orig) {
			t.Fatal("Split modified its input")
		}
		// SplitValid agrees on valid documents and survives the others.
		var again [][]byte
		verr := SplitValid(doc, nil, func(ev []byte) error {
			again = append(again, ev)
			return nil
		})
		if json.Valid(doc) && (fmt.Sprint(verr) != fmt.Sprint(err) || len(again) != len(items)) {
			t.Fatalf("SplitValid: %d events, %v; Split: %d, %v", len(again), verr, len(items), err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if json.Valid(doc) && errors.Is(err, ErrNotJSON) {
				t.Fatalf("valid JSON reported invalid: %q", doc)
			}
			return
		}
		if !json.Valid(doc) {
			t.Fatalf("invalid JSON accepted: %q", doc)
		}
		for i, it := range items {
			if !json.Valid(it) || it[0] != '{' || it[len(it)-1] != '}' {
				t.Fatalf("item %d is not a JSON object: %q", i, it)
			}
			if !bytes.Contains(doc, it) {
				t.Fatalf("item %d is not a part of the document", i)
			}
		}
		// Cross-check with encoding/json: an EventList yields exactly its items.
		var list struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if json.Unmarshal(doc, &list) == nil && list.Kind == "EventList" && len(list.Items) != len(items) {
			t.Fatalf("%d items, encoding/json sees %d", len(items), len(list.Items))
		}
	})
}

func BenchmarkSplit(b *testing.B) {
	item := `{"level":"Request","auditID":"2f6b8f0e-1d4c-4c43-9b7e-0c2a4c9d0a11","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"alice","groups":["dev","system:authenticated"]},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web","annotations":{"a":"` + strings.Repeat("x", 1500) + `"}},"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}},"requestReceivedTimestamp":"2024-05-06T07:08:09.123456Z","stageTimestamp":"2024-05-06T07:08:09.134567Z"}`
	doc := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + strings.TrimSuffix(strings.Repeat(item+",", 400), ",") + `]}`)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := Split(doc, func([]byte) error { n++; return nil }); err != nil || n != 400 {
			b.Fatal(err, n)
		}
	}
}

func TestSplitEscapedKeys(t *testing.T) {
	// An escaped key still selects the EventList's items.
	got, err := collect(t, []byte(`{"kin\u0064":"Ev\u0065ntList","item\u0073":[{"x":1}]}`))
	if err != nil || len(got) != 1 {
		t.Errorf("escaped keys: %q %v", got, err)
	}
}

// plainRef is the byte-by-byte definition SplitFieldsPlain documents.
func plainRef(doc []byte) bool {
	for _, c := range doc {
		if (c < 0x20 && c != '\t' && c != '\n') || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func TestSplitFieldsPlain(t *testing.T) {
	list := func(item string) string { return `{"kind":"EventList","items":[` + item + `]}` }
	for _, tc := range []struct {
		doc   string
		plain bool
	}{
		{list(`{"auditID":"a","x":"\u003c\u0026\u003e \r\n\t"}`), true},
		{"\t" + list(`{"a":1}`) + "\n", true},
		{list(`{"a":"\u00e9\u007f` + "\x7f" + `"}`), true},
		{list(`{"a":"<"}`), false},
		{list(`{"a":"0123456789abcdef>"}`), false},
		{list(`{"a":"x&y"}`), false},
		{list(`{"a":"é"}`), false},
		{list(`{"é":1}`), false},
		{list(`{"a":1}`) + "\r\n", false},
		{"{\"kind\":\"EventList\",\r\"items\":[{}]}", false},
		{list(`{"a":"<"`), false}, // invalid
	} {
		n := 0
		plain, err := SplitFieldsPlain([]byte(tc.doc), nil, func([]byte) error { n++; return nil })
		if plain != tc.plain {
			t.Errorf("SplitFieldsPlain(%q) plain = %v (err %v), want %v", tc.doc, plain, err, tc.plain)
		}
		if err == nil && n != 1 {
			t.Errorf("SplitFieldsPlain(%q): %d events, want 1", tc.doc, n)
		}
	}
}

// FuzzSplitFieldsPlain checks the plain-text report against plainRef and
// the events against SplitFields.
func FuzzSplitFieldsPlain(f *testing.F) {
	seed, err := os.ReadFile("testdata/eventlist.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{`{"auditID":"x<"}`, `{"kind":"EventList","items":[{"a":"0123456789&"}]}`,
		`{"items":[{"a":1}],"kind":"EventList"}`, `{"kind":"EventList","items":[{"a":[1,{"b":2}]},{} , 3]}`, `{"kind":"Event","items":[{"a":1}]}`,
		`{"kind":"EventList","items":[{"a":1}],"items":[{"b":2}],"kind":"x"}`, `{"ki\u006ed":"EventList","it\u0065ms":[{"\u0061":1}]}`,
		`{"kind":"EventList","items":[{"a":1}],}`, `{"kind":"EventList","items":null}`, `{"kind":"EventList","items":{"a":1}}`, "{\"auditID\":\"\xc3\xa9\"}\r", `{"kind":"Event","x":"\u0026"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		// Both record "m:key=value" per member and "e:event" per event.
		record := func(log *[]string) (func(k, v []byte), func(ev []byte) error) {
			return func(k, v []byte) { *log = append(*log, "m:"+string(k)+"="+string(v)) },
				func(ev []byte) error { *log = append(*log, "e:"+string(ev)); return nil }
		}
		var got, want []string
		m, e := record(&got)
		plain, err := SplitFieldsPlain(doc, m, e)
		m, e = record(&want)
		werr := SplitFields(doc, m, e)
		if fmt.Sprint(err) != fmt.Sprint(werr) {
			t.Fatalf("SplitFieldsPlain: %v; SplitFields: %v", err, werr)
		}
		if err != nil {
			if plain {
				t.Fatal("plain with an error")
			}
			return
		}
		if !slices.Equal(got, want) {
			t.Fatalf("SplitFieldsPlain:\n%q\nSplitFields:\n%q", got, want)
		}
		if plain != plainRef(doc) {
			t.Fatalf("plain = %v for %q", plain, doc)
		}
	})
}

// TestSplitFieldsPlainOnePass covers what the one-pass split must agree
// with SplitFields on, and the one difference it documents: items handed
// over before the document turns out invalid.
func TestSplitFieldsPlainOnePass(t *testing.T) {
	for _, tc := range []struct{ doc, want, err string }{
		{`{"kind":"EventList","items":[{"a":1,"b":{"c":[2]}}, {}]}`, `m:a=1 m:b={"c":[2]} e:{"a":1,"b":{"c":[2]}} e:{}`, ""},
		{`{"items":[{"a":1}],"kind":"EventList"}`, `m:a=1 e:{"a":1}`, ""}, // kind after items: split after validation
		{`{"kind":"EventList","items":[{"a":1},2,{"b":3}]}`, `m:a=1 e:{"a":1}`, "audit document: items[1]: EventList item is not a JSON object"},
		{`{"kind":"EventList","items":[{"a":1},2,{"b":3}],}`, `m:a=1 e:{"a":1}`, "audit document: not valid JSON at byte 48: unexpected '}' where an object key belongs"},
		{`{"kind":"Event","auditID":"x","items":[{"a":1}]}`, `m:kind="Event" m:auditID="x" m:items=[{"a":1}] e:{"kind":"Event","auditID":"x","items":[{"a":1}]}`, ""},
	} {
		var log []string
		_, err := SplitFieldsPlain([]byte(tc.doc),
			func(k, v []byte) { log = append(log, "m:"+string(k)+"="+string(v)) },
			func(ev []byte) error { log = append(log, "e:"+string(ev)); return nil })
		if got := strings.Join(log, " "); got != tc.want || fmt.Sprint(err) != fmt.Sprint(tc.err) && !(err == nil && tc.err == "") {
			t.Errorf("SplitFieldsPlain(%s):\n got %s, %v\nwant %s, %s", tc.doc, got, err, tc.want, tc.err)
		}
	}
}
