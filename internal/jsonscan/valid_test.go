package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// The detections read events with gjson, so Validate must accept exactly
// what gjson.ValidBytes accepts: a line the reader passes on is one the
// detections can read, and a line it reports as broken really is. The
// fuzz targets check against encoding/json, which agrees with gjson on
// all of these.
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
		if want := gjson.Valid(s); (err == nil) != want || json.Valid([]byte(s)) != want {
			t.Errorf("Validate(%q) = %v, gjson says %v, encoding/json %v", s, err, want, json.Valid([]byte(s)))
		}
		plain, perr := ValidatePlain([]byte(s), nil, 0)
		if (perr == nil) != (err == nil) || plain && perr != nil {
			t.Errorf("ValidatePlain(%q) = %v, %v; Validate %v", s, plain, perr, err)
		}
	}
	// Strings with every byte value at every offset of the 8-byte blocks,
	// through both of validString's loops.
	for c := 0; c < 256; c++ {
		for pre := 0; pre < 20; pre++ {
			b := []byte(`"` + strings.Repeat("a", pre) + "?" + strings.Repeat("b", 9) + `"`)
			b[1+pre] = byte(c)
			want := gjson.ValidBytes(b)
			if err := Validate(b); (err == nil) != want {
				t.Fatalf("Validate(%q) = %v, gjson says %v", b, err, want)
			}
			plain, err := ValidatePlain(b, nil, 0)
			if (err == nil) != want {
				t.Fatalf("ValidatePlain(%q) = %v, gjson says %v", b, err, want)
			}
			if wantPlain := want && (c >= 0x20 && c < 0x80 && c != '<' && c != '>' && c != '&'); plain != wantPlain {
				t.Fatalf("ValidatePlain(%q) plain = %v", b, plain)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct{ doc, err string }{
		{`{"a":[1,-2.5e+3,0,true,false,null,"x\u00e9\n"],"b":{}}`, ""},
		{" [ ] ", ""},
		{`{"a":1,}`, `not valid JSON at byte 7: unexpected '}' where an object key belongs`},
		{`{"a" 1}`, `not valid JSON at byte 5: missing ':' after object key`},
		{`[1 2]`, `not valid JSON at byte 3: unexpected '2' after a value`},
		{`[01]`, `not valid JSON at byte 2: unexpected '1' after a value`},
		{`[1.]`, `not valid JSON at byte 3: malformed number`},
		{`[-]`, `not valid JSON at byte 2: malformed number`},
		{`[tru]`, `not valid JSON at byte 1: invalid literal`},
		{`["a\x"]`, `not valid JSON at byte 3: invalid escape \x`},
		{`["\u12G4"]`, `not valid JSON at byte 2: malformed \u escape`},
		{`["\u12`, `not valid JSON at byte 2: malformed \u escape`},
		{"[\"a\tb\"]", `not valid JSON at byte 3: control character 0x09 in string`},
		{`["abc`, `not valid JSON at byte 1: unterminated string`},
		{`{"a":1`, `not valid JSON at byte 6: unexpected end of input`},
		{`{} {}`, `not valid JSON at byte 3: data after the top-level value`},
		{``, `not valid JSON at byte 0: unexpected end of input`},
		{`]`, `not valid JSON at byte 0: unexpected ']' where a value belongs`},
		{strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), ""},
		{strings.Repeat("[", MaxDepth+1), `not valid JSON at byte 10000: nested deeper than 10000`},
	} {
		for _, plainToo := range []bool{false, true} {
			err := Validate([]byte(tc.doc))
			if plainToo {
				_, err = ValidatePlain([]byte(tc.doc), nil, 0)
			}
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Errorf("Validate(%.40q) = %v, want %q", tc.doc, err, tc.err)
			}
			var se *SyntaxError
			if err != nil && (!errors.Is(err, ErrSyntax) || !errors.As(err, &se)) {
				t.Errorf("%v is not a *SyntaxError wrapping ErrSyntax", err)
			}
		}
	}
	// 64 MiB of '[' (a hostile body at the default max_body_bytes) is an
	// error, not a stack overflow.
	if err := Validate(bytes.Repeat([]byte("["), 64<<20)); err == nil || !strings.Contains(err.Error(), "nested deeper than") {
		t.Errorf("deep document: %v", err)
	}
}

func TestValidateDepth(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if err := Validate([]byte(deep)); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	for _, doc := range []string{"[" + deep + "]", strings.Repeat(`{"a":[`, 5_000_000)} {
		err := Validate([]byte(doc))
		if !errors.Is(err, ErrTooDeep) || !errors.Is(err, ErrSyntax) {
			t.Errorf("%d bytes of nesting: %v, want ErrTooDeep and ErrSyntax", len(doc), err)
		}
	}
	if err := Validate([]byte("[1,]")); errors.Is(err, ErrTooDeep) {
		t.Errorf("a syntax error is not ErrTooDeep: %v", err)
	}
}

// recorder logs what a Visitor is shown, as "depth:K:key", "depth:S:rest
// of the document" and "depth:E:value".
type recorder struct {
	log    []string
	starts [8]int
}

func (r *recorder) Key(d int, k []byte) { r.log = append(r.log, string(rune('0'+d))+"K"+string(k)) }
func (r *recorder) Start(d int, doc []byte, i int) {
	r.starts[d] = i
}
func (r *recorder) End(d int, doc []byte, i int) {
	r.log = append(r.log, string(rune('0'+d))+"V"+string(doc[r.starts[d]:i]))
}

func TestValidatePlainVisitor(t *testing.T) {
	var r recorder
	doc := ` {"a" : [1, {"b":"x"}] , "c\"":{"d":{"e":2}}} `
	if _, err := ValidatePlain([]byte(doc), &r, 2); err != nil {
		t.Fatal(err)
	}
	want := `1Ka 2V1 2V{"b":"x"} 1V[1, {"b":"x"}] 1Kc\" 2Kd 2V{"e":2} 1V{"d":{"e":2}} 0V{"a" : [1, {"b":"x"}] , "c\"":{"d":{"e":2}}}`
	if got := strings.Join(r.log, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// FuzzValidate checks Validate and ValidatePlain against encoding/json.
func FuzzValidate(f *testing.F) {
	for _, s := range append([]string{`{"a":[1,2.5e3,"\u00e9"]}`, `[`, `"\ud800"`, `-0.0E+1`, `{"a":{"b":[]}} `, "\"\x7f\xff\"", `[1,]`, `01`}, gjsonCases...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		err := Validate(doc)
		plain, perr := ValidatePlain(doc, nil, 0)
		if (err == nil) != (perr == nil) {
			t.Fatalf("Validate = %v, ValidatePlain = %v", err, perr)
		}
		if errors.Is(err, ErrTooDeep) {
			return
		}
		if want := json.Valid(doc); (err == nil) != want {
			t.Fatalf("Validate = %v, json.Valid = %v for %q", err, want, doc)
		}
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(doc) || err.Error() != perr.Error() {
				t.Fatalf("bad error %#v (ValidatePlain: %v)", err, perr)
			}
			return
		}
		wantPlain := true
		for _, c := range doc {
			if (c < 0x20 && c != '\t' && c != '\n') || c >= 0x80 || c == '<' || c == '>' || c == '&' {
				wantPlain = false
			}
		}
		if plain != wantPlain {
			t.Fatalf("plain = %v for %q", plain, doc)
		}
	})
}
