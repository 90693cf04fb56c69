package auditfield

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

func values(raw, name string) []string {
	var got []string
	Values([]byte(raw), name, func(v []byte) bool {
		got = append(got, string(v))
		return true
	})
	return got
}

func TestValues(t *testing.T) {
	tests := []struct {
		name, raw, field string
		want             []string
	}{
		{"top-level string", `{"kind":"Event"}`, "kind", []string{"Event"}},
		{"nested object", `{"objectRef":{"resource":"pods","name":"x"}}`, "objectRef.resource", []string{"pods"}},
		{"missing", `{"objectRef":{"resource":"pods"}}`, "objectRef.name", nil},
		{"field names are case-sensitive", `{"Kind":"Event"}`, "kind", nil},
		{"array of strings", `{"sourceIPs":["10.0.0.1","::1"]}`, "sourceIPs{}", []string{"10.0.0.1", "::1"}},
		{"array needs braces", `{"sourceIPs":["10.0.0.1"]}`, "sourceIPs", nil},
		{"nested array field", `{"user":{"groups":["a","b"]}}`, "user.groups{}", []string{"a", "b"}},
		{"array of objects", `{"a":[{"b":1},{"c":2},{"b":"x"}]}`, "a{}.b", []string{"1", "x"}},
		{"array of arrays", `{"a":[[1,2],[3],"s"]}`, "a{}{}", []string{"1", "2", "3"}},
		{"scalar beside nested arrays", `{"a":[[1,2],[3],"s"]}`, "a{}", []string{"s"}},
		{"dotted key", `{"requestObject":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}}}}`,
			"requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration", []string{"{}\n"}},
		{"every path that flattens to the name", `{"a.b":{"c":1},"a":{"b.c":2,"b":{"c":3}},"a.b.c":4}`, "a.b.c", []string{"1", "2", "3", "4"}},
		{"duplicate keys give several values", `{"verb":"get","verb":"create"}`, "verb", []string{"get", "create"}},
		{"number as its JSON text", `{"responseStatus":{"code":201}}`, "responseStatus.code", []string{"201"}},
		{"number text kept verbatim", `{"n":-1.50e+3}`, "n", []string{"-1.50e+3"}},
		{"booleans", `{"t":true,"f":false}`, "f", []string{"false"}},
		{"null is the text null", `{"a":null}`, "a", []string{"null"}},
		{"empty string is no value", `{"a":"","b":["","x",""]}`, "b{}", []string{"x"}},
		{"empty string alone", `{"a":""}`, "a", nil},
		{"object is not a value", `{"a":{"b":1}}`, "a", nil},
		{"array is not a value", `{"a":[1]}`, "a", nil},
		{"empty array", `{"a":[]}`, "a{}", nil},
		{"escapes decoded", `{"a":"x\"y\\z\/\n\t\u0041\u00e9\ud83d\ude00"}`, "a", []string{"x\"y\\z/\n\tAé😀"}},
		{"escaped key", `{"a\u002eb":"v","a.b":"w"}`, "a.b", []string{"v", "w"}},
		{"lone surrogate", `{"a":"\ud800x"}`, "a", []string{"\uFFFDx"}},
		{"high then non-low surrogate", `{"a":"\ud800\u0041"}`, "a", []string{"\uFFFDA"}},
		{"invalid UTF-8 replaced", "{\"a\":\"x\xffy\"}", "a", []string{"x\uFFFDy"}},
		{"non-ASCII kept", `{"a":"grüße"}`, "a", []string{"grüße"}},
		{"leading whitespace", " \n\t{\"a\":1}", "a", []string{"1"}},
		{"not an object", `["a"]`, "{}", nil},
		{"not JSON", `kind=Event`, "kind", nil},
		{"empty", ``, "kind", nil},
		{"empty key", `{"":{"a":1},"a":2}`, ".a", []string{"1"}},
		{"broken JSON yields what came before", `{"a":"1","b":`, "a", []string{"1"}},
		{"multiline string", "{\"a\":\"x\\ny\"}", "a", []string{"x\ny"}},
		{"deep irrelevant nesting is skipped", `{"z":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `,"a":1}`, "a", []string{"1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := values(tc.raw, tc.field); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Values(%q, %q) = %q, want %q", tc.raw, tc.field, got, tc.want)
			}
		})
	}
}

func TestValuesStops(t *testing.T) {
	var got []string
	Values([]byte(`{"a":["1","2","3"],"b":{"a":"4"}}`), "a{}", func(v []byte) bool {
		got = append(got, string(v))
		return len(got) < 2
	})
	if want := []string{"1", "2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestExtractSeveral(t *testing.T) {
	x := NewExtractor("verb", "user.groups{}", "sourceIPs{}", "user.username")
	raw := `{"verb":"create","user":{"username":"jane","groups":["dev","system:authenticated"]},"sourceIPs":["1.2.3.4"]}`
	var got []string
	x.Extract([]byte(raw), func(i int, v []byte) bool {
		got = append(got, fmt.Sprintf("%s=%s", x.Names()[i], v))
		return true
	})
	want := []string{"verb=create", "user.username=jane", "user.groups{}=dev", "user.groups{}=system:authenticated", "sourceIPs{}=1.2.3.4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// Stopping inside a nested walk stops everything.
	n := 0
	x.Extract([]byte(raw), func(int, []byte) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("stop after 2: callback ran %d times", n)
	}
}

func TestValuesAliasInput(t *testing.T) {
	raw := []byte(`{"a":"plain"}`)
	Values(raw, "a", func(v []byte) bool {
		if &v[0] != &raw[6] {
			t.Error("an unescaped string should be a slice of the input, not a copy")
		}
		return true
	})
}

// reference flattens a JSON document with encoding/json's token stream,
// independently of gjson, into Splunk field names and values.
func reference(doc []byte) (map[string][]string, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	out := map[string][]string{}
	var order []string
	add := func(name, v string) {
		if v == "" {
			return
		}
		if _, ok := out[name]; !ok {
			order = append(order, name)
		}
		out[name] = append(out[name], v)
	}
	var walk func(prefix string, tok json.Token) error
	walk = func(prefix string, tok json.Token) error {
		switch tok := tok.(type) {
		case json.Delim:
			if tok == '{' {
				for dec.More() {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					name := k.(string)
					if prefix != "" {
						name = prefix + "." + name
					}
					v, err := dec.Token()
					if err != nil {
						return err
					}
					if err := walk(name, v); err != nil {
						return err
					}
				}
			} else {
				for dec.More() {
					v, err := dec.Token()
					if err != nil {
						return err
					}
					if err := walk(prefix+"{}", v); err != nil {
						return err
					}
				}
			}
			_, err := dec.Token()
			return err
		case string:
			add(prefix, tok)
		case json.Number:
			add(prefix, string(tok))
		case bool:
			add(prefix, fmt.Sprint(tok))
		case nil:
			add(prefix, "null")
		}
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("not an object")
	}
	if err := walk("", tok); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("trailing data")
	}
	return out, order, nil
}

// checkAgainstReference compares Values with the reference flattener for
// every field the document has, and for one extra name.
func checkAgainstReference(t *testing.T, doc []byte, extra string) {
	t.Helper()
	ref, order, err := reference(doc)
	if err != nil {
		return
	}
	for _, name := range append(order, extra) {
		if strings.Count(name, ".") > 40 {
			continue
		}
		got := values(string(doc), name)
		if !reflect.DeepEqual(got, ref[name]) {
			t.Fatalf("field %q of %q: Values gave %q, encoding/json gives %q", name, doc, got, ref[name])
		}
	}
}

func TestValuesMatchReferenceOnFixtures(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures", "audit")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	n := 0
	for _, f := range files {
		if !strings.HasSuffix(f, ".json") && !strings.HasSuffix(f, ".jsonl") && !strings.HasSuffix(f, ".log") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			checkAgainstReference(t, line, "requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration")
			n++
		}
	}
	if n < 150 {
		t.Fatalf("only %d fixture events checked; expected the ~160 of ../shared/fixtures/audit", n)
	}
}

func TestValuesMatchReferenceOnSample(t *testing.T) {
	data, err := os.ReadFile("../../testdata/audit.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		checkAgainstReference(t, line, "user.groups{}")
	}
}

func FuzzValues(f *testing.F) {
	for _, s := range []string{
		`{"kind":"Event","user":{"groups":["a","b"]},"sourceIPs":["::1"]}`,
		`{"a.b":{"c":1},"a":{"b.c":2,"b":{"c":3}},"a.b.c":4}`,
		`{"a":[[1,{"b":"x"}],[3],"s",null,true]}`,
		`{"a":"x\"y\\z\/\n\t\u0041\u00e9\ud83d\ude00\ud800"}`,
		"{\"a\":\"x\xffy\"}",
		`{"a\u002eb":"v","":{"":""}}`,
	} {
		f.Add([]byte(s), "a.b.c")
	}
	f.Fuzz(func(t *testing.T, doc []byte, name string) {
		// Never panics, and values are valid UTF-8, whatever the input.
		Values(doc, name, func(v []byte) bool {
			if !utf8.Valid(v) || len(v) == 0 {
				t.Fatalf("value %q of %q is empty or invalid UTF-8", v, name)
			}
			return true
		})
		if json.Valid(doc) {
			checkAgainstReference(t, doc, name)
		}
	})
}
