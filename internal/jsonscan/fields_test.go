package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFields(t *testing.T) {
	obj := []byte(" {\"a\" : 1 ,\"b\\\"q\":\"x\\\\\",\"c\":{\"d\":[1,{\"e\":\"]}\\\"\"}]},\"f\":[],\"g\":true,\"h\":null,\"i\":-1.5e3}\n")
	var got []string
	if !Fields(obj, func(k, v []byte) bool {
		got = append(got, string(k)+"="+string(v))
		return true
	}) {
		t.Error("Fields reported a valid object broken")
	}
	want := []string{`a=1`, `b\"q="x\\"`, `c={"d":[1,{"e":"]}\""}]}`, `f=[]`, `g=true`, `h=null`, `i=-1.5e3`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	n := 0
	if !Fields(obj, func(k, v []byte) bool { n++; return n < 2 }) || n != 2 {
		t.Errorf("did not stop: %d calls", n)
	}
	for _, bad := range []string{"", "[1]", "{", `{"a"`, `{"a":`, `{"a":"x`, `{"a":1`, "\"x\"", `{"a":1]`, `{"a" 1}`, `{"a":1,}`, `{,}`} {
		if Fields([]byte(bad), func(k, v []byte) bool { return true }) {
			t.Errorf("Fields(%q) reported an object", bad)
		}
	}
	if !Fields([]byte(` {} `), func(k, v []byte) bool { t.Error("member of {}"); return true }) {
		t.Error("{} is an object")
	}
}

func TestFieldsPlain(t *testing.T) {
	var got []string
	ok := FieldsPlain([]byte(`{"a":"\\","b":{"c\u0022":1},"v\u0065rb":2,"d":3}`), func(k, v []byte) bool {
		got = append(got, string(k))
		return true
	})
	if ok || strings.Join(got, ",") != "a,b" {
		t.Errorf("FieldsPlain went past an escaped key: %v %q", ok, got)
	}
	if !FieldsPlain([]byte(`{"a":"\"","b":[]}`), func(k, v []byte) bool { return true }) {
		t.Error("FieldsPlain refused escapes in values")
	}
}

func TestElementsAt(t *testing.T) {
	arr := []byte(`x[ 1 , "a]" ,{"b":[2]},[],null ]y`)
	var got []string
	end := ElementsAt(arr, 1, func(i int) int {
		e := SkipValue(arr, i)
		got = append(got, string(arr[i:e]))
		return e
	})
	if want := `1|"a]"|{"b":[2]}|[]|null`; strings.Join(got, "|") != want || end != len(arr)-1 {
		t.Errorf("got %s (end %d), want %s", strings.Join(got, "|"), end, want)
	}
	if end := ElementsAt([]byte("[ ]"), 0, func(int) int { t.Error("element of []"); return -1 }); end != 3 {
		t.Errorf("[ ]: end %d", end)
	}
	for _, bad := range []string{"[", "[1", "[1,", "[1 2]", "[1}"} {
		if end := ElementsAt([]byte(bad), 0, func(i int) int { return SkipValue([]byte(bad), i) }); end != -1 {
			t.Errorf("ElementsAt(%q) = %d", bad, end)
		}
	}
	if end := ElementsAt([]byte("[1,2]"), 0, func(int) int { return -1 }); end != -1 {
		t.Errorf("stopped walk: %d", end)
	}
}

func TestKeyIsStringIs(t *testing.T) {
	for _, tc := range []struct {
		key, name string
		want      bool
	}{
		{"kind", "kind", true},
		{"kin\\u0064", "kind", true},
		{"\\u006b\\u0069\\u006e\\u0064", "kind", true},
		{"kinds", "kind", false},
		{"kin\\", "kind", false},
		{"kin\\x", "kind", false},
		{"", "", true},
		{strings.Repeat("\\u0061", 40), strings.Repeat("a", 40), true}, // longer than KeyIs's buffer
	} {
		if got := KeyIs([]byte(tc.key), tc.name); got != tc.want {
			t.Errorf("KeyIs(%q, %q) = %v", tc.key, tc.name, got)
		}
	}
	if !StringIs([]byte(`"Event"`), "Event") || !StringIs([]byte(`"Ev\u0065nt"`), "Event") || StringIs([]byte(`1`), "1") || StringIs([]byte(`"`), "") {
		t.Error("StringIs")
	}
}

// members lists the top-level members of a valid JSON object the way
// encoding/json decodes them: keys decoded, values raw.
func members(t *testing.T, obj []byte) (keys []string, vals []json.RawMessage) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.Token() // {
	for dec.More() {
		k, _ := dec.Token()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		vals = append(vals, v)
	}
	return keys, vals
}

