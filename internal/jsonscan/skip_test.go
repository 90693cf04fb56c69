package jsonscan

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

func TestSkipString(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int // index after the string at 0, or -1
	}{
		{`""`, 2},
		{`"a"x`, 3},
		{`"\""`, 4},
		{`"\\"x"`, 4},
		{`"\\\"x"`, 7},
		{`"` + strings.Repeat("a", 40) + `\\"`, 44},                                // the long path ends after an even run
		{`"` + strings.Repeat("a", 40) + `\"x"`, 45},                               // and goes on after an odd one
		{`"` + strings.Repeat("a", 14) + `\\` + strings.Repeat("b", 20) + `"`, 38}, // an escape before the long path
		{`"abc`, -1},
		{`"abc\"`, -1},
		{`"` + strings.Repeat("a", 30), -1},
		{`"\`, -1},
	} {
		if got := SkipString([]byte(tc.s), 0); got != tc.want {
			t.Errorf("SkipString(%q) = %d, want %d", tc.s, got, tc.want)
		}
		if got := SkipLongString([]byte(tc.s), 0); got != tc.want {
			t.Errorf("SkipLongString(%q) = %d, want %d", tc.s, got, tc.want)
		}
		if tc.want != 2 {
			if got := indexStringEnd([]byte(tc.s), 1); got != tc.want {
				t.Errorf("indexStringEnd(%q) = %d, want %d", tc.s, got, tc.want)
			}
		}
	}
}

func TestSkipValue(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{`{"a":"}"} `, 9}, {`[1,[2,{}]],`, 10}, {`123,`, 3}, {`true}`, 4}, {`null`, 4}, {`-1.5e3]`, 6},
		{`{"a":1`, -1}, {`["]`, -1}, {`,`, -1}, {`}`, -1},
	} {
		if got := SkipValue([]byte(tc.s), 0); got != tc.want {
			t.Errorf("SkipValue(%q) = %d, want %d", tc.s, got, tc.want)
		}
		if got := SkipLongValue([]byte(tc.s), 0); got != tc.want {
			t.Errorf("SkipLongValue(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestIsBlankSkipSpace(t *testing.T) {
	for c := 0; c < 256; c++ {
		if IsBlank(byte(c)) != (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			t.Errorf("IsBlank(%#x)", c)
		}
	}
	if SkipSpace([]byte(" \t\r\nx "), 0) != 4 || SkipSpace([]byte("  "), 1) != 2 {
		t.Error("SkipSpace")
	}
}

// FuzzSkip checks every skipper on every valid JSON value: the
// value spans the whole text (encoding/json's view of one value), inside
// an array too, and no proper prefix of a string or container ends it.
func FuzzSkip(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b\\"`, `{"a":["}",{"b":"\\\""}]}`, `"` + strings.Repeat("x", 50) + `\\"`, `12.5`, `[true,null]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		skippers := []struct {
			name string
			fn   func([]byte, int) int
		}{{"SkipValue", SkipValue}, {"SkipLongValue", SkipLongValue}}
		if !json.Valid(v) {
			for _, s := range skippers {
				if len(v) > 0 {
					if e := s.fn(v, 0); e < -1 || e > len(v) {
						t.Fatalf("%s(%q) = %d", s.name, v, e)
					}
				}
			}
			return
		}
		v = bytes.TrimSpace(v)
		in := append(append([]byte(`[`), v...), `,0]`...)
		for _, s := range skippers {
			if e := s.fn(v, 0); e != len(v) {
				t.Fatalf("%s(%q) = %d, want %d", s.name, v, e, len(v))
			}
			if e := s.fn(in, 1); e != len(v)+1 {
				t.Fatalf("%s(%q, 1) = %d, want %d", s.name, in, e, len(v)+1)
			}
			if v[0] == '"' || v[0] == '{' || v[0] == '[' {
				for k := 1; k < len(v); k++ {
					if e := s.fn(v[:k], 0); e != -1 {
						t.Fatalf("%s(%q) = %d on a cut value", s.name, v[:k], e)
					}
				}
			}
		}
		if v[0] == '"' {
			if e, esc := skipKey(in, 1); e != len(v)+1 || esc != bytes.Contains(v, []byte{'\\'}) {
				t.Fatalf("skipKey(%q, 1) = %d, %v", in, e, esc)
			}
			for _, s := range []struct {
				name string
				fn   func([]byte, int) int
				at   int
			}{{"SkipString", SkipString, 1}, {"SkipLongString", SkipLongString, 1}, {"indexStringEnd", indexStringEnd, 2}} {
				if e := s.fn(in, s.at); e != len(v)+1 {
					t.Fatalf("%s(%q, %d) = %d, want %d", s.name, in, s.at, e, len(v)+1)
				}
			}
		}
	})
}

// skipStringRef is SkipString byte by byte: a backslash takes the byte
// after it along, the first other quote closes the string.
func skipStringRef(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i++
		}
	}
	return -1
}

func checkSkipString(t *testing.T, b []byte) {
	t.Helper()
	if got, want := SkipString(b, 0), skipStringRef(b, 0); got != want {
		t.Fatalf("SkipString(%q) = %d, want %d", b, got, want)
	}
}

