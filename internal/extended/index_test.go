package extended

import (
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// sameEvent reports how two parses of one event differ, or "".
func sameEvent(a, b *event) string {
	strs := [][3]string{
		{"key", a.key, b.key}, {"stage", a.stage, b.stage}, {"level", a.level, b.level}, {"verb", a.verb, b.verb},
		{"resource", a.resource, b.resource}, {"sub", a.sub, b.sub}, {"user", a.user, b.user},
		{"userAgent", a.userAgent, b.userAgent}, {"namespace", a.namespace, b.namespace}, {"name", a.name, b.name},
		{"uri", a.uri, b.uri}, {"time", a.time, b.time},
	}
	for _, f := range strs {
		if f[1] != f[2] {
			return f[0] + ": " + f[1] + " / " + f[2]
		}
	}
	res := [][3]gjson.Result{
		{a.groups, b.groups}, {a.ips, b.ips}, {a.request, b.request}, {a.response, b.response}, {a.annotation, b.annotation},
	}
	for i, r := range res {
		if r[0].Type != r[1].Type || r[0].Raw != r[1].Raw || r[0].Str != r[1].Str || r[0].Num != r[1].Num {
			return "result " + itoa(i) + ": " + r[0].Raw + " / " + r[1].Raw
		}
	}
	if a.code != b.code || a.hasCode != b.hasCode {
		return "code"
	}
	return ""
}

// sameMembers reports where the index's look-ups on the request and
// response objects of e differ from gjson's, or "".
func sameMembers(e *event) string {
	for _, obj := range []gjson.Result{e.request, e.response} {
		for _, name := range bodyNames {
			got, want := e.member(obj, name), obj.Get(name)
			if got.Type != want.Type || got.Raw != want.Raw || got.Str != want.Str || got.Num != want.Num {
				return name + " of " + obj.Raw + ": " + got.Raw + " / " + want.Raw
			}
		}
		for n, path := range metaPaths {
			got, want := e.metaGet(obj, n), obj.Get(path)
			if got.Type != want.Type || got.Raw != want.Raw || got.Str != want.Str || got.Num != want.Num {
				return path + " of " + obj.Raw + ": " + got.Raw + " / " + want.Raw
			}
		}
		if got, want := e.owner(obj), ownerLookup(obj); got != want {
			return "owner of " + obj.Raw + ": " + got + " / " + want
		}
	}
	return ""
}

// TestBodyMembers checks the request and response objects' look-ups
// from the validating pass against gjson's on the shapes that decide
// them: a member given twice, keys with escapes (left to gjson), values
// of every type, a body that is an array or a string, a second
// requestObject.
func TestBodyMembers(t *testing.T) {
	for _, s := range []string{
		`{"verb":"create","requestObject":{"metadata":{"name":"p"},"spec":{"containers":[]}}}`,
		`{"requestObject":{"spec":{"a":1},"spec":{"b":2}},"responseObject":{"template":[1],"metadata":null}}`,
		`{"requestObject":{"sp\u0065c":{"a":1},"spec":{"b":2}}}`,
		`{"requestObject":{"x\"y":1,"spec":{"b":2}}}`,
		`{"requestObject":{"spec":"s\u00e9","template":3}}`,
		`{"requestObject":[{"spec":{}}],"responseObject":"x"}`,
		`{"requestObject":{"kind":"Pod","spec":{}},"requestObject":{"spec":{"c":1}}}`,
		`{"responseObject":{"status":{"spec":{}},"spec":{"d":1},"template":{"spec":{}}}}`,
		`{"requestObject":{}}`,
		`{"requestObject":{"metadata":{"name":"a","namespace":"n","name":"b","resourceVersion":"7","ownerReferences":[{"kind":"ReplicaSet","name":"r","controller":true}]}}}`,
		`{"requestObject":{"metadata":{"name":"a"},"metadata":{"namespace":"n2","ownerReferences":[{"kind":"Job","name":"j","controller":true}]}}}`,
		`{"requestObject":{"metadata":"x","metadata":{"name":"b"}},"responseObject":{"metadata":["name"]}}`,
		`{"requestObject":{"metadata":{"n\u0061me":"a","name":"b"}},"responseObject":{"metadata":{"name":"\u00e9\"","namespace":7,"resourceVersion":null}}}`,
		`{"requestObject":{"spec":{"metadata":{"name":"s"}},"metadata":{"ownerReferences":{"a":{"controller":true,"kind":"K","name":"n"}}}}}`,
		`{"responseObject":{"metadata":{"ownerReferences":[{"kind":"DaemonSet","name":"d","controller":false},{"kind":"Node","name":"n","controller":true}]}}}`,
		`{"responseObject":{"m\u0065tadata":{"name":"x"},"metadata":{"name":"y"}}}`,
	} {
		var e event
		if !parseAuditValid(s, &e) {
			t.Fatalf("not taken: %s", s)
		}
		if d := sameMembers(&e); d != "" {
			t.Errorf("%s: %s", s, d)
		}
	}
}

// TestParseAuditValidSameAsLenient: on every sample event the validating
// index fills the event as gjson's walk does, and takes the event.
func TestParseAuditValidSameAsLenient(t *testing.T) {
	for _, s := range sampleEvents(t) {
		var fast, slow event
		if !parseAuditValid(string(s), &fast) {
			t.Fatalf("not taken: %s", s)
		}
		parseAuditLenient(string(s), &slow)
		if d := sameEvent(&fast, &slow); d != "" {
			t.Fatalf("%s: %s", s, d)
		}
		if d := sameMembers(&fast); d != "" {
			t.Fatalf("%s: %s", s, d)
		}
	}
	var e event
	if parseAuditValid(`{"verb":"create","x":[}`, &e) || parseAuditValid(`{"v\u0065rb":"create"}`, &e) {
		t.Fatal("broken JSON or an escaped key taken")
	}
}

// FuzzParseAuditValid checks the validating index against gjson's walk:
// whenever it takes an event, the event is valid and filled the same, and
// the request and response objects' look-ups answer as gjson's.
func FuzzParseAuditValid(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"verb":"create","verb":"get","user":{"username":"a\u00e9"},"responseStatus":{"code":2e2}}`))
	f.Add([]byte(`{"requestObject":{"spec":{"a":1},"sp\u0065c":2,"metadata":[]},"responseObject":{"template":{}}}`))
	f.Add([]byte(`{"user":{"username":"a","username":"b","groups":["g"]},"objectRef":{"name":"n","resource":"pods"},"responseStatus":{"code":201}}`))
	f.Add([]byte(`{"user":{"us\u0065rname":"x","username":"y"},"objectRef":["resource"],"responseStatus":{"code":"201"}}`))
	f.Add([]byte(`{"user":{"username":"\ud800\udc00\ud83d"},"requestURI":"/x?\u00ff","sourceIPs":["\udfff"]}`))
	f.Add([]byte(`{"requestObject":{"metadata":{"name":"a","ownerReferences":[{"kind":"R","name":"r","controller":true}]},"metadata":{"namespace":"n"}},"responseObject":{"metadata":{"n\u0061me":"b"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// The index is built by ScanPlain's walk: it must accept what
		// ValidateVisit accepts and record the same.
		scan, check := topIndex{sub: -1, nsub: -1, meta: -1}, topIndex{sub: -1, nsub: -1, meta: -1}
		_, errScan := jsonscan.ScanPlain(raw, &scan, 3)
		errCheck := jsonscan.ValidateVisit(raw, &check, 3)
		if (errScan == nil) != (errCheck == nil) || errCheck == nil && scan != check {
			t.Fatalf("%q: ScanPlain %v %+v, ValidateVisit %v %+v", raw, errScan, scan, errCheck, check)
		}
		var fast, slow event
		if !parseAuditValid(string(raw), &fast) {
			return
		}
		if !gjson.ValidBytes(raw) {
			t.Fatalf("%q taken but not valid", raw)
		}
		parseAuditLenient(string(raw), &slow)
		if d := sameEvent(&fast, &slow); d != "" {
			t.Fatalf("%q: %s", raw, d)
		}
		if d := sameMembers(&fast); d != "" {
			t.Fatalf("%q: %s", raw, d)
		}
		if d := plainStrings(&fast); d != "" {
			t.Fatalf("%q: %s", raw, d)
		}
	})
}

// plainStrings reports a string read from an event taken as plain that
// is not valid UTF-8 (which would skip coerceUTF8 wrongly), or "".
func plainStrings(e *event) string {
	if !e.plain {
		return ""
	}
	for _, s := range []string{e.key, e.stage, e.level, e.verb, e.resource, e.sub, e.user, e.userAgent, e.namespace,
		e.name, e.uri, e.time, e.groups.Str, e.ips.Str} {
		if !utf8.ValidString(s) {
			return "not UTF-8: " + s
		}
	}
	for _, r := range []gjson.Result{e.groups, e.ips, e.request, e.response} {
		bad := ""
		r.ForEach(func(_, v gjson.Result) bool {
			if !utf8.ValidString(v.Str) {
				bad = v.Str
			}
			return bad == ""
		})
		if bad != "" {
			return "not UTF-8: " + bad
		}
	}
	return ""
}

// TestAuditKeyBit holds the switch to the map parseAuditLenient reads.
func TestAuditKeyBit(t *testing.T) {
	for k, b := range auditKeys {
		if got := auditKeyBit([]byte(k)); got != b {
			t.Errorf("%q: %d, want %d", k, got, b)
		}
	}
	for _, k := range []string{"", "kind", "apiVersion", "Verb", "verb ", "user\\u0020", "objectRefs", "annotation"} {
		if got := auditKeyBit([]byte(k)); got != 0 || auditKeys[k] != 0 {
			t.Errorf("%q: %d, want 0", k, got)
		}
	}
}

// TestNestMembers checks the members of user, objectRef and
// responseStatus read from the validating pass against gjson's look-ups
// on the shapes that decide them: a member given twice, an escaped key
// (left to gjson), values of every type, objects that are not objects, a
// second user.
func TestNestMembers(t *testing.T) {
	for _, s := range []string{
		`{"verb":"create","user":{"username":"alice","uid":"1","groups":["a","b"]},"objectRef":{"resource":"pods","namespace":"ns","name":"p","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201}}`,
		`{"user":{"username":"a","username":"b","groups":"g","groups":[1]},"user":{"username":"c"}}`,
		`{"user":{"username":"a\u00e9\"q","groups":null},"objectRef":{"resource":7,"subresource":"exec","name":{"x":1},"namespace":true}}`,
		`{"user":{"us\u0065rname":"x","username":"y"},"objectRef":{"resource":"pods","n\u0061me":"z","name":"w"}}`,
		`{"user":["username","a"],"objectRef":"pods","responseStatus":[{"code":200}]}`,
		`{"responseStatus":{"code":2e2},"responseStatus":{"code":403}}`,
		`{"responseStatus":{"code":-0.5e+1,"status":"Failure"},"objectRef":{}}`,
		`{"responseStatus":{"code":"403"},"user":{"extra":{"username":["deep"]}}}`,
		`{"responseStatus":{"status":{"code":403}},"user":{"groups":{"username":"x"},"username":"u"}}`,
	} {
		var fast, slow event
		if !parseAuditValid(s, &fast) {
			t.Fatalf("%s: not taken", s)
		}
		parseAuditLenient(s, &slow)
		if d := sameEvent(&fast, &slow); d != "" {
			t.Errorf("%s: %s", s, d)
		}
	}
}

// TestParseValue holds parseValue to gjson.Parse on the values the
// validating pass bounds, plain strings and the rest.
func TestParseValue(t *testing.T) {
	for _, v := range []string{`""`, `"a"`, `"pods/exec?x=1&y=<2>"`, `"a\"b"`, `"\u00e9"`, `"é"`, `12`, `-0.5e3`,
		`true`, `false`, `null`, `{"a":"b"}`, `["x"]`, `"/api/v1/pods?limit=500\u0026resourceVersion=0"`,
		`"\ud83d\ude00\ud800x\udc00\ud800\u0041\/\\\b\f\n\r\t\"é"`, `"\ud800\ud800\udfff"`, `"\\"`, `"a\u00e9\u2028"`} {
		got, want := parseValue(v), gjson.Parse(v)
		if got.Type != want.Type || got.Raw != want.Raw || got.Str != want.Str || got.Num != want.Num ||
			got.Index != want.Index || len(got.Indexes) != len(want.Indexes) {
			t.Errorf("%s: %+v, want %+v", v, got, want)
		}
	}
}

// FuzzParseValue holds parseValue to gjson.Parse on every valid JSON
// string, whose escapes it decodes without gjson.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{`a`, `a\u0026b`, `\ud83d\ude00`, `\ud800`, `\udc00\ud800\u0041`, `\"\\\/\b\f\n\r\t`, "\xff\\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := `"` + s + `"`
		if jsonscan.Validate([]byte(v)) != nil {
			return
		}
		got, want := parseValue(v), gjson.Parse(v)
		if got.Type != want.Type || got.Raw != want.Raw || got.Str != want.Str || got.Index != want.Index {
			t.Fatalf("%q: %+v, want %+v", v, got, want)
		}
	})
}
