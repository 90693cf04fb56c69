package auditfield

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// escuNames are the fields the default mode reads: dotted keys, arrays of
// scalars, an annotation key with dots and a slash.
var escuNames = []string{
	"kind", "objectRef.name", "objectRef.namespace", "objectRef.resource", "requestObject.kind",
	"responseStatus.code", "sourceIPs{}", "stage", "user.username", "userAgent", "verb",
	"requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration", "user.groups{}",
	"a.b.c", "a{}", "a{}.b", "a{}{}",
}

type fieldValue struct {
	f int
	v string
}

// checkExtractValid requires ExtractValid's verdict to be gjson.ValidBytes'
// and, on valid input, its values to be Extract's.
func checkExtractValid(t *testing.T, raw []byte) {
	t.Helper()
	x := NewExtractor(escuNames...)
	var got, want []fieldValue
	valid := x.ExtractValid(raw, func(f int, v []byte) bool {
		got = append(got, fieldValue{f, string(v)})
		return true
	})
	if g := gjson.ValidBytes(raw); valid != g {
		t.Fatalf("ExtractValid(%q) says valid=%v, gjson.ValidBytes %v", raw, valid, g)
	}
	if !valid {
		return
	}
	NewExtractor(escuNames...).Extract(raw, func(f int, v []byte) bool {
		want = append(want, fieldValue{f, string(v)})
		return true
	})
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ExtractValid(%q) values %+v, Extract %+v", raw, got, want)
	}
}

var validSeeds = []string{
	`{"kind":"Event","user":{"username":"a","groups":["a","b"]},"sourceIPs":["::1"],"objectRef":{"resource":"pods"}}`,
	`{"a.b":{"c":1},"a":{"b.c":2,"b":{"c":3}},"a.b.c":4}`,
	`{"a":[[1,{"b":"x"}],[3],"s",null,true,false,-0.5e+3,0,1E9]}`,
	`{"a":"x\"y\\z\/\n\t\u0041\u00e9\ud83d\ude00\ud800"}`,
	"{\"a\":\"x\xffy\"}",
	`{"a\u002eb":"v","":{"":""}}`,
	" \t\r\n{ \"kind\" : \"x\" , \"z\" : [ ] , \"y\" : { } } \n",
	`{"kind":01}`, `{"kind":-}`, `{"kind":1.}`, `{"kind":1e}`, `{"kind":.5}`, `{"kind":+1}`, `{"kind":tru}`,
	`{"kind":truex}`, `{"kind":nul}`, `{"z":[1,]}`, `{"z":{"a":1,}}`, `{"z":[,1]}`, `{"z":"a` + "\x01" + `"}`,
	`{"z":"\x"}`, `{"z":"\u12G4"}`, `{"z":"\u12"}`, `{"kind":"a"}}`, `{"kind":"a"} x`, `{"kind" "a"}`,
	`{"kind":"a" "b":1}`, `{"z":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	`{"z":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	`[1,2]`, `"s"`, `1`, ``, ` `, `{`, `{"a":{"b":[1,{"c":"d"}],"e":"f"}}`, `{"z":{"a":[}]}}`, `{"z":[}`,
	`{"sourceIPs":["a",1,{"x":1},"b"]}`, `{"user":{"groups":"g"},"user.groups":["h"]}`,
}

// TestExtractValid runs the seeds and every event of the sample log.
func TestExtractValid(t *testing.T) {
	for _, s := range validSeeds {
		checkExtractValid(t, []byte(s))
	}
	f, err := os.Open("../../testdata/audit.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		checkExtractValid(t, line)
		// and broken at every tenth byte
		for i := 0; i < len(line); i += 10 {
			checkExtractValid(t, line[:i])
		}
		n++
	}
	if n < 100 || sc.Err() != nil {
		t.Fatalf("read %d events: %v", n, sc.Err())
	}
	// Deep nesting is read without recursion.
	deep := "{\"z\":" + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}"
	checkExtractValid(t, []byte(deep))
}

// FuzzExtractValid checks ExtractValid against gjson.ValidBytes and
// Extract on any input.
func FuzzExtractValid(f *testing.F) {
	for _, s := range validSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkExtractValid(t, raw) })
}
