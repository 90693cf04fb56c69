package escu

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// distCorpus mixes the sample with events that make fillnull depend on
// other events (missing name, missing groups, missing code), non-JSON
// lines and a genuine "0".
func distCorpus(t testing.TB) [][]byte {
	ev := sample(t)
	extra := [][]byte{
		event(del("objectRef", "name"), set([]any{"10.9.9.9"}, "sourceIPs")),
		event(del("user", "groups"), set([]any{"10.9.9.9", "10.9.9.8"}, "sourceIPs")),
		event(set("0", "objectRef", "name"), set([]any{"10.9.9.9"}, "sourceIPs"), set([]any{"x"}, "user", "groups")),
		event(set("update", "verb"), set(json0("null"), "objectRef", "namespace")),
		event(del("responseStatus"), set("RequestReceived", "stage")),
		[]byte("not json"), []byte(`{"truncated":`), []byte(`[]`),
		event(set("configmaps", "objectRef", "resource"), del("objectRef", "name")),
	}
	out := make([][]byte, 0, len(ev)+len(extra))
	// Spread the extras through the sample, so a split can separate an
	// event lacking a field from the event that has it.
	for i, e := range ev {
		out = append(out, e)
		if i%13 == 5 && len(extra) > 0 {
			out = append(out, extra[0])
			extra = extra[1:]
		}
	}
	return append(out, extra...)
}

func json0(s string) any { return rawJSON(s) }

type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestDistributedEqualsSingleProcess splits the corpus across map
// processes at random, flushes at random points, sends some events to the
// reducer raw, routes some partials through a combining detector, and
// compares the reducer's table and messages with one process's.
func TestDistributedEqualsSingleProcess(t *testing.T) {
	corpus := distCorpus(t)
	single := run(corpus...)
	want, wantMsg := single.Result(), single.Messages()
	if len(want.Rows) < 10 {
		t.Fatalf("corpus too thin: %d rows", len(want.Rows))
	}
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		nmap := 1 + rng.IntN(6)
		maps := make([]*Detector, nmap)
		for i := range maps {
			maps[i] = New()
		}
		var partials [][]byte
		emit := func(p []byte) error {
			partials = append(partials, append([]byte(nil), p...)) // p is only valid during the call
			return nil
		}
		reduce := New()
		var rawToReduce [][]byte
		for _, e := range corpus {
			if rng.IntN(8) == 0 {
				rawToReduce = append(rawToReduce, e)
				continue
			}
			m := maps[rng.IntN(nmap)]
			m.AddEvent(e)
			if rng.IntN(10) == 0 {
				if err := m.Flush(emit); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, m := range maps {
			if err := m.Flush(emit); err != nil {
				t.Fatal(err)
			}
		}
		rng.Shuffle(len(partials), func(i, j int) { partials[i], partials[j] = partials[j], partials[i] })
		if seed%3 == 0 && len(partials) > 1 {
			// A combiner: merge half the partials and re-flush them.
			comb := New()
			half := len(partials) / 2
			for _, p := range partials[:half] {
				if err := comb.AddPartial(p); err != nil {
					t.Fatal(err)
				}
			}
			partials = partials[half:]
			if err := comb.Flush(emit); err != nil {
				t.Fatal(err)
			}
		}
		// Partials and raw events arrive interleaved.
		for len(partials) > 0 || len(rawToReduce) > 0 {
			if len(rawToReduce) > 0 && (len(partials) == 0 || rng.IntN(2) == 0) {
				reduce.AddEvent(rawToReduce[0])
				rawToReduce = rawToReduce[1:]
				continue
			}
			if err := reduce.AddPartial(partials[0]); err != nil {
				t.Fatalf("seed %d: AddPartial(%s): %v", seed, partials[0], err)
			}
			partials = partials[1:]
		}
		if got := reduce.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d (%d map processes): distributed result differs:\n%s\nwant:\n%s",
				seed, nmap, strings.Join(rows(got), "\n"), strings.Join(rows(want), "\n"))
		}
		if got := reduce.Messages(); !reflect.DeepEqual(got, wantMsg) {
			t.Fatalf("seed %d: Messages() = %q, want %q", seed, got, wantMsg)
		}
	}
}

