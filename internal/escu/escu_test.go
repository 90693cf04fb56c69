package escu

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// privAnnotation is what kubectl apply stores for a privileged pod.
const privAnnotation = `{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"name":"p","namespace":"default"},"spec":{"containers":[{"image":"alpine","name":"c","securityContext":{"privileged":true}}]}}` + "\n"

var annPath = []string{"requestObject", "metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"}

// event builds an audit event that passes the search; edits change it.
func event(edits ...func(map[string]any)) []byte {
	e := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse", "stage": "ResponseComplete",
		"verb": "create", "userAgent": "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
		"user":           map[string]any{"username": "jane", "groups": []any{"dev", "system:authenticated"}},
		"sourceIPs":      []any{"10.0.0.1"},
		"objectRef":      map[string]any{"resource": "pods", "namespace": "default", "name": "p", "apiVersion": "v1"},
		"responseStatus": map[string]any{"metadata": map[string]any{}, "code": 201},
		"requestObject": map[string]any{"kind": "Pod", "apiVersion": "v1",
			"metadata": map[string]any{"name": "p", "annotations": map[string]any{annPath[3]: privAnnotation}}},
	}
	for _, edit := range edits {
		edit(e)
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return b
}

// set puts v at the path of keys, creating objects on the way; a nil v deletes.
func set(v any, path ...string) func(map[string]any) {
	return func(m map[string]any) {
		for _, k := range path[:len(path)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		if v == nil {
			delete(m, path[len(path)-1])
		} else {
			m[path[len(path)-1]] = v
		}
	}
}

func del(path ...string) func(map[string]any) { return set(nil, path...) }

func run(events ...[]byte) *Detector {
	d := New()
	for _, e := range events {
		d.AddEvent(e)
	}
	return d
}

// rows renders a result as one line per row, cells joined by " | ",
// multivalue cells by ",", the annotation shortened to its length.
func rows(t detect.Table) []string {
	var out []string
	for _, r := range t.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			if t.Columns[i] == annotationField && len(c) == 1 && len(c[0]) > 20 {
				cells[i] = fmt.Sprintf("ann(%d)", len(c[0]))
				continue
			}
			cells[i] = strings.Join(c, ",")
		}
		out = append(out, strings.Join(cells, " | "))
	}
	return out
}

