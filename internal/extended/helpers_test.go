package extended

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// ev describes one audit event for a test; zero fields take the defaults
// of a completed, allowed pod create by a human with kubectl.
type ev struct {
	id, stage, level, verb, uri  string
	user                         string
	groups, ips                  []string
	resource, sub, group, ns, nm string
	code                         int // 0: 201 for create, 200 otherwise; -1: no responseStatus
	req, resp                    any // JSON-encodable, or json.RawMessage
	noReq                        bool
	annotations                  map[string]string
	time                         string
}

// raw renders e as the API server's log backend would.
func (e ev) raw() []byte {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&e.id, "11111111-2222-4333-8444-555555555555")
	def(&e.stage, "ResponseComplete")
	def(&e.level, "RequestResponse")
	def(&e.verb, "create")
	def(&e.user, "eve@example.com")
	def(&e.resource, "pods")
	def(&e.ns, "default")
	def(&e.time, "2026-11-24T10:00:00.000000Z")
	if e.ips == nil {
		e.ips = []string{"192.0.2.7"}
	}
	if e.groups == nil {
		e.groups = []string{"system:authenticated"}
	}
	if e.uri == "" {
		e.uri = "/api/v1/namespaces/" + e.ns + "/" + e.resource
		if e.verb != "create" {
			e.uri += "/" + e.nm
		}
		if e.sub != "" {
			e.uri += "/" + e.sub
		}
	}
	m := map[string]any{
		"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": e.level, "auditID": e.id,
		"stage": e.stage, "requestURI": e.uri, "verb": e.verb,
		"user":      map[string]any{"username": e.user, "groups": e.groups},
		"sourceIPs": e.ips, "userAgent": "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
		"requestReceivedTimestamp": e.time, "stageTimestamp": e.time,
	}
	ref := map[string]any{"resource": e.resource, "namespace": e.ns, "apiVersion": "v1"}
	if e.nm != "" {
		ref["name"] = e.nm
	}
	if e.sub != "" {
		ref["subresource"] = e.sub
	}
	if e.group != "" {
		ref["apiGroup"] = e.group
	}
	m["objectRef"] = ref
	if e.code != -1 && e.stage != "RequestReceived" {
		c := e.code
		if c == 0 {
			c = 200
			if e.verb == "create" {
				c = 201
			}
		}
		m["responseStatus"] = map[string]any{"metadata": map[string]any{}, "code": c}
	}
	if e.req != nil && !e.noReq {
		m["requestObject"] = e.req
	}
	if e.resp != nil {
		m["responseObject"] = e.resp
	}
	if e.annotations != nil {
		m["annotations"] = e.annotations
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// obj parses JSON text for use as a request or response object.
func obj(s string) json.RawMessage {
	if !json.Valid([]byte(s)) {
		panic("bad JSON in test: " + s)
	}
	return json.RawMessage(s)
}

// pod returns a Pod whose spec is the given JSON members.
func pod(name, spec string) json.RawMessage {
	return obj(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"` + name + `","namespace":"default"},"spec":{` + spec + `}}`)
}

func run(events ...[]byte) *Detector {
	d := New()
	for _, e := range events {
		d.AddEvent(e)
	}
	return d
}

// summary is a row in one line, the fields a reader checks first:
// user verb resource[/sub] ns/name outcome [containers] [reasons] risk count.
func summary(t detect.Table, r detect.Row) string {
	get := func(c string) string { return strings.Join(r[t.Index(c)], ",") }
	res := get("resource")
	if s := get("subresource"); s != "" {
		res += "/" + s
	}
	return strings.Join([]string{
		get("user"), get("verb"), res, get("namespace") + "/" + get("name"), get("outcome"),
		"[" + get("containers") + "]", "[" + get("reasons") + "]", get("risk_score"), get("count"),
	}, " ")
}

func summaries(t detect.Table) []string {
	out := make([]string, 0, len(t.Rows))
	for _, r := range t.Rows {
		out = append(out, summary(t, r))
	}
	return out
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// readLines returns the non-blank lines of a JSON-lines file.
func readLines(tb testing.TB, path string) [][]byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, []byte(l))
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