// TestSkipStringEscapeDense: strings of escapes, backslash runs of every
// length up to 130 ending at every offset around the 64-byte blocks the
// escape-dense walk takes, cut anywhere; random strings of backslashes,
// quotes and letters.
func TestSkipStringEscapeDense(t *testing.T) {
	check := func(b []byte) { checkSkipString(t, b) }
	aroundBlocks(`"\"\"`, `"x\"y\\"z" and more`, 'y', 131, 80, check)
	randomTexts(5, 20000, `\\\\\"xxxxxxxx`, func(b []byte) { check(append([]byte{'"'}, b...)) })
}

// aroundBlocks calls check with texts made of prefix, 0 to 139 letters,
// a run of 0 to maxRun-1 backslashes, suffix and 70 bytes of fill: each
// run ends at every offset of the 64-byte blocks. Each text is checked
// whole and without its last cut bytes.
func aroundBlocks(prefix, suffix string, fill byte, maxRun, cut int, check func([]byte)) {
	for run := range maxRun {
		for off := range 140 {
			b := append([]byte(prefix), bytes.Repeat([]byte("x"), off)...)
			b = append(b, bytes.Repeat([]byte{'\\'}, run)...)
			b = append(b, suffix...)
			b = append(b, bytes.Repeat([]byte{fill}, 70)...)
			check(b)
			check(b[:len(b)-cut])
		}
	}
}

// randomTexts calls check with n texts of 1 to 400 bytes drawn from
// alphabet (a byte's weight is how often it is there).
func randomTexts(seed uint64, n int, alphabet string, check func([]byte)) {
	r := rand.New(rand.NewPCG(seed, seed+1))
	for range n {
		b := make([]byte, 1+r.IntN(400))
		for k := range b {
			b[k] = alphabet[r.IntN(len(alphabet))]
		}
		check(b)
	}
}

func FuzzSkipString(f *testing.F) {
	f.Add([]byte(`"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":[{\"securityContext\":{\"privileged\":true}}]}}"`))
	f.Add(append([]byte(`"\"\"`), bytes.Repeat([]byte{'\\'}, 100)...))
	f.Fuzz(func(t *testing.T, b []byte) { checkSkipString(t, b) })
}

// skipValueRef is SkipValue's byte walk, everywhere.
func skipValueRef(b []byte, i int) int {
	switch b[i] {
	case '{', '[':
		return skipContainerFrom(b, i, 0, false)
	}
	return SkipValue(b, i)
}

func checkSkipValue(t *testing.T, b []byte) {
	t.Helper()
	for i, c := range b {
		if c == '{' || c == '[' {
			if got, want := SkipValue(b, i), skipValueRef(b, i); got != want {
				t.Fatalf("SkipValue(%q, %d) = %d, want %d", b, i, got, want)
			}
			if got, want := SkipLongValue(b, i), skipValueRef(b, i); got != want {
				t.Fatalf("SkipLongValue(%q, %d) = %d, want %d", b, i, got, want)
			}
		}
	}
}

// TestSkipValueBlocks holds the 64-byte walk of containers to the byte
// walk: on the shared audit events (from every bracket), on containers
// with strings, escapes and backslash runs across the block boundaries,
// cut anywhere, and on random text of the bytes the walks look at,
// backslashes outside strings included.
func TestSkipValueBlocks(t *testing.T) {
	for _, e := range sampleEvents(t) {
		checkSkipValue(t, e)
	}
	check := func(b []byte) { checkSkipValue(t, b) }
	aroundBlocks(`{"a":[{"b":"`, `"}]}, "\"{[" :{"c":"]}\\"}}`, ']', 70, 75, check)
	randomTexts(7, 5000, `{{[[}}]]""\\xxxxxxxxxxxx`, check)
}

func FuzzSkipValue(f *testing.F) {
	f.Add([]byte(`{"a":{"b":["c","d\"}"]},"e":"{\\\\"}`))
	f.Add(append([]byte(`[{"x":"`), bytes.Repeat([]byte{'\\'}, 90)...))
	f.Fuzz(func(t *testing.T, b []byte) { checkSkipValue(t, b) })
}

// sampleEvents returns the bundled sample's audit events and 300
// generated ones (testsupport/corpus).
func sampleEvents(t *testing.T) [][]byte {
	data, err := os.ReadFile("../../testdata/audit.log")
	if err != nil {
		t.Fatal(err)
	}
	events := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	g := corpus.New(3)
	for range 300 {
		events = append(events, g.Append(nil))
	}
	return events
}

// TestStructMarks holds structMarks to structMarksBytes on blocks of the
// bytes it marks, their neighbours and bytes above 0x7F.
func TestStructMarks(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const alphabet = "\"\\{}[]\x22\x5c\x7b\x7d\x5b\x5d\x02\x3c\x3e\x7a\x7c\x5a\xfb\xfd\xdb\xdd\xa2\xdcx"
	var p [64]byte
	for range 20000 {
		for k := range p {
			p[k] = alphabet[r.IntN(len(alphabet))]
		}
		q, b, o, c := structMarks(&p)
		wq, wb, wo, wc := structMarksBytes(&p)
		if q != wq || b != wb || o != wo || c != wc {
			t.Fatalf("structMarks(%q) = %x %x %x %x, want %x %x %x %x", p, q, b, o, c, wq, wb, wo, wc)
		}
	}
}
