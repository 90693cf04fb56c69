package extended

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// oddStrings are values a partial row must carry exactly: CSV and codec
// delimiters, control characters, invalid UTF-8, digits that look like a
// length.
var oddStrings = []string{
	"", "a", `"quoted", with commas`, "12:34", "3*", "-1;", "line\nbreak\r\n", "tab\there", "nul\x00byte",
	"\x7f", "caf\u00e9 \u2028 \U0001F600", "\xff\xfe", "bad\xc3(utf8", strings.Repeat("x", 300),
	"\xe2\x82", "\xac€", "€\xe2",
}

// rowsOf flushes d and returns its rows, checking that each can travel in
// a CSV cell as text.
func rowsOf(t testing.TB, d *Detector) [][]byte {
	t.Helper()
	var rows [][]byte
	if err := d.Flush(func(p []byte) error {
		if !utf8.Valid(p) || strings.ContainsFunc(string(p), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("row is not plain text: %q", p)
		}
		rows = append(rows, slices.Clone(p))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

// oddRecord is a valid finding whose free-text fields are s.
func oddRecord(key, s string, pend bool) *record {
	r := &record{
		Key: key, Rank: 9, Time: s, User: s, Groups: []string{s, "g"}, IPs: []string{s}, UserAgent: s,
		Verb: "create", Resource: "pods", Sub: s, Namespace: s, Name: s, Outcome: OutcomeAllowed, Code: -7,
		Owner: s, Containers: []string{s}, Images: []string{s, s}, Reasons: []string{"privileged", s},
		Spec: s, BaseRV: s, NewRV: s + "1", Risk: 49, Detail: s,
	}
	if pend {
		r.Verb, r.Reasons, r.Risk, r.Changed, r.Pend = "patch", nil, 0, []string{s}, true
	}
	r.Nano = parseTime(r.Time)
	return r
}

// Every field, whatever its bytes, reaches the reduce exactly, and the
// rows are text.
func TestPartialCarriesAnyString(t *testing.T) {
	d := New()
	for i, s := range oddStrings {
		d.add(oddRecord(hexHash(s), s, i%3 == 0), false)
		d.add(oddRecord("", s, false), false)
	}
	d.blind[reqKey{1}] = blindNoBody
	d.noteUnknown(2, "keys\n\xff")
	want, wantMsgs := d.Result(), d.Messages()
	reduce := New()
	for _, p := range rowsOf(t, d) {
		if err := reduce.AddPartial(p); err != nil {
			t.Fatalf("AddPartial(%q): %v", p, err)
		}
	}
	if got := reduce.Result(); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(reduce.Messages(), wantMsgs) {
		t.Fatalf("through partials:\n got %q %q\nwant %q %q", got.Rows, reduce.Messages(), want.Rows, wantMsgs)
	}
	if len(want.Rows) < len(oddStrings) {
		t.Fatalf("only %d rows", len(want.Rows))
	}
}

// A row written from the state a row was read into is the same row: the
// codec has one spelling per value (what the fuzzer checks on any input).
func TestPartialRowFixpoint(t *testing.T) {
	d := New()
	for _, s := range oddStrings {
		d.add(oddRecord(hexHash(s), s, false), false)
	}
	d.blind[reqKey{1}] = blindNoBody | blindTruncated
	d.nonJSON = 3
	for _, p := range rowsOf(t, d) {
		checkFixpoint(t, p)
	}
}

// checkFixpoint reads p, which AddPartial accepted, into a new detector
// and writes it again: byte for byte p, unless p spelled a value another
// way than Flush does.
func checkFixpoint(t *testing.T, p []byte) {
	t.Helper()
	a := New()
	if err := a.AddPartial(p); err != nil {
		t.Fatalf("AddPartial(%q): %v", p, err)
	}
	again := rowsOf(t, a)
	if len(again) != 1 || string(again[0]) != string(p) {
		t.Fatalf("row %q written again as %q", p, again)
	}
}

// FuzzPartialRow feeds any bytes to AddPartial: no panic; a row it accepts
// is text once written again, and reads back into the same result and
// messages; the rewritten row is a fixed point of reading and writing.
func FuzzPartialRow(f *testing.F) {
	d := run(append(sampleEvents(f), ev{id: "b", level: "Metadata"}.raw(), []byte("junk"))...)
	for _, s := range oddStrings {
		d.add(oddRecord(hexHash(s), s, len(s)%2 == 0), false)
	}
	if err := d.Flush(func(p []byte) error { f.Add(slices.Clone(p)); return nil }); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(partialRow(map[string]string{"v": "2x6869", "r": "-0;", "c": "-12;"})))
	f.Add([]byte("kubeprivpod/extended/4 C0;0;0;0;3x0aff001*32:000000000000000000000000000000ff3;"))
	f.Add([]byte(`{"kpp":"kubeprivpod/extended/3","cnt":{}}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		a := New()
		if err := a.AddPartial(p); err != nil {
			if a.nonJSON != 0 || len(a.keyed) != 0 || len(a.unkeyed) != 0 || len(a.blind) != 0 || a.unknown != 0 {
				t.Fatalf("rejected row %q changed the state: %v", p, err)
			}
			return
		}
		want, wantMsgs := a.Result(), a.Messages()
		rows := rowsOf(t, a)
		b := New()
		for _, q := range rows {
			if err := b.AddPartial(q); err != nil {
				t.Fatalf("row %q written again as %q, rejected: %v", p, q, err)
			}
			checkFixpoint(t, q)
		}
		if got := b.Result(); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(b.Messages(), wantMsgs) {
			t.Fatalf("round trip differs:\n got %q %q\nwant %q %q", got.Rows, b.Messages(), want.Rows, wantMsgs)
		}
	})
}

// FuzzPartialString round-trips any string in every field of a finding.
func FuzzPartialString(f *testing.F) {
	for _, s := range oddStrings {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, pend bool) {
		d := New()
		d.add(oddRecord(hexHash(s), s, pend), false)
		d.add(oddRecord("", s, !pend), false)
		d.noteUnknown(1, s)
		want, wantMsgs := d.Result(), d.Messages()
		reduce := New()
		for _, p := range rowsOf(t, d) {
			if err := reduce.AddPartial(p); err != nil {
				t.Fatalf("AddPartial(%q): %v", p, err)
			}
		}
		if got := reduce.Result(); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(reduce.Messages(), wantMsgs) {
			t.Fatalf("through partials:\n got %q %q\nwant %q %q", got.Rows, reduce.Messages(), want.Rows, wantMsgs)
		}
	})
}

// cellSafe's sixteen- and eight-bytes-at-a-time tests agree with the
// plain definition for every byte at every position of both words and of
// the tail, and for pairs of bytes at the edges of the ranges side by
// side, where one could borrow from or carry into the other.
func TestCellSafe(t *testing.T) {
	plain := func(s string) bool {
		return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
	}
	base := []byte("abcdefghijklmnopqrstuvwxyz0123456789")
	for c := range 256 {
		for i := range base {
			s := slices.Clone(base)
			s[i] = byte(c)
			if got, want := cellSafe(string(s)), plain(string(s)); got != want {
				t.Errorf("cellSafe(%q) = %v, want %v", s, got, want)
			}
		}
	}
	edges := []byte{0x00, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0xbf, 0xc3, 0xa9, 0xff}
	for i := range base[:len(base)-1] {
		for _, a := range edges {
			for _, b := range edges {
				s := slices.Clone(base)
				s[i], s[i+1] = a, b
				if got, want := cellSafe(string(s)), plain(string(s)); got != want {
					t.Errorf("cellSafe(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
	for _, s := range append(oddStrings, "abcdefgh\u00e9\n", "\u00e9abcdefghijklmnop\x1f", "abcdefgh\xc3") {
		if got, want := cellSafe(s), plain(s); got != want {
			t.Errorf("cellSafe(%q) = %v, want %v", s, got, want)
		}
	}
}
