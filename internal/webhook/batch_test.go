package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/eventlist"
)

func parse(t testing.TB, doc string) *Batch {
	t.Helper()
	var b Batch
	if err := b.Parse([]byte(doc)); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return &b
}

func TestBatchParseInsertsKindAndAPIVersion(t *testing.T) {
	doc := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` +
		`{"level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestReceivedTimestamp":"2024-05-06T07:08:09.123456Z"},` +
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a2"},` +
		`{"kind":"Event","auditID":"a3"},` +
		`{"apiVersion":"audit.k8s.io/v1","auditID":"a4"},` +
		`{},` +
		`{ ` + "\n" + ` }` +
		`]}`
	raw := []byte(doc)
	var b Batch
	if err := b.Parse(raw); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestReceivedTimestamp":"2024-05-06T07:08:09.123456Z"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a2"}`,
		`{"apiVersion":"audit.k8s.io/v1","kind":"Event","auditID":"a3"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a4"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1" ` + "\n" + ` }`,
	}
	if b.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", b.Len(), len(want))
	}
	for i, w := range want {
		_, data := b.Event(i)
		if string(data) != w {
			t.Errorf("event %d:\n got %s\nwant %s", i, data, w)
		}
		if !json.Valid(data) {
			t.Errorf("event %d is not valid JSON", i)
		}
	}
	// An item that already has both fields is passed through, not copied.
	_, data := b.Event(1)
	if off := strings.Index(doc, string(data)); off < 0 || &raw[off] != &data[0] {
		t.Errorf("event 1 does not alias the document")
	}
	tm, _ := b.Event(0)
	if want := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC); !tm.Equal(want) {
		t.Errorf("time = %v, want %v", tm, want)
	}
	if tm, _ := b.Event(1); !tm.IsZero() {
		t.Errorf("missing timestamp gave %v", tm)
	}
}

func TestBatchParseAPIVersion(t *testing.T) {
	// A single Event posted on its own keeps its bytes.
	b := parse(t, "{\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"x\",\"stage\":\"RequestReceived\"}\n")
	if _, d := b.Event(0); string(d) != `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","stage":"RequestReceived"}` {
		t.Errorf("single event: got %s", d)
	}
	// An escaped spelling of the right version is the right version.
	parse(t, `{"kind":"EventList","apiVersion":"audit.k8s.io\/v1","items":[{"auditID":"x"}]}`)
	for _, tc := range []struct{ doc, err string }{
		{`{"kind":"EventList","apiVersion":"audit.k8s.io/v1beta1","items":[{"auditID":"x"}]}`,
			`audit document: apiVersion "audit.k8s.io/v1beta1" is not audit.k8s.io/v1, the only version accepted`},
		{`{"kind":"EventList","apiVersion":"foo/v9","items":[{"auditID":"x"}]}`,
			`audit document: apiVersion "foo/v9" is not audit.k8s.io/v1, the only version accepted`},
		{`{"kind":"EventList","items":[{"auditID":"x"}]}`,
			`audit document: apiVersion missing; only audit.k8s.io/v1 is accepted`},
		{`{"kind":"EventList","apiVersion":1,"items":[]}`,
			`audit document: apiVersion 1 is not audit.k8s.io/v1, the only version accepted`},
		{`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"x"},{"apiVersion":"audit.k8s.io/v1beta1","auditID":"y"}]}`,
			`audit document: items[1]: apiVersion "audit.k8s.io/v1beta1" is not audit.k8s.io/v1, the only version accepted`},
		{`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"apiVersion":"audit.k8s.io/v1","apiVersion":"foo"}]}`,
			`audit document: items[0]: apiVersion "foo" is not audit.k8s.io/v1, the only version accepted`},
		{`{"auditID":"x","apiVersion":"v1"}`,
			`audit document: items[0]: apiVersion "v1" is not audit.k8s.io/v1, the only version accepted`},
		{`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"apiVersion":"` + strings.Repeat("v", 100) + `"}]}`,
			`audit document: items[0]: apiVersion "` + strings.Repeat("v", 63) + `... is not audit.k8s.io/v1, the only version accepted`},
	} {
		var b Batch
		err := b.Parse([]byte(tc.doc))
		var ve *VersionError
		if err == nil || err.Error() != tc.err || !errors.As(err, &ve) {
			t.Errorf("%s:\n got %v\nwant %s", tc.doc, err, tc.err)
		}
		if b.Len() != 0 {
			t.Errorf("%s: %d events kept", tc.doc, b.Len())
		}
	}
}

func TestBatchMaxEvents(t *testing.T) {
	b := Batch{MaxEvents: 3}
	if err := b.Parse([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{},{},{}]}`)); err != nil || b.Len() != 3 {
		t.Fatalf("3 events: %v, %d", err, b.Len())
	}
	err := b.Parse([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{},{},{},{}]}`))
	if !errors.Is(err, ErrTooManyEvents) || b.Len() != 0 {
		t.Errorf("4 events: %v, %d kept", err, b.Len())
	}
	// An event costs the same whatever its size: no copy of items that
	// get kind and apiVersion inserted.
	if eventSize > 40 {
		t.Errorf("event struct is %d bytes", eventSize)
	}
}