// FuzzFields checks Fields against encoding/json's view of the top-level
// members of any valid JSON object, and KeyIs against its key decoding.
func FuzzFields(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[{"c":"\"}"}],"d":"\\"}`, `{}`, `{"k\u0061":{"x":[[]]}}`, ` { "a" : "b" } `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(obj, &m) != nil || !json.Valid(obj) {
			Fields(obj, func(k, v []byte) bool { return true }) // no panic on anything
			return
		}
		keys, vals := members(t, obj)
		i := 0
		ok := Fields(obj, func(k, v []byte) bool {
			if i >= len(keys) {
				t.Fatalf("extra member %q", k)
			}
			// Decoded the way encoding/json decodes keys (invalid UTF-8
			// becomes U+FFFD), the raw key must name the same member.
			var dk string
			if err := json.Unmarshal([]byte(`"`+string(k)+`"`), &dk); err != nil || dk != keys[i] {
				t.Fatalf("member %d key %q (%v), want %q", i, k, err, keys[i])
			}
			// KeyIs compares names the project spells, in valid UTF-8.
			if utf8.Valid(k) && !KeyIs(k, keys[i]) {
				t.Fatalf("KeyIs(%q, %q) = false", k, keys[i])
			}
			if !bytes.Equal(v, vals[i]) {
				t.Fatalf("member %d value %q, want %q", i, v, vals[i])
			}
			i++
			return true
		})
		if !ok || i != len(keys) {
			t.Fatalf("%d members (ok %v), want %d", i, ok, len(keys))
		}
		// FieldsPlain sees the same members up to the first escaped key.
		n, escapedKey := 0, false
		plainOK := FieldsPlain(obj, func(k, v []byte) bool {
			if bytes.IndexByte(k, '\\') >= 0 {
				escapedKey = true
			}
			n++
			return true
		})
		Fields(obj, func(k, v []byte) bool {
			if !escapedKey && bytes.IndexByte(k, '\\') >= 0 {
				escapedKey = true
			}
			return true
		})
		if escapedKey == plainOK || !plainOK && n >= len(keys) || plainOK && n != len(keys) {
			t.Fatalf("FieldsPlain = %v after %d of %d members (escaped key: %v)", plainOK, n, len(keys), escapedKey)
		}
	})
}

// FuzzElements checks ElementsAt and SkipValue against encoding/json's
// view of the elements of any valid JSON array.
func FuzzElements(f *testing.F) {
	for _, s := range []string{`[1,"a\"]",{"b":[2,"]"]},[],null,true,-0.5e1]`, `[]`, ` [ {} , [ ] ] `, `["\\\\",["\\"]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, arr []byte) {
		var want []json.RawMessage
		start := SkipSpace(arr, 0)
		if json.Unmarshal(arr, &want) != nil || !json.Valid(arr) || arr[start] != '[' {
			ElementsAt(arr, start, func(i int) int { return SkipValue(arr, i) }) // no panic
			return
		}
		var got []string
		end := ElementsAt(arr, start, func(i int) int {
			e := SkipValue(arr, i)
			if e > 0 {
				got = append(got, string(arr[i:e]))
			}
			return e
		})
		if len(got) != len(want) || end != len(bytes.TrimRight(arr, " \t\r\n")) {
			t.Fatalf("%d elements ending at %d, encoding/json sees %d", len(got), end, len(want))
		}
		for i := range got {
			if got[i] != string(want[i]) {
				t.Fatalf("element %d: %q, want %q", i, got[i], want[i])
			}
		}
	})
}
