package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