func TestBatchParseErrors(t *testing.T) {
	var b Batch
	if err := b.Parse([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"ok"},7]}`)); err == nil || err.Error() != "audit document: items[1]: EventList item is not a JSON object" {
		t.Errorf("err = %v", err)
	}
	if b.Len() != 0 {
		t.Errorf("failed parse left %d events", b.Len())
	}
	if err := b.Parse([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[`)); err == nil {
		t.Error("truncated document accepted")
	} else if _, ok := err.(*eventlist.Error); !ok {
		t.Errorf("err %T", err)
	}
}

// TestMicroTime holds microTime to parseMicroTime's Time on the days of
// every month of years around the era's edges and leap years, with days
// past a month's end, leap seconds, the zero Time and other spellings.
func TestMicroTime(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want := parseMicroTime([]byte(s))
		us, ok := microTime([]byte(s))
		if ok != !want.IsZero() || ok && us != want.UnixMicro() {
			t.Fatalf("microTime(%q) = %d, %v; parseMicroTime gives %v (%d)", s, us, ok, want, want.UnixMicro())
		}
	}
	for _, y := range []int{0, 1, 2, 4, 99, 100, 399, 400, 401, 1600, 1899, 1900, 1969, 1970, 1972, 2000, 2024, 2026, 2100, 9999} {
		for mo := 1; mo <= 12; mo++ {
			for d := 1; d <= 31; d++ {
				check(fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, mo, d, (y+d)%24, (mo*7)%60, d%61, y*97%1000000))
			}
		}
	}
	for _, s := range []string{"0001-01-01T00:00:00.000000Z", "0001-01-01T00:00:00.000001Z", "0000-12-31T23:59:60.999999Z",
		"1970-01-01T00:00:00.000000Z", "2016-12-31T23:59:60.000000Z", "2024-02-30T00:00:00.000000Z", "2024-13-06T07:08:09.123456Z",
		"2024-05-06T09:08:09.5+02:00", "2024-05-06T07:08:09.123456789Z", "0001-01-01T00:00:00Z", "yesterday", "",
		"2024-05-06T07:08:0/.123456Z", "2024-05-06T07:08:09.12345:Z", "/024-05-06T07:08:09.123456Z", "2024-05-06T07:08:09.\xff23456Z",
		"2024-05-06T24:00:00.000000Z", "2024-05-06T23:60:00.000000Z", "2024-05-06T23:59:61.000000Z", "2024-00-06T07:08:09.123456Z", "2024-05-00T07:08:09.123456Z", "2024-05-32T07:08:09.123456Z"} {
		check(s)
	}
}

func TestParseMicroTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2024-05-06T07:08:09.123456Z", time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)},
		{"2024-12-31T23:59:59.000000Z", time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"2024-05-06T07:08:09Z", time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)},
		{"2024-05-06T09:08:09.5+02:00", time.Date(2024, 5, 6, 7, 8, 9, 500000000, time.UTC)},
		{"2024-05-06T07:08:09.123456789Z", time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)},
		{"2024-13-06T07:08:09.123456Z", time.Time{}},
		{"2024-05-06T07:08:09.12345xZ", time.Time{}},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
	} {
		if got := parseMicroTime([]byte(tc.in)); !got.Equal(tc.want) {
			t.Errorf("parseMicroTime(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func eventsOf(b *Batch) []string {
	var s []string
	for i := 0; i < b.Len(); i++ {
		_, d := b.Event(i)
		s = append(s, string(d))
	}
	return s
}

func TestDedupe(t *testing.T) {
	d := newDedupe(time.Minute, 3)
	now := time.Unix(1000, 0)
	doc := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","stage":"RequestReceived"},{"auditID":"a","stage":"ResponseComplete"},{"stage":"ResponseComplete"},{"auditID":"a","stage":"ResponseComplete"}]}`
	b := parse(t, doc)
	if n := d.filter(b, now); n != 1 || b.Len() != 3 {
		t.Fatalf("first batch: dropped %d, kept %d", n, b.Len())
	}
	// The same batch re-sent: only the event without an auditID remains.
	b = parse(t, doc)
	if n := d.filter(b, now.Add(time.Second)); n != 3 {
		t.Fatalf("re-sent batch: dropped %d, kept %q", n, eventsOf(b))
	}
	if got := eventsOf(b); len(got) != 1 || got[0] != `{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete"}` {
		t.Errorf("kept %q", got)
	}
	// After the window the keys are forgotten.
	b = parse(t, doc)
	if n := d.filter(b, now.Add(2*time.Minute)); n != 1 {
		t.Errorf("after window: dropped %d", n)
	}
	// Capacity: with 3 keys remembered, a fourth pushes out the oldest.
	d = newDedupe(time.Hour, 3)
	for _, id := range []string{"1", "2", "3", "4"} {
		d.filter(parse(t, `{"apiVersion":"audit.k8s.io/v1","auditID":"`+id+`","stage":"s"}`), now)
	}
	if d.n != 3 || d.has(makeKey([]byte(`"1"`), []byte(`"s"`))) || !d.has(makeKey([]byte(`"4"`), []byte(`"s"`))) || !d.has(makeKey([]byte(`"2"`), []byte(`"s"`))) {
		t.Errorf("eviction: n=%d", d.n)
	}
	if d.seen.len() != 3 {
		t.Errorf("map holds %d keys", d.seen.len())
	}
	// Growth past the first allocation keeps FIFO order across the wrap.
	d = newDedupe(time.Hour, 3000)
	var keys []key
	for i := 0; i < 5000; i++ {
		k := makeKey([]byte(fmt.Sprint(i)), nil)
		keys = append(keys, k)
		d.add(k, now.Add(time.Duration(i)*time.Millisecond))
		if i == 1500 {
			d.expire(now.Add(time.Hour + 100*time.Millisecond)) // forgets keys 0..99
			if d.n != 1401 || d.has(keys[99]) || !d.has(keys[100]) {
				t.Fatalf("expire: n=%d", d.n)
			}
		}
	}
	if d.n != 3000 || len(d.ring) != 3000 || d.seen.len() != 3000 {
		t.Fatalf("full: n=%d ring=%d map=%d", d.n, len(d.ring), d.seen.len())
	}
	for i, k := range keys {
		if d.has(k) != (i >= 2000) {
			t.Fatalf("key %d remembered=%v", i, d.has(k))
		}
	}
}

func FuzzBatchParse(f *testing.F) {
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","requestReceivedTimestamp":"2024-05-06T07:08:09.123456Z"},{}]}`))
	f.Add([]byte(`{"auditID":"x"}`))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/\"x","items":[{"kind":"Event"}]}`))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{ }, {"apiVersion":1}]}`))
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1<","items":[{"a":"\u003c"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var b Batch
		if err := b.Parse(doc); err != nil {
			return
		}
		for i := 0; i < b.Len(); i++ {
			_, d := b.Event(i)
			if b.Plain() {
				// Plain events are written to the XML stream unescaped.
				for _, c := range d {
					if (c < 0x20 && c != '\t' && c != '\n') || c >= 0x80 || c == '<' || c == '>' || c == '&' {
						t.Fatalf("event %d of a plain batch holds %q: %q", i, c, d)
					}
				}
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(d, &m); err != nil {
				t.Fatalf("event %d is not a JSON object: %v\n%s", i, err, d)
			}
			if _, ok := m["kind"]; !ok {
				t.Fatalf("event %d lacks kind: %s", i, d)
			}
			var v string
			if err := json.Unmarshal(m["apiVersion"], &v); err != nil || v != APIVersion {
				t.Fatalf("event %d of an accepted batch has apiVersion %s: %s", i, m["apiVersion"], d)
			}
		}
	})
}

func TestBatchPlain(t *testing.T) {
	for _, tc := range []struct {
		doc   string
		plain bool
	}{
		{string(realisticBatch(3)), true},
		{`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","user":{"username":"jos\u00e9"}}]}`, true},
		{`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","user":{"username":"josé"}}]}`, false},
		{`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a","requestURI":"/x?a=1&b=2"}]}`, false},
	} {
		if got := parse(t, tc.doc).Plain(); got != tc.plain {
			t.Errorf("Plain() = %v for %.80s, want %v", got, tc.doc, tc.plain)
		}
	}
	var b Batch
	if err := b.Parse(realisticBatch(1)); err != nil || !b.Plain() {
		t.Fatalf("Parse: %v, Plain() %v", err, b.Plain())
	}
	if b.Parse([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[1]}`)) == nil || b.Plain() {
		t.Errorf("a refused document left Plain() %v", b.Plain())
	}
}

// TestBatchParseEscapedKeys: a member key spelled with escapes counts as
// the key it decodes to, the first occurrence of each key only.
func TestBatchParseEscapedKeys(t *testing.T) {
	doc := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` +
		`{"ki\u006ed":"Event","\u0061piVersion":"audit.k8s.io/v1","audit\u0049D":"a1","st\u0061ge":"RequestReceived",` +
		`"requestReceived\u0054imestamp":"2024-05-06T07:08:09.000001Z","requestReceivedTimestamp":"2025-01-01T00:00:00.000000Z","auditID":"zz"},` +
		`{"auditID":"a1","stage":"RequestReceived","kind":"Event","apiVersion":"audit.k8s.io/v1"}` +
		`]}`
	b := parse(t, doc)
	if b.Len() != 2 {
		t.Fatalf("Len = %d", b.Len())
	}
	tm, data := b.Event(0)
	if !strings.HasPrefix(string(data), `{"ki\u006ed"`) {
		t.Errorf("kind/apiVersion inserted although present (escaped): %s", data)
	}
	if want := time.Date(2024, 5, 6, 7, 8, 9, 1000, time.UTC); !tm.Equal(want) {
		t.Errorf("time = %v, want %v (the first, escaped key)", tm, want)
	}
	// Both items have the same (auditID, stage) text: one key.
	if !b.at(0).keyed || b.at(0).key != b.at(1).key {
		t.Errorf("escaped auditID/stage not used for the key: %+v %+v", b.at(0), b.at(1))
	}
}