func checkRows(t *testing.T, d *Detector, want ...string) {
	t.Helper()
	res := d.Result()
	if !reflect.DeepEqual(res.Columns, Columns) {
		t.Fatalf("columns %q, want %q", res.Columns, Columns)
	}
	got := rows(res)
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Errorf("rows:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

var annLen = fmt.Sprintf("ann(%d)", len(privAnnotation))

// base is the row event() gives, up to the annotation column.
func base(name, code, ip, verb string) string {
	return fmt.Sprintf("Event | %s | default | pods | Pod | %s | %s | ResponseComplete | jane | kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46 | %s | %s", name, code, ip, verb, annLen)
}

func TestColumns(t *testing.T) {
	want := "kind, objectRef.name, objectRef.namespace, objectRef.resource, requestObject.kind, responseStatus.code, src_ip, stage, user, userAgent, verb, requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration, count, user_groups"
	if got := strings.Join(Columns, ", "); got != want {
		t.Errorf("Columns = %s", got)
	}
}

func TestOneEvent(t *testing.T) {
	checkRows(t, run(event()), base("p", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated")
}

func TestORBindsTighterThanAND(t *testing.T) {
	// With AND binding tighter, "resource=pods verb=create OR verb=update ann"
	// would read (pods AND create) OR (update AND ann) and keep these two.
	notPod := event(set("configmaps", "objectRef", "resource"), set("update", "verb"))
	noAnn := event(del(annPath...))
	if got := run(notPod, noAnn).Result().Rows; len(got) != 0 {
		t.Errorf("OR bound looser than AND: %d rows", len(got))
	}
	checkRows(t, run(event(set("update", "verb")), event(set("patch", "verb")), event(set("delete", "verb"))),
		base("p", "201", "10.0.0.1", "update")+" | 1 | dev,system:authenticated")
}

func TestCaseInsensitiveValues(t *testing.T) {
	upper := strings.ReplaceAll(privAnnotation, `"privileged":true`, `"PRIVILEGED":True`)
	d := run(event(set("PODS", "objectRef", "resource"), set("Create", "verb"), set(upper, annPath...)))
	if n := len(d.Result().Rows); n != 1 {
		t.Fatalf("case-insensitive match: %d rows, want 1", n)
	}
	// The by-field keeps the value as written.
	if got := d.Result().Rows[0][Columns2Index("verb")]; got[0] != "Create" {
		t.Errorf("verb cell %q", got)
	}
	// Field names are case-sensitive.
	d = run(event(del("objectRef", "resource"), set("pods", "objectRef", "Resource")))
	if n := len(d.Result().Rows); n != 0 {
		t.Errorf("ObjectRef.Resource matched objectRef.resource: %d rows", n)
	}
}

func Columns2Index(name string) int {
	for i, c := range Columns {
		if c == name {
			return i
		}
	}
	panic(name)
}

func TestWildcard(t *testing.T) {
	cases := []struct {
		ann  string
		want bool
	}{
		{`"privileged":true`, true},
		{"line one\n\"privileged\":true\nline three", true}, // * crosses newlines
		{`x"privileged":truex`, true},
		{`"privileged": true`, false}, // kubectl never writes the space; the search misses it
		{`"privileged":false`, false},
		{`privileged:true`, false},
		{`\"privileged\":true`, false}, // an escaped JSON string inside the manifest
		{`"privileged":tru`, false},
	}
	for _, tc := range cases {
		n := len(run(event(set(tc.ann, annPath...))).Result().Rows)
		if (n == 1) != tc.want {
			t.Errorf("annotation %q: %d rows, want match=%v", tc.ann, n, tc.want)
		}
	}
}

func TestPattern(t *testing.T) {
	cases := []struct {
		pat, v string
		want   bool
	}{
		{`pods`, `pods`, true}, {`pods`, `PoDs`, true}, {`pods`, `pod`, false}, {`pods`, `podss`, false},
		{`*`, `anything`, true}, {`a*`, `AbC`, true}, {`a*`, `ba`, false}, {`*c`, `abC`, true}, {`*c`, `cb`, false},
		{`a*c`, "a\nb\nc", true}, {`a*a`, `a`, false}, {`a*a`, `aa`, true}, {`*b*d*`, `abcde`, true}, {`*b*d*`, `adcb`, false},
		{`\*`, `*`, true}, {`\*`, `x`, false}, {`*\"x\"*`, `a"X"b`, true}, {`**`, `z`, true},
	}
	for _, tc := range cases {
		p := compile(tc.pat)
		if got := p.match([]byte(tc.v)); got != tc.want {
			t.Errorf("%s matches %q = %v, want %v", tc.pat, tc.v, got, tc.want)
		}
	}
}

func TestMultivalueByFieldSplits(t *testing.T) {
	d := run(event(set([]any{"10.0.0.2", "10.0.0.1"}, "sourceIPs")), event())
	checkRows(t, d,
		base("p", "201", "10.0.0.1", "create")+" | 2 | dev,system:authenticated",
		base("p", "201", "10.0.0.2", "create")+" | 1 | dev,system:authenticated")
	// A value repeated in the array joins its group once per occurrence.
	checkRows(t, run(event(set([]any{"10.0.0.1", "10.0.0.1"}, "sourceIPs"))),
		base("p", "201", "10.0.0.1", "create")+" | 2 | dev,system:authenticated")
}

func TestAnyValueOfMultivalueMatches(t *testing.T) {
	// Duplicate keys make a multivalue field; one matching value is enough,
	// and stats splits on both values.
	raw := []byte(strings.Replace(string(event()), `"verb":"create"`, `"verb":"get","verb":"create"`, 1))
	d := run(raw)
	got := rows(d.Result())
	if len(got) != 2 || !strings.HasSuffix(strings.SplitN(got[0], " | "+annLen, 2)[0], "| create") ||
		!strings.HasSuffix(strings.SplitN(got[1], " | "+annLen, 2)[0], "| get") {
		t.Errorf("rows %q", got)
	}
}

func TestFillnullZeroOnlyForFieldsPresentElsewhere(t *testing.T) {
	// objectRef.name is missing from one passing event and present in
	// another, so fillnull writes 0; user.groups{} likewise becomes a 0
	// among the values.
	noName := event(del("objectRef", "name"), del("user", "groups"), set([]any{"10.0.0.9"}, "sourceIPs"))
	checkRows(t, run(noName, event()),
		base("0", "201", "10.0.0.9", "create")+" | 1 | 0",
		base("p", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated")
	// A genuine "0" and a filled one are the same group.
	zero := event(set("0", "objectRef", "name"), set([]any{"10.0.0.9"}, "sourceIPs"))
	checkRows(t, run(noName, zero),
		base("0", "201", "10.0.0.9", "create")+" | 2 | 0,dev,system:authenticated")
	// Presence counts only for events that passed the search.
	other := event(set("configmaps", "objectRef", "resource"))
	if n := len(run(noName, other).Result().Rows); n != 0 {
		t.Errorf("a non-passing event's objectRef.name made fillnull fill: %d rows", n)
	}
}

func TestGroupsDroppedWhenByFieldAbsentEverywhere(t *testing.T) {
	noName := event(del("objectRef", "name"))
	noCode := event(del("responseStatus"))
	if n := len(run(noName, noName).Result().Rows); n != 0 {
		t.Errorf("objectRef.name absent everywhere: %d rows, want 0", n)
	}
	if n := len(run(noCode).Result().Rows); n != 0 {
		t.Errorf("responseStatus.code absent: %d rows, want 0", n)
	}
	// user.groups{} absent everywhere is not a by-field: the row stays, with no user_groups.
	checkRows(t, run(event(del("user", "groups"))), base("p", "201", "10.0.0.1", "create")+" | 1 | ")
	if c := run(event(del("user", "groups"))).Result().Rows[0][Columns2Index("user_groups")]; c != nil {
		t.Errorf("user_groups cell %q, want null", c)
	}
}

func TestValuesDistinctAndSorted(t *testing.T) {
	d := run(
		event(set([]any{"b", "a", "b", "10"}, "user", "groups")),
		event(set([]any{"c", "B", "9", "a"}, "user", "groups")),
	)
	checkRows(t, d, base("p", "201", "10.0.0.1", "create")+" | 2 | 10,9,B,a,b,c")
}

func TestRowsSortedByByFields(t *testing.T) {
	mk := func(name, code, ip string) []byte {
		return event(set(name, "objectRef", "name"), set(json.Number(code), "responseStatus", "code"), set([]any{ip}, "sourceIPs"))
	}
	d := run(mk("b", "201", "10.0.0.1"), mk("a", "403", "10.0.0.2"), mk("a", "201", "9.9.9.9"), mk("a", "201", "10.0.0.3"), mk("B", "201", "1.1.1.1"))
	checkRows(t, d,
		base("B", "201", "1.1.1.1", "create")+" | 1 | dev,system:authenticated",
		base("a", "201", "10.0.0.3", "create")+" | 1 | dev,system:authenticated",
		base("a", "201", "9.9.9.9", "create")+" | 1 | dev,system:authenticated",
		base("a", "403", "10.0.0.2", "create")+" | 1 | dev,system:authenticated",
		base("b", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated")
}

func TestScalarsAndEmptyValues(t *testing.T) {
	// A numeric code and the same code as a string are one group.
	d := run(event(), event(set("201", "responseStatus", "code")))
	checkRows(t, d, base("p", "201", "10.0.0.1", "create")+" | 2 | dev,system:authenticated")
	// JSON null is the text null; an empty string is null, so fillnull fills it.
	d = run(event(set(json.RawMessage("null"), "objectRef", "name")), event(set("", "objectRef", "name")))
	checkRows(t, d,
		base("0", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated",
		base("null", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated")
	// Booleans as their JSON text; an object where a value is expected is no value.
	d = run(event(set(true, "objectRef", "name")), event(set(map[string]any{"x": "y"}, "objectRef", "name")))
	checkRows(t, d,
		base("0", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated",
		base("true", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated")
}

func TestNonJSONIgnoredAndCounted(t *testing.T) {
	d := run(
		[]byte(`not json`), []byte(``), []byte(`[1,2]`), []byte(`{"kind": 0`), // not shaped like an object
		[]byte(strings.Replace(string(event()), `"level":"RequestResponse"`, `"level":RequestResponse`, 1)), // would pass, but invalid
		[]byte(`{"x":privileged\":true}`), // invalid, but cannot pass: not parsed, not counted
		event(),
	)
	checkRows(t, d, base("p", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated")
	if got, want := d.Messages(), []string{"kubeprivpod: ignored 5 events whose _raw is not a JSON object"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Messages() = %q, want %q", got, want)
	}
	if m := run(event()).Messages(); m != nil {
		t.Errorf("Messages() on clean input = %q", m)
	}
}

func TestUnicodeEscapesCannotHideAMatch(t *testing.T) {
	raw := string(event())
	raw = strings.Replace(raw, `\"privileged\":true`, `\u0022\u0070rivileged\u0022\u003atrue`, 1)
	raw = strings.Replace(raw, `"resource":"pods"`, `"resource":"\u0070ods"`, 1)
	if strings.Contains(strings.ToLower(raw), `privileged\":true`) {
		t.Fatal("test event still has the plain text")
	}
	checkRows(t, run([]byte(raw)), base("p", "201", "10.0.0.1", "create")+" | 1 | dev,system:authenticated")
}

func TestTooManyCombinationsSkipped(t *testing.T) {
	ips := make([]any, 70)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.0.0.%d", i)
	}
	raw := string(event(set(ips, "sourceIPs")))
	raw = strings.Replace(raw, `"verb":"create"`, strings.Repeat(`"verb":"create",`, 59)+`"verb":"create"`, 1) // 70*60 = 4200 combinations
	d := run([]byte(raw), event())
	if n := len(d.Result().Rows); n != 1 {
		t.Errorf("%d rows, want only the ordinary event's", n)
	}
	if got := d.Messages(); len(got) != 1 || !strings.Contains(got[0], "skipped 1 events") {
		t.Errorf("Messages() = %q", got)
	}
	// At the limit the event still counts.
	raw = strings.Replace(string(event(set(ips[:64], "sourceIPs"))), `"verb":"create"`, strings.Repeat(`"verb":"create",`, 63)+`"verb":"create"`, 1)
	if rs := run([]byte(raw)).Result().Rows; len(rs) != 64 || rs[0][Columns2Index("count")][0] != "64" {
		t.Errorf("64x64 combinations: %d rows", len(rs))
	}
}

// Memory follows distinct groups, not events: once warm, neither a
// rejected event nor a passing one that joins existing groups allocates.
func TestAddEventDoesNotAllocatePerEvent(t *testing.T) {
	ev := sample(t)
	d := run(ev...)
	for _, e := range ev {
		if n := testing.AllocsPerRun(20, func() { d.AddEvent(e) }); n != 0 {
			t.Errorf("AddEvent allocates %.0f times for %.120s", n, e)
		}
	}
	if d.groups.len() != 8 {
		t.Errorf("%d groups after repeating the sample, want 8", d.groups.len())
	}
}
