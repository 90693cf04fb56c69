package jsonscan

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// scanPlainCases are documents whose every fault ScanPlain must find where
// ValidatePlain finds it, beside the gjson cases.
var scanPlainCases = []string{
	`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"a":1},{"b":"<x>"}]}`,
	`{"a":tru}`, `{"a":fals}`, `{"a":falsy}`, `{"a":nulL}`, `[true,false,null]`, `[t]`, `[f]`, `[n]`,
	`{"a" : 1 , "b" :[ ] }`, `{"a":1}x`, `{"a":1} `, `{"a"  :  "\u00e9" }`, "{\"a\":\"x\"\r}",
	`{"a":"\`, `{"a":"x\q"}`, `{"a":"12345678\u12"}`, `{"a":"12345678901234567890"`, `{"a`, `{"a"`, `{"a":`,
}

// scanAll runs ScanPlain and ValidatePlain with recorders and fails the
// test when they differ in result, error or Visitor calls.
func scanAll(t *testing.T, doc []byte, depth int) {
	t.Helper()
	var rf, rr recorder
	plain, err := ScanPlain(doc, &rf, depth)
	wantPlain, wantErr := ValidatePlain(doc, &rr, depth)
	if plain != wantPlain || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("ScanPlain(%q) = %v, %v; ValidatePlain = %v, %v", doc, plain, err, wantPlain, wantErr)
	}
	if err != nil && (!errors.Is(err, ErrSyntax) || errors.Is(err, ErrTooDeep) != errors.Is(wantErr, ErrTooDeep)) {
		t.Fatalf("ScanPlain(%q) error %v does not wrap what ValidatePlain's does (%v)", doc, err, wantErr)
	}
	if !slices.Equal(rf.log, rr.log) {
		t.Fatalf("ScanPlain(%q) showed the Visitor\n%q\nValidatePlain\n%q", doc, rf.log, rr.log)
	}
}

func TestScanPlain(t *testing.T) {
	for _, s := range append(append([]string{}, gjsonCases...), scanPlainCases...) {
		for depth := 0; depth < 4; depth++ {
			scanAll(t, []byte(s), depth)
		}
	}
	// Every byte value at every offset of the eight-byte blocks, in a
	// value and in a key, after a plain and a dirty start.
	for c := 0; c < 256; c++ {
		for pre := 0; pre < 20; pre++ {
			for _, form := range []string{`{"k":"%s","z":1}`, `{"%s":"v"}`, `{"é":"%s"}`, `["<",%s]`} {
				s := strings.Repeat("a", pre) + "?" + strings.Repeat("b", 9)
				if form == `["<",%s]` {
					s = `"` + s + `"`
				}
				// Padded so that the byte falls in a full 64-byte block,
				// or across the end of one, as well as in a short tail.
				for _, pad := range []int{0, 50, 57, 60, 63, 121} {
					b := []byte(`[` + strings.Repeat(" ", pad) + strings.Replace(form, "%s", s, 1) + `,"` + strings.Repeat("c", 70) + `"]`)
					b[strings.IndexByte(string(b), '?')] = byte(c)
					scanAll(t, b, 2)
				}
			}
		}
	}
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	scanAll(t, []byte(deep), 1)
	scanAll(t, []byte("["+deep+"]"), 1)
}

// FuzzScanPlain holds ScanPlain to ValidatePlain: same plain flag, same
// positioned error, same Visitor calls.
func FuzzScanPlain(f *testing.F) {
	for _, s := range append(append([]string{}, gjsonCases...), scanPlainCases...) {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, doc []byte, depth uint8) {
		scanAll(t, doc, int(depth%6))
	})
}
