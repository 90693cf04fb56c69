package auditlog

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

var validCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+3`, `-12.0E-7`, `true`, `false`, `null`, ` {"a" : [1, {"b":null}] } `,
	"\t\r\n{}\n", `{"k":"\"\\\/\b\f\n\r\t\u00e9\uABCD"}`, `"é😀\x7f"`, "\"\xff\xfe\"", `[[[[[]]]]]`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"9c5e","stage":"ResponseComplete"}`,
	// invalid
	``, ` `, `{`, `}`, `[1,]`, `[,1]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{'a':1}`, `01`, `1.`, `.5`, `-`, `1e`,
	`1e+`, `+1`, `tru`, `nul`, `falsey`, `"abc`, `"a\x"`, `"\u12G4"`, `"\u123"`, "\"a\tb\"", "\"\x00\"", `{} {}`,
	`[1 2]`, `{"a":1 "b":2}`, `"\`, `[`, `["a"`, `{"a":[}`, `NaN`, `[1]]`, `{"a":1}}`,
}

func TestValidJSONMatchesGJSON(t *testing.T) {
	for _, s := range validCases {
		got, _ := validJSON([]byte(s), nil)
		if want := gjson.Valid(s); (got == valid) != want {
			t.Errorf("validJSON(%q) = %v, gjson says %v", s, got, want)
		}
	}
	// Strings with every byte value at every offset of the 8-byte blocks.
	for c := 0; c < 256; c++ {
		for pre := 0; pre < 20; pre++ {
			s := `"` + strings.Repeat("a", pre) + string(rune(0)) + strings.Repeat("b", 9) + `"`
			b := []byte(s)
			b[1+pre] = byte(c)
			got, _ := validJSON(b, nil)
			if want := gjson.ValidBytes(b); (got == valid) != want {
				t.Fatalf("validJSON(%q) = %v, gjson says %v", b, got, want)
			}
		}
	}
}

func TestSpecialFindsFirstByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			var b [8]byte
			for i := range b {
				b[i] = 'x'
			}
			b[pos] = byte(c)
			m := special(binary.LittleEndian.Uint64(b[:]))
			want := c == '"' || c == '\\' || c < 0x20
			if got := m != 0; got != want {
				t.Fatalf("byte %#x at %d: flagged %v", c, pos, got)
			}
			if want && (m&-m) != 0x80<<(8*pos) {
				t.Fatalf("byte %#x at %d: lowest flag at %#x", c, pos, m&-m)
			}
		}
	}
}

func TestValidJSONDepth(t *testing.T) {
	deep := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if v, _ := validJSON([]byte(deep), nil); v != valid {
		t.Errorf("depth %d: %v", maxDepth, v)
	}
	if v, _ := validJSON([]byte("["+deep+"]"), nil); v != tooDeep {
		t.Errorf("depth %d: %v", maxDepth+1, v)
	}
	// Deep enough to overflow a recursive validator's stack.
	if v, _ := validJSON([]byte(strings.Repeat(`{"a":[`, 5_000_000)), nil); v != tooDeep {
		t.Errorf("very deep: %v", v)
	}
}

func TestReaderRejectsDeepNesting(t *testing.T) {
	in := ev1 + "\n" + strings.Repeat("[", 3_000_000) + "\n" + `{"a":` + strings.Repeat("[", maxDepth) + "\n" + ev2 + "\n"
	r := NewReader(strings.NewReader(in), "deep.log")
	got := readAll(t, r)
	want := []string{"ev 001: " + ev1,
		"err: deep.log:2: JSON nested deeper than 10000 levels",
		"err: deep.log:3: JSON nested deeper than 10000 levels",
		"ev 004: " + ev2}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", got)
	}
	_, err := NewReader(strings.NewReader(strings.Repeat("[", maxDepth+1)), "x").Next()
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("got %v", err)
	}
}

// FuzzValidJSON checks validJSON against gjson.ValidBytes, the
// validator the detections rely on.
func FuzzValidJSON(f *testing.F) {
	for _, s := range validCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _ := validJSON(b, nil)
		if got == tooDeep {
			return // gjson has no limit
		}
		if want := gjson.ValidBytes(b); (got == valid) != want {
			t.Fatalf("validJSON(%q) = %v, gjson says %v", b, got, want)
		}
	})
}
