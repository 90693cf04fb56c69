package appcontent

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
	"github.com/kubeprivpod/kubeprivpod/tools/conf"
)

// repoRoot is the repository root, two levels up from this package.
var repoRoot = filepath.Join("..", "..")

func loadRepo(t *testing.T) *Content {
	t.Helper()
	c, err := Load(os.DirFS(filepath.Join(repoRoot, "app")))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCommittedConfIsRendering keeps default/*.conf equal to the rendering
// of app/, so that the YAML stays the one source of truth.
func TestCommittedConfIsRendering(t *testing.T) {
	c := loadRepo(t)
	for name, want := range map[string][]byte{
		"savedsearches.conf": c.SavedSearchesConf(),
		"macros.conf":        c.MacrosConf(),
	} {
		got, err := os.ReadFile(filepath.Join(repoRoot, "default", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("default/%s is stale: run ./build.sh conf (go run ./tools/renderconf) and commit it", name)
		}
	}
}

// TestESCUValues checks the ESCU detection's rendered values against the
// text contentctl v4.4 renders for ESCU detection 3c6bd734 (see
// ../shared/research/splunk-app.md, section 1.5), byte for byte.
func TestESCUValues(t *testing.T) {
	c := loadRepo(t)
	f, err := conf.Parse("savedsearches.conf", c.SavedSearchesConf())
	if err != nil {
		t.Fatal(err)
	}
	s := f.Stanza("kubeprivpod - Kubernetes Create or Update Privileged Pod - Rule")
	if s == nil {
		t.Fatal("no stanza for the ESCU detection")
	}
	for key, want := range map[string]string{
		"action.escu.mappings":                 `{"cis20": ["CIS 13"], "kill_chain_phases": ["Installation"], "mitre_attack": ["T1204"], "nist": ["DE.AE"]}`,
		"action.risk":                          "1",
		"action.risk.param._risk_message":      "Kubernetes privileged pod created by user $user$.",
		"action.risk.param._risk":              `[{"risk_object_field": "user", "risk_object_type": "user", "risk_score": 49}, {"threat_object_field": "src_ip", "threat_object_type": "ip_address"}]`,
		"action.correlationsearch.annotations": `{"analytic_story": ["Kubernetes Security"], "cis20": ["CIS 13"], "confidence": 70, "data_source": ["Kubernetes Audit"], "impact": 70, "kill_chain_phases": ["Installation"], "mitre_attack": ["T1204"], "nist": ["DE.AE"], "type": "Anomaly", "type_list": ["Anomaly"]}`,
		"action.correlationsearch.metadata":    `{"deprecated": "0", "detection_id": "3c6bd734-334d-4818-ae7c-5234313fc5da", "detection_version": "3", "publish_time": 1727654400.0}`,
		"action.correlationsearch.label":       "kubeprivpod - Kubernetes Create or Update Privileged Pod - Rule",
		"action.escu.product":                  `["Splunk Enterprise", "Splunk Enterprise Security", "Splunk Cloud"]`,
		"action.escu.providing_technologies":   `["Kubernetes"]`,
		"cron_schedule":                        "0 * * * *",
		"dispatch.earliest_time":               "-70m@m",
		"dispatch.latest_time":                 "-10m@m",
		"schedule_window":                      "auto",
		"disabled":                             "true",
		"search":                               "`kube_audit` privileged | kubeprivpod | `kubernetes_create_or_update_privileged_pod_filter`",
	} {
		if got, _ := s.Get(key); got != want {
			t.Errorf("%s\n got %s\nwant %s", key, got, want)
		}
	}
	ext := f.Stanza("kubeprivpod - Kubernetes Privileged Workload Extended - Rule")
	if ext == nil {
		t.Fatal("no stanza for the extended detection")
	}
	if got, want := mustGet(t, ext, "action.correlationsearch.annotations"), `{"analytic_story": ["Kubernetes Security"], "cis20": ["CIS 13"], "confidence": 70, "data_source": ["Kubernetes Audit"], "impact": 70, "kill_chain_phases": ["Exploitation", "Installation"], "mitre_attack": ["T1204", "T1610", "T1611"], "nist": ["DE.AE"], "type": "Anomaly", "type_list": ["Anomaly"]}`; got != want {
		t.Errorf("extended annotations\n got %s\nwant %s", got, want)
	}
	if got, want := mustGet(t, ext, "search"), "`kube_audit` | kubeprivpod mode=extended | `kubeprivpod_allowlist` | where isnull(allowlisted) | `kubernetes_privileged_workload_extended_filter`"; got != want {
		t.Errorf("extended search %q, want %q", got, want)
	}
}

func mustGet(t *testing.T, s *conf.Stanza, key string) string {
	t.Helper()
	v, ok := s.Get(key)
	if !ok {
		t.Fatalf("[%s] has no %s", s.Name, key)
	}
	return v
}

// TestRenderGolden renders a small content tree written for this test and
// compares both files with golden copies.
func TestRenderGolden(t *testing.T) {
	c, err := Load(os.DirFS(filepath.Join("testdata", "app")))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{
		"savedsearches.conf": c.SavedSearchesConf(),
		"macros.conf":        c.MacrosConf(),
	} {
		golden := filepath.Join("testdata", "golden", name)
		if os.Getenv("UPDATE_GOLDEN") != "" {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", name, golden, got)
		}
		if _, err := conf.Parse(name, got); err != nil {
			t.Errorf("rendered %s does not parse: %v", name, err)
		}
	}
}

// repoFS copies app/ into a MapFS so tests can break one file at a time.
func repoFS(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	root := filepath.Join(repoRoot, "app")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoadRejects(t *testing.T) {
	const escu = "detections/kubernetes_create_or_update_privileged_pod.yml"
	const ext = "detections/kubernetes_privileged_workload_extended.yml"
	for _, tc := range []struct {
		name, file, old, new, msg string
	}{
		{"wrong risk score", escu, "risk_score: 49", "risk_score: 50", "risk_score 50, but round(confidence*impact/100) = 49"},
		{"unknown key", escu, "status: production", "status: production\nstatuss: x", "field statuss not found"},
		{"bad id", escu, "id: 3c6bd734-334d-4818-ae7c-5234313fc5da", "id: 3C6BD734", "is not a lower-case UUID"},
		{"unknown story", escu, "  - Kubernetes Security", "  - Kubernetes Insecurity", `analytic_story "Kubernetes Insecurity" has no file`},
		{"message field", escu, "created by user $user$.", "created by $username$.", "message uses $username$"},
		{"no filter", escu, " | `kubernetes_create_or_update_privileged_pod_filter`'", "'", "search must end with | `kubernetes_create_or_update_privileged_pod_filter`"},
		{"unknown technique", escu, "  - T1204", "  - T9999", "mitre_attack_id T9999"},
		{"bad date", escu, "date: '2024-09-30'", "date: '30.09.2024'", `date "30.09.2024"`},
		{"no victim", escu, "    - Victim", "    - Witness", "role must include Victim or Attacker"},
		{"no deployment", escu, "type: Anomaly", "type: Hunting", `no deployment in deployments/ for type "Hunting"`},
		{"drilldown token", escu, `search  user = "$user$"'`, `search  user = "$usr$"'`, "drilldown_searches[0] uses $usr$, which is not in output_fields"},
		{"drilldown without the search", escu, `'%original_detection_search% | search`, `'| search`, "no drilldown search contains %original_detection_search%"},
		{"short drilldown name", escu, `- name: View the detection results for - "$user$"`, `- name: View`, "drilldown_searches[0] needs a name of at least 5 characters"},
		{"throttling field", ext, "    - reasons\n    period", "    - reason\n    period", "throttling field reason is not in output_fields"},
		{"throttling period", ext, "period: 86400s", "period: 1d", "throttling needs fields and a period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := repoFS(t)
			src := string(fsys[tc.file].Data)
			if !strings.Contains(src, tc.old) {
				t.Fatalf("%s does not contain %q", tc.file, tc.old)
			}
			fsys[tc.file] = &fstest.MapFile{Data: []byte(strings.Replace(src, tc.old, tc.new, 1))}
			_, err := Load(fsys)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Load = %v; want ErrInvalid mentioning %q", err, tc.msg)
			}
		})
	}
}

func TestPyJSON(t *testing.T) {
	got := pyJSON(obj{
		{"b", []string{"ATT&CK <x> 'q'", "tab\there", "é😀\x7f", `q"\`}},
		{"a", []any{obj{{"z", 1}, {"y", pyFloat(2)}}}},
	})
	want := `{"a": [{"y": 2.0, "z": 1}], "b": ["ATT\u0026CK \u003cx\u003e \u0027q\u0027", "tab\there", "\u00e9\ud83d\ude00\u007f", "q\"\\"]}`
	if got != want {
		t.Errorf("pyJSON\n got %s\nwant %s", got, want)
	}
}

func TestFilterMacroAndStanzaNames(t *testing.T) {
	d := &Detection{Name: "Kubernetes Create or Update Privileged Pod"}
	if got, want := d.FilterMacro(), "kubernetes_create_or_update_privileged_pod_filter"; got != want {
		t.Errorf("FilterMacro = %q, want %q", got, want)
	}
	m := &Macro{Name: "security_content_ctime", Arguments: []string{"field"}}
	if got := m.StanzaName(); got != "security_content_ctime(1)" {
		t.Errorf("StanzaName = %q", got)
	}
}

func BenchmarkRender(b *testing.B) {
	c, err := Load(os.DirFS(filepath.Join(repoRoot, "app")))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.SavedSearchesConf()
		c.MacrosConf()
	}
}

// FuzzLoad replaces the ESCU detection file with arbitrary YAML: Load must
// return content or an error, never panic, and what it accepts must render.
func FuzzLoad(f *testing.F) {
	base := fstest.MapFS{}
	root := filepath.Join(repoRoot, "app")
	for _, dir := range []string{"stories", "deployments", "macros", "detections"} {
		names, _ := filepath.Glob(filepath.Join(root, dir, "*.yml"))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			base[dir+"/"+filepath.Base(n)] = &fstest.MapFile{Data: b}
		}
	}
	const name = "detections/kubernetes_create_or_update_privileged_pod.yml"
	f.Add(base[name].Data)
	f.Add([]byte("name: x\ntags:\n  observable:\n  - name: user\n"))
	f.Add([]byte("- 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		fsys[name] = &fstest.MapFile{Data: data}
		c, err := Load(fsys)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not wrapping ErrInvalid: %v", err)
			}
			return
		}
		for _, out := range [][]byte{c.SavedSearchesConf(), c.MacrosConf()} {
			if _, err := conf.Parse("fuzz.conf", out); err != nil {
				t.Fatalf("accepted content renders an unparsable file: %v", err)
			}
		}
	})
}

// researchStanza returns the settings, in order, of the savedsearches.conf
// stanza contentctl v4.4 renders for ESCU's detection 3c6bd734, as recorded
// in ../shared/research/splunk-app.md (section 1.5).
func researchStanza(t *testing.T) [][2]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedtest.Dir(t, "research"), "splunk-app.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	const head = "[ESCU - Kubernetes Create or Update Privileged Pod - Rule]\n"
	i := strings.Index(doc, head)
	if i < 0 {
		t.Fatalf("splunk-app.md has no %q", head)
	}
	block, _, ok := strings.Cut(doc[i+len(head):], "```")
	if !ok {
		t.Fatal("splunk-app.md: the rendered stanza's code block does not end")
	}
	var kvs [][2]string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		k, v, ok := strings.Cut(l, " = ")
		if !ok {
			t.Fatalf("splunk-app.md: %q is not key = value", l)
		}
		kvs = append(kvs, [2]string{k, v})
	}
	return kvs
}

// TestMatchesContentctlRendering compares the rendered stanzas with the
// one contentctl v4.4 renders for ESCU's own detection (recorded in
// ../shared/research/splunk-app.md): the same keys in the same order, and
// the same values wherever the app does not differ on purpose (its own
// name, texts and search). Throttling goes where contentctl's template puts
// it; the single-drilldown keys are the only keys ESCU's v4.4 stanza lacks.
func TestMatchesContentctlRendering(t *testing.T) {
	research := researchStanza(t)
	c := loadRepo(t)
	f, err := conf.Parse("savedsearches.conf", c.SavedSearchesConf())
	if err != nil {
		t.Fatal(err)
	}
	ownText := map[string]bool{"description": true, "action.escu.eli5": true, "action.escu.how_to_implement": true,
		"action.escu.known_false_positives": true, "search": true, "action.notable.param.drilldown_searches": true}
	legacy := []string{"action.notable.param.drilldown_name", "action.notable.param.drilldown_search",
		"action.notable.param.drilldown_earliest_offset", "action.notable.param.drilldown_latest_offset"}
	for _, d := range c.Detections {
		s := f.Stanza(d.StanzaName())
		var want []string
		for _, kv := range research {
			if kv[0] == "search" && d.Tags.Throttling != nil {
				want = append(want, "alert.suppress", "alert.suppress.fields", "alert.suppress.period")
			}
			want = append(want, kv[0])
		}
		want = append(want, legacy...)
		var got []string
		for _, kv := range s.Settings {
			got = append(got, kv.Key)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("[%s] keys\n got %q\nwant %q", s.Name, got, want)
		}
		if d.ID != "3c6bd734-334d-4818-ae7c-5234313fc5da" {
			continue
		}
		for _, kv := range research {
			got, _ := s.Get(kv[0])
			want := kv[1]
			switch {
			case ownText[kv[0]]:
				continue
			case kv[0] == "action.correlationsearch.label":
				want = strings.Replace(want, "ESCU - ", AppLabel+" - ", 1)
			}
			if got != want {
				t.Errorf("[%s] %s\n got %s\nwant %s (contentctl)", s.Name, kv[0], got, want)
			}
		}
	}
}

// TestDrilldownsAndThrottling checks the ES content analysts rely on: each
// detection's drilldowns as contentctl serialises them (tojson of name,
// search and offsets, the placeholder replaced), ESCU's first drilldown
// kept, one for the user's activity and one for the object's audit events,
// and throttling on the extended detection only, keyed on user, namespace,
// name and reasons.
func TestDrilldownsAndThrottling(t *testing.T) {
	c := loadRepo(t)
	f, err := conf.Parse("savedsearches.conf", c.SavedSearchesConf())
	if err != nil {
		t.Fatal(err)
	}
	type dd struct {
		Name           string `json:"name"`
		Search         string `json:"search"`
		EarliestOffset string `json:"earliest_offset"`
		LatestOffset   string `json:"latest_offset"`
	}
	for _, tc := range []struct {
		stanza, search, object string
		suppress               map[string]string
	}{
		{"kubeprivpod - Kubernetes Create or Update Privileged Pod - Rule",
			"`kube_audit` privileged | kubeprivpod | `kubernetes_create_or_update_privileged_pod_filter`",
			"`kube_audit` objectRef.resource=pods objectRef.namespace=\"$objectRef.namespace$\" objectRef.name=\"$objectRef.name$\"", nil},
		{"kubeprivpod - Kubernetes Privileged Workload Extended - Rule",
			"`kube_audit` | kubeprivpod mode=extended | `kubeprivpod_allowlist` | where isnull(allowlisted) | `kubernetes_privileged_workload_extended_filter`",
			"`kube_audit` objectRef.resource=\"$resource$\" objectRef.namespace=\"$namespace$\" objectRef.name=\"$name$\"",
			map[string]string{"alert.suppress": "true", "alert.suppress.fields": "user,namespace,name,reasons", "alert.suppress.period": "86400s"}},
	} {
		s := f.Stanza(tc.stanza)
		if s == nil {
			t.Fatalf("no [%s]", tc.stanza)
		}
		raw := mustGet(t, s, "action.notable.param.drilldown_searches")
		var got []dd
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("[%s] drilldown_searches is not JSON: %v", tc.stanza, err)
		}
		want := []dd{
			{`View the detection results for - "$user$"`, tc.search + ` | search  user = "$user$"`, "$info_min_time$", "$info_max_time$"},
			{`View the Kubernetes API activity of - "$user$"`, "`kube_audit` user.username=\"$user$\" | table _time verb objectRef.resource objectRef.namespace objectRef.name responseStatus.code sourceIPs{} userAgent", "24h", "$info_max_time$"},
		}
		if len(got) != 3 || !reflect.DeepEqual(got[:2], want) || got[2].Search != tc.object {
			t.Errorf("[%s] drilldowns\n got %+v\nwant %+v and the object's events %s", tc.stanza, got, want, tc.object)
		}
		if !strings.HasPrefix(raw, `[{"earliest_offset": "$info_min_time$", "latest_offset": "$info_max_time$", "name": `) {
			t.Errorf("[%s] drilldown_searches not in tojson's key order and separators: %.80s", tc.stanza, raw)
		}
		if n := mustGet(t, s, "action.notable.param.drilldown_name"); n != want[0].Name {
			t.Errorf("[%s] drilldown_name %q, want %q", tc.stanza, n, want[0].Name)
		}
		if q := mustGet(t, s, "action.notable.param.drilldown_search"); q != want[0].Search {
			t.Errorf("[%s] drilldown_search %q, want %q", tc.stanza, q, want[0].Search)
		}
		for _, k := range []string{"alert.suppress", "alert.suppress.fields", "alert.suppress.period"} {
			v, ok := s.Get(k)
			if w, wantIt := tc.suppress[k]; ok != wantIt || v != w {
				t.Errorf("[%s] %s = %q (set %v), want %q", tc.stanza, k, v, ok, w)
			}
		}
	}
}
