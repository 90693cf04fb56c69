package extended

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// sameResult reports how a Result of eachValid or parseValue differs from
// gjson's, or "". Index is left out: gjson's ForEach sets it to where the
// value lies in its parent, and nothing reads it.
func sameResult(got, want gjson.Result) string {
	if got.Type != want.Type || got.Raw != want.Raw || got.Str != want.Str || got.Num != want.Num || got.String() != want.String() {
		return fmt.Sprintf("%+v, want %+v", got, want)
	}
	return ""
}

// checkEach holds each and get with a known-valid r to gjson's ForEach
// and Get, at every level down to depth.
func checkEach(t *testing.T, r gjson.Result, depth int) {
	t.Helper()
	type kv struct {
		k string
		v gjson.Result
	}
	var got, want []kv
	fast, slow := inspector{valid: true}, inspector{}
	fast.each(r, func(k string, v gjson.Result) bool { got = append(got, kv{k, v}); return true })
	slow.each(r, func(k string, v gjson.Result) bool { want = append(want, kv{k, v}); return true })
	if len(got) != len(want) {
		t.Fatalf("%s: %d members, want %d", r.Raw, len(got), len(want))
	}
	for i := range got {
		if got[i].k != want[i].k {
			t.Fatalf("%s: key %q, want %q", r.Raw, got[i].k, want[i].k)
		}
		if d := sameResult(got[i].v, want[i].v); d != "" {
			t.Fatalf("%s: member %d: %s", r.Raw, i, d)
		}
		if got[i].k != "" && r.IsObject() && jsonscan.Validate([]byte(`"`+got[i].k+`"`)) == nil && plainPath(got[i].k) {
			if d := sameResult(fast.get(r, got[i].k), r.Get(got[i].k)); d != "" {
				t.Fatalf("%s: get %q: %s", r.Raw, got[i].k, d)
			}
		}
		if depth > 0 {
			checkEach(t, got[i].v, depth-1)
		}
	}
	for _, name := range []string{"name", "hostPath", "path", "add", "hostProcess", "windowsOptions", "spec", "template"} {
		if d := sameResult(fast.get(r, name), slow.get(r, name)); d != "" && r.IsObject() {
			t.Fatalf("%s: get %q: %s", r.Raw, name, d)
		}
	}
}

// plainPath reports a key that gjson's Get reads as one plain name.
func plainPath(k string) bool {
	for i := 0; i < len(k); i++ {
		switch k[i] {
		case '.', '*', '?', '|', '#', '@', '\\', '!', '=', '<', '>', '%', '"', '{', '}', '[', ']', ',', ':':
			return false
		}
	}
	return k != ""
}

// checkInspect holds the inspection of a known-valid body with each and
// get walking it by jsonscan to the inspection by gjson.
func checkInspect(t *testing.T, body gjson.Result, spec []string) {
	t.Helper()
	fast, slow := inspector{valid: true}, inspector{}
	if body.IsArray() {
		fast.jsonPatch(body, spec)
		slow.jsonPatch(body, spec)
	} else {
		fast.object(body, spec)
		slow.object(body, spec)
		fast.podSpec(body)
		slow.podSpec(body)
	}
	fast.valid = false
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s:\n%+v\nwant\n%+v", body.Raw, fast, slow)
	}
}

// TestEachValid checks each and get, and the inspection they serve, on
// the bodies of the sample's and the fuzz seeds' audit events.
func TestEachValid(t *testing.T) {
	for _, e := range append(sampleEvents(t), []byte(`{"a":{"b\u0065":1,"c":[1,"x\n",true,false,null,{"d":[]}],"e":-0.5e3},"b":[],"c":{},"d":"s"}`)) {
		if jsonscan.Validate(e) != nil {
			continue
		}
		r := gjson.ParseBytes(e)
		checkEach(t, r, 6)
		for _, body := range []string{"requestObject", "responseObject"} {
			b := r.Get(body)
			for _, spec := range [][]string{{"spec"}, {"spec", "template", "spec"}, {"spec", "jobTemplate", "spec", "template", "spec"}} {
				checkInspect(t, b, spec)
			}
		}
	}
}

// FuzzEachValid holds each, get and the inspection on valid JSON to
// gjson's ForEach and Get.
func FuzzEachValid(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"containers":[{"name":"a","securityContext":{"privileged":true,"privileged":false}},{"n\u0061me":"b"}],"volumes":[{"name":"v","hostPath":{"path":"/"},"hostPath":1}]}`))
	f.Add([]byte(` [ 1 , "a" , { "b" : [ ] } ] `))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if jsonscan.Validate(raw) != nil {
			return
		}
		r := gjson.ParseBytes(raw)
		checkEach(t, r, 8)
		checkInspect(t, r, []string{"spec"})
		if b := r.Get("requestObject"); b.Exists() {
			checkInspect(t, b, []string{"spec", "template", "spec"})
		}
	})
}

// TestParseValueScalars holds parseValue to gjson.Parse on numbers and
// literals, which it builds without gjson when they are short.
func TestParseValueScalars(t *testing.T) {
	for _, v := range []string{"0", "7", "201", "403", "123456789012345", "1234567890123456", "99999999999999999999",
		"-1", "-0", "1.5", "1e3", "2E+2", "0.0", "true", "false", "null", "{}", "[]", `{"a":1}`, `[1,2]`} {
		if d := sameResult(parseValue(v), gjson.Parse(v)); d != "" || parseValue(v).Index != gjson.Parse(v).Index {
			t.Errorf("%s: %s", v, d)
		}
	}
}

// FuzzParseValueNumber holds parseValue to gjson.Parse on valid JSON
// numbers and literals.
func FuzzParseValueNumber(f *testing.F) {
	for _, s := range []string{"0", "201", "-3.5e2", "123456789012345", "true", "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if len(v) == 0 || v[0] == '"' || jsonscan.Validate([]byte(v)) != nil || jsonscan.SkipSpace([]byte(v), 0) != 0 {
			return
		}
		if d := sameResult(parseValue(v), gjson.Parse(v)); d != "" {
			t.Fatalf("%q: %s", v, d)
		}
	})
}

// TestAuditKeyInto holds the key written into a buffer to auditKey's,
// also when the buffer is reused.
func TestAuditKeyInto(t *testing.T) {
	var buf []byte
	for _, p := range [][4]string{{"id", "u", "/api/v1/pods", "2024-01-01T00:00:00.000000Z"}, {"", "u", "/x", "t"},
		{"a\x00b", "", "", ""}, {"x", "user@example.com", "/api/v1/namespaces/n/pods?dryRun=All", ""}} {
		if got, want := auditKeyInto(&buf, p[0], p[1], p[2], p[3]), auditKey(p[0], p[1], p[2], p[3]); got != want {
			t.Errorf("%q: %q, want %q", p, got, want)
		}
	}
}
