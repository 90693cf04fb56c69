package escu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

// lines returns the non-blank lines of a JSON-lines file.
func lines(t testing.TB, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			out = append(out, bytes.Clone(sc.Bytes()))
		}
	}
	return out
}

func sample(t testing.TB) [][]byte { return lines(t, "../../testdata/audit.log") }

// annotationOf reads the last-applied annotation with encoding/json, so the
// expected table does not depend on the code under test.
func annotationOf(t *testing.T, line []byte) string {
	t.Helper()
	var e struct {
		RequestObject struct {
			Metadata struct {
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		} `json:"requestObject"`
	}
	if err := json.Unmarshal(line, &e); err != nil {
		t.Fatal(err)
	}
	a := e.RequestObject.Metadata.Annotations["kubectl.kubernetes.io/last-applied-configuration"]
	if !strings.Contains(a, `"privileged":true`) {
		t.Fatalf("sample line has no privileged annotation: %.200s", line)
	}
	return a
}

func TestSampleAuditLog(t *testing.T) {
	ev := sample(t)
	if len(ev) != 118 {
		t.Fatalf("sample has %d events; testdata/README.md describes 118", len(ev))
	}
	d := run(ev...)
	const (
		jane    = "jane.doe@example.com"
		mallory = "m.ross@example.com"
		linux   = "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
		mac     = "kubectl/v1.31.2 (darwin/arm64) kubernetes/5864a46"
		janeG   = "platform-dev,system:authenticated"
		malG    = "contractors,oncall,system:authenticated"
	)
	ann := func(line int) string { return annotationOf(t, ev[line-1]) }
	row := func(name, ns, code, ip, user, ua, verb, a, count, groups string) []string {
		return []string{"Event", name, ns, "pods", "Pod", code, ip, "ResponseComplete", user, ua, verb, a, count, groups}
	}
	want := [][]string{
		row("cni-repair", "kube-system", "201", "203.0.113.25", jane, linux, "create", ann(90), "1", janeG),
		row("miner", "shop", "403", "10.20.5.14", mallory, mac, "create", ann(84), "1", malG),
		row("miner", "shop", "403", "198.51.100.77", mallory, mac, "create", ann(84), "1", malG),
		row("node-shell", "default", "200", "10.20.5.14", mallory, mac, "update", ann(112), "1", malG),
		row("node-shell", "default", "200", "198.51.100.77", mallory, mac, "update", ann(112), "1", malG),
		row("node-shell", "default", "201", "10.20.5.14", mallory, mac, "create", ann(9), "1", malG),
		row("node-shell", "default", "201", "198.51.100.77", mallory, mac, "create", ann(9), "1", malG),
		row("sysctl-tuner", "shop", "201", "203.0.113.25", jane, linux, "create", ann(60), "1", janeG),
	}
	res := d.Result()
	if len(res.Rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(res.Rows), len(want), strings.Join(rows(res), "\n"))
	}
	for i, r := range res.Rows {
		for c, cell := range r {
			w := strings.Split(want[i][c], ",")
			if c != len(Columns)-1 {
				w = []string{want[i][c]}
			}
			if !reflect.DeepEqual(cell, w) {
				t.Errorf("row %d column %s = %q, want %q", i, Columns[c], cell, w)
			}
		}
	}
	if m := d.Messages(); m != nil {
		t.Errorf("Messages() = %q", m)
	}
}

// fixtureEvents returns every event of ../shared/fixtures/audit.
func fixtureEvents(t *testing.T) [][]byte {
	dir := sharedtest.Dir(t, "fixtures", "audit")
	var files []string
	for _, pat := range []string{"*/*.json", "*/*.jsonl", "*/demo.log"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var ev [][]byte
	for _, f := range files {
		if strings.HasSuffix(f, "panther_tests_expected.json") {
			continue // an index of test names, not events
		}
		ev = append(ev, lines(t, f)...)
	}
	// The README's per-file tables add up to 156 (52 Falco, 66 Panther, 37
	// audit2rbac, 1 Splunk); its summary sentence says 162.
	if len(ev) != 156 {
		t.Fatalf("read %d fixture events, want the 156 the fixtures README lists", len(ev))
	}
	return ev
}

func TestFixturesMatchNothing(t *testing.T) {
	// The README's "SPL hits" column is 0 for every file: none of the
	// upstream events carries the kubectl last-applied annotation.
	d := run(fixtureEvents(t)...)
	if r := d.Result(); len(r.Rows) != 0 {
		t.Errorf("fixtures gave %d rows:\n%s", len(r.Rows), strings.Join(rows(r), "\n"))
	}
	if m := d.Messages(); m != nil {
		t.Errorf("Messages() = %q (every fixture line is a JSON object)", m)
	}
}

// nearMiss returns each fixture pod create/update that has a request body,
// with the kubectl annotation set to ann.
func nearMiss(t *testing.T, ann string) (variants [][]byte, ips int) {
	for _, raw := range fixtureEvents(t) {
		var e map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&e) != nil {
			continue
		}
		ref, _ := e["objectRef"].(map[string]any)
		req, _ := e["requestObject"].(map[string]any)
		if ref == nil || req == nil || ref["resource"] != "pods" || ref["subresource"] != nil || (e["verb"] != "create" && e["verb"] != "update") {
			continue
		}
		set(ann, annPath...)(e)
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		variants = append(variants, b)
		n, _ := e["sourceIPs"].([]any)
		ips += max(1, len(n)) // no sourceIPs: fillnull makes it 0
	}
	return variants, ips
}

func TestFixtureNearMissesMatch(t *testing.T) {
	variants, ips := nearMiss(t, privAnnotation)
	if len(variants) < 20 {
		t.Fatalf("only %d fixture pod writes with a body", len(variants))
	}
	t.Logf("%d near-miss variants, %d source IPs", len(variants), ips)
	total := 0
	for i, v := range variants {
		d := run(v)
		if d.groups.len() == 0 {
			t.Errorf("variant %d did not pass the search: %.300s", i, v)
		}
	}
	// Together, every by-field exists somewhere, so fillnull keeps every
	// event: one count per source IP.
	for _, r := range run(variants...).Result().Rows {
		var n int
		if err := json.Unmarshal([]byte(r[Columns2Index("count")][0]), &n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != ips {
		t.Errorf("near-miss corpus counted %d, want %d (one per source IP)", total, ips)
	}
	// Formatting kubectl never produces stays a miss, as in Splunk.
	spaced, _ := nearMiss(t, strings.ReplaceAll(privAnnotation, `"privileged":true`, `"privileged": true`))
	if n := len(run(spaced...).Result().Rows); n != 0 {
		t.Errorf(`"privileged": true (with a space) matched: %d rows`, n)
	}
}
