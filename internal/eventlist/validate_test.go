package eventlist

import (
	"errors"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// The detections read events with gjson, so Validate must accept exactly
// what gjson.ValidBytes accepts: a line the reader passes on is one the
// detections can read, and a line it reports as broken really is.
var gjsonCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+3`, `-12.0E-7`, `true`, `false`, `null`, ` {"a" : [1, {"b":null}] } `,
	"\t\r\n{}\n", `{"k":"\"\\\/\b\f\n\r\t\u00e9\uABCD"}`, `"é😀\x7f"`, "\"\xff\xfe\"", `[[[[[]]]]]`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"9c5e","stage":"ResponseComplete"}`,
	// invalid
	``, ` `, `{`, `}`, `[1,]`, `[,1]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{'a':1}`, `01`, `1.`, `.5`, `-`, `1e`,
	`1e+`, `+1`, `tru`, `nul`, `falsey`, `"abc`, `"a\x"`, `"\u12G4"`, `"\u123"`, "\"a\tb\"", "\"\x00\"", `{} {}`,
	`[1 2]`, `{"a":1 "b":2}`, `"\`, `[`, `["a"`, `{"a":[}`, `NaN`, `[1]]`, `{"a":1}}`,
}

func TestValidateAgreesWithGJSON(t *testing.T) {
	for _, s := range gjsonCases {
		err := Validate([]byte(s))
		if want := gjson.Valid(s); (err == nil) != want {
			t.Errorf("Validate(%q) = %v, gjson says %v", s, err, want)
		}
	}
	// Strings with every byte value at every offset of the 8-byte blocks.
	for c := 0; c < 256; c++ {
		for pre := 0; pre < 20; pre++ {
			b := []byte(`"` + strings.Repeat("a", pre) + "?" + strings.Repeat("b", 9) + `"`)
			b[1+pre] = byte(c)
			err := Validate(b)
			if want := gjson.ValidBytes(b); (err == nil) != want {
				t.Fatalf("Validate(%q) = %v, gjson says %v", b, err, want)
			}
		}
	}
}

func TestValidateDepth(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if err := Validate([]byte(deep)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	for _, doc := range []string{"[" + deep + "]", strings.Repeat(`{"a":[`, 5_000_000)} {
		err := Validate([]byte(doc))
		if !errors.Is(err, ErrTooDeep) || !errors.Is(err, ErrNotJSON) {
			t.Errorf("%d bytes of nesting: %v, want ErrTooDeep and ErrNotJSON", len(doc), err)
		}
	}
	if err := Validate([]byte("[1,]")); errors.Is(err, ErrTooDeep) {
		t.Errorf("a syntax error is not ErrTooDeep: %v", err)
	}
}

// FuzzValidateGJSON checks Validate against gjson.ValidBytes.
func FuzzValidateGJSON(f *testing.F) {
	for _, s := range gjsonCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Validate(b)
		if errors.Is(err, ErrTooDeep) {
			return // gjson has no limit
		}
		if want := gjson.ValidBytes(b); (err == nil) != want {
			t.Fatalf("Validate(%q) = %v, gjson says %v", b, err, want)
		}
	})
}