func TestFlushForgets(t *testing.T) {
	d := run(event(), []byte("x"))
	var n int
	if err := d.Flush(func([]byte) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("first Flush: %d rows, %v", n, err)
	}
	if r := d.Result(); len(r.Rows) != 0 || d.Messages() != nil {
		t.Errorf("after Flush: %d rows, messages %q", len(r.Rows), d.Messages())
	}
	n = 0
	if err := d.Flush(func([]byte) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("empty Flush wrote %d rows, %v", n, err)
	}
	boom := errors.New("boom")
	d.AddEvent(event())
	if err := d.Flush(func([]byte) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("emit error not returned: %v", err)
	}
}

func TestPartialRowFormat(t *testing.T) {
	// (event's json.Marshal makes the \xff a U+FFFD.)
	d := run(event(del("user", "groups"), set([]any{"10.0.0.1", "10.0.0.2"}, "sourceIPs"), del("objectRef", "name")), []byte("x"),
		event(set("a\tb\\c\x00\xff", "objectRef", "name"), set([]any{"g\n1", "g2"}, "user", "groups")))
	var got []string
	if err := d.Flush(func(p []byte) error { got = append(got, string(p)); return nil }); err != nil {
		t.Fatal(err)
	}
	const ua = "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
	ann := strings.NewReplacer("\n", `\n`, `"`, `'`).Replace(privAnnotation)
	rest := func(ip string) string {
		return "default\tpods\tPod\t201\t" + ip + "\tResponseComplete\tjane\t" + ua + "\tcreate\t" + ann
	}
	want := []string{
		"escu3\tg\t1\t1\tEvent\t\t" + rest("10.0.0.1"),
		"escu3\tg\t1\t1\tEvent\t\t" + rest("10.0.0.2"),
		"escu3\tg\t1\t0\tEvent\t" + `a\tb\\c\x00` + "\ufffd\t" + rest("10.0.0.1") + "\t" + `g\n1` + "\tg2",
		"escu3\ts\t1\t0\tkind\tobjectRef.name\tobjectRef.namespace\tobjectRef.resource\trequestObject.kind\tresponseStatus.code\tsourceIPs{}\tstage\tuser.username\tuserAgent\tverb\t" + annotationField + "\tuser.groups{}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("partial rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Bytes the JSON events cannot carry (control bytes, bytes that are not
// UTF-8) survive the format.
func TestPartialEscapes(t *testing.T) {
	for _, v := range []string{"\\", "\t", "\n\r", "\x00\x01\x1f\x7f", "\xff\xfe", "é\u2028€", "a\\x41", `\`, "\xc3"} {
		b := appendEscaped(nil, []byte(v))
		if bytes.ContainsAny(b, "\t\n\r\"") || !utf8.Valid(b) {
			t.Errorf("%q escaped to %q: holds a separator or a quote, or is not UTF-8", v, b)
		}
		back, end, err := unescapeField(nil, b, 0)
		if err != nil || string(back) != v || end != len(b) {
			t.Errorf("%q -> %q -> %q (end %d of %d), %v", v, b, back, end, len(b), err)
		}
	}
}

// escapeSlowly is appendEscaped written the obvious way, byte by byte.
func escapeSlowly(v []byte) []byte {
	var b []byte
	for len(v) > 0 {
		r, size := utf8.DecodeRune(v)
		switch c := v[0]; {
		case c >= utf8.RuneSelf && (r != utf8.RuneError || size > 1):
			b = append(b, v[:size]...)
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '"':
			b = append(b, '\'')
		case c == '\'':
			b = append(b, `\'`...)
		case c < 0x20 || c >= 0x7f:
			b = fmt.Appendf(b, `\x%02x`, c)
			size = 1
		default:
			b = append(b, c)
		}
		v = v[size:]
	}
	return b
}

// The word-at-a-time escaping and unescaping agree with the byte-by-byte
// definition wherever the bytes that need escapes fall in a word, and in
// the bytes after a whole word.
func TestPartialEscapesEveryPosition(t *testing.T) {
	// Lengths around whole blocks and words, with no spare capacity.
	for n := 0; n <= 3*block+9; n++ {
		v := bytes.Repeat([]byte{'a'}, n)
		if got := appendEscaped(nil, v[:n:n]); !bytes.Equal(got, v) {
			t.Fatalf("appendEscaped of %d plain bytes = %q", n, got)
		}
	}
	specials := []string{"\"", "'", "\"\"\"\"\"\"\"\"\"", "\\", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "\x80", "\xff", "é", "€", "\U0001F600", "\xe2\x82", "\x01"}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 3000; n++ {
		var v []byte
		for k := rng.IntN(100); k > 0; k-- {
			if rng.IntN(4) == 0 {
				v = append(v, specials[rng.IntN(len(specials))]...)
			} else {
				v = append(v, byte(' '+rng.IntN(95)))
			}
		}
		want := escapeSlowly(v)
		prefix := []byte("ab\t")
		got := appendEscaped(append([]byte(nil), prefix...), v)
		if !bytes.Equal(got[len(prefix):], want) || !bytes.Equal(got[:len(prefix)], prefix) {
			t.Fatalf("appendEscaped(%q) = %q, want %q", v, got[len(prefix):], want)
		}
		// No spare capacity: the words must stop at the end.
		if got := appendEscaped(nil, v[:len(v):len(v)]); !bytes.Equal(got, want) {
			t.Fatalf("appendEscaped(%q without spare capacity) = %q, want %q", v, got, want)
		}
		// Bytes in v's spare capacity (a key's neighbours in its chunk)
		// are read but must not count.
		spare := append(append(make([]byte, 0, len(v)+16), v...), "\"'\t\\\x00\xff\"\"abcdefghij"...)[:len(v)]
		if got := appendEscaped(nil, spare); !bytes.Equal(got, want) {
			t.Fatalf("appendEscaped(%q with spare capacity) = %q, want %q", v, got, want)
		}
		row := append(append([]byte("x\t"), want...), "\tnext"...)
		back, end, err := unescapeField([]byte("keep"), row, 2)
		if err != nil || string(back) != "keep"+string(v) || end != len(row)-5 {
			t.Fatalf("unescapeField(%q) = %q, %d, %v; want %q, %d", row, back, end, err, v, len(row)-5)
		}
	}
}

func TestAddPartialRejects(t *testing.T) {
	k := "Event\tp\tdefault\tpods\tPod\t201\t10.0.0.1\tResponseComplete\tjane\tua\tcreate\tann"
	cases := []struct{ row, want string }{
		{``, `does not start with "escu3"`},
		{`not a row`, `does not start with "escu3"`},
		{`{"escu":1,"present":[],"nonjson":0,"toomany":0}`, `former JSON partial format`},
		{"escu2\tg\t1\t0\t" + k, `former escu2 partial format`},
		{"escu4\tg\t1\t0\t" + k, `does not start with "escu3"`},
		{"escu3", `no row kind`},
		{"escu3\tx\t1", `byte 7: unknown row kind "x"`},
		{"escu3\tg\t1\t0\tEvent", `has 3 fields after its kind, want at least 14`},
		{"escu3\tg\t0\t0\t" + k, `byte 9: the count "0" is not a decimal of at least 1`},
		{"escu3\tg\t-1\t0\t" + k, `the count "-1"`},
		{"escu3\tg\t01\t0\t" + k, `the count "01"`},
		{"escu3\tg\t1.5\t0\t" + k, `the count "1.5"`},
		{"escu3\tg\t99999999999999999999\t0\t" + k, `the count`},
		{"escu3\tg\t1\ttrue\t" + k, `byte 11: the m flag is "true", want 0 or 1`},
		{"escu3\tg\t1\t0\t" + strings.Replace(k, "pods", `po\zds`, 1), `objectRef.resource: byte 31: unknown escape \z`},
		{"escu3\tg\t1\t0\t" + strings.Replace(k, "pods", `pods\`, 1), `a backslash ends the field`},
		{"escu3\tg\t1\t0\t" + strings.Replace(k, "pods", `pods\x4`, 1), `\x needs two lowercase hex digits`},
		{"escu3\tg\t1\t0\t" + strings.Replace(k, "pods", `pods\x4F`, 1), `\x needs two lowercase hex digits`},
		{"escu3\tg\t1\t0\t" + k + "\ta\t", `user.groups{} value 2 is empty`},
		{"escu3\tg\t1\t0\t" + k + "\ta\\", `user.groups{} value 1: byte`},
		{"escu3\ts\t0", `a state row has 1 fields after its kind, want at least 2`},
		{"escu3\ts\t-1\t0", `nonjson "-1" is not a decimal count`},
		{"escu3\ts\t0\tx", `toomany "x" is not a decimal count`},
		{"escu3\ts\t0\t0\tkind\tKind", `byte 18: unknown field "Kind"`},
	}
	for _, tc := range cases {
		d := New()
		err := d.AddPartial([]byte(tc.row))
		if err == nil || !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddPartial(%q) = %v, want ErrPartial mentioning %q", tc.row, err, tc.want)
		}
		if d.groups.len() != 0 || d.present != 0 || d.nonJSON != 0 {
			t.Errorf("AddPartial(%q) merged something despite failing", tc.row)
		}
	}
	// Counts that would overflow what was merged before are refused, and
	// leave it as it was.
	const big = "999999999999999999"
	d := New()
	for range 9 {
		if err := d.AddPartial([]byte("escu3\tg\t" + big + "\t0\t" + k)); err != nil {
			t.Fatal(err)
		}
	}
	before := d.Result()
	if err := d.AddPartial([]byte("escu3\tg\t" + big + "\t0\t" + k)); err == nil || !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "byte 9: the count 999999999999999999 would take the group's count past") {
		t.Errorf("overflowing count: %v", err)
	}
	if err := d.AddPartial([]byte("escu3\tg\t1\t0\t" + strings.Replace(k, "Event", "Other", 1))); err != nil {
		t.Fatal(err)
	}
	for range 9 {
		if err := d.AddPartial([]byte("escu3\ts\t" + big + "\t0")); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AddPartial([]byte("escu3\ts\t0\t" + big)); err != nil {
		t.Fatal(err)
	}
	if err := d.AddPartial([]byte("escu3\ts\t" + big + "\t0")); err == nil || !strings.Contains(err.Error(), "byte 9: the counters") {
		t.Errorf("overflowing nonjson: %v", err)
	}
	if r := d.Result(); len(r.Rows) != len(before.Rows)+1 || !reflect.DeepEqual(r.Rows[0], before.Rows[0]) {
		t.Errorf("after the refused rows: %q, want %q and one more", rows(r), rows(before))
	}
	// And a valid pair is accepted.
	d = New()
	for _, row := range []string{"escu3\tg\t2\t0\t" + k + "\tb\ta", "escu3\ts\t0\t0\tobjectRef.name"} {
		if err := d.AddPartial([]byte(row)); err != nil {
			t.Fatalf("AddPartial(%q): %v", row, err)
		}
	}
	if got := rows(d.Result()); len(got) != 1 || got[0] != "Event | p | default | pods | Pod | 201 | 10.0.0.1 | ResponseComplete | jane | ua | create | ann | 2 | a,b" {
		t.Errorf("rows %q", got)
	}
}

func FuzzAddPartial(f *testing.F) {
	d := run(distCorpus(f)...)
	_ = d.Flush(func(p []byte) error { f.Add(append([]byte(nil), p...)); return nil })
	f.Add([]byte("escu3\ts\t0\t0"))
	f.Add([]byte("escu3\tg\t1\t1\t\\x00\t\t\t\t\t\t\t\t\t\t\t\\t\tg"))
	f.Fuzz(func(t *testing.T, p []byte) {
		d := New()
		if err := d.AddPartial(p); err != nil {
			if !errors.Is(err, ErrPartial) {
				t.Fatalf("error without ErrPartial: %v", err)
			}
			if d.groups.len() != 0 || d.present != 0 || d.nonJSON != 0 || d.tooMany != 0 {
				t.Fatalf("refused row %q merged something: %v", p, err)
			}
			return
		}
		// Whatever was accepted survives a round trip unchanged.
		want := d.Result()
		e := New()
		if err := d.Flush(func(q []byte) error { return e.AddPartial(q) }); err != nil {
			t.Fatalf("re-flushing an accepted row: %v", err)
		}
		if got := e.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip changed the result")
		}
	})
}
