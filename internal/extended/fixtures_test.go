package extended

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kubeprivpod/kubeprivpod/internal/auditlog"
	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

// fixtureEvents reads every event of a fixture file, as scan would.
func fixtureEvents(tb testing.TB, path string) [][]byte {
	tb.Helper()
	r, err := auditlog.Open(path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var out [][]byte
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		var pe *auditlog.ParseError
		if errors.As(err, &pe) {
			continue // fal_01_003.json-like documents are the reader's business
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, slices.Clone(e))
	}
}

// auditFixtures lists the event files of the shared audit fixtures.
func auditFixtures(tb testing.TB) []string {
	dir := sharedtest.Dir(tb, "fixtures", "audit")
	var files []string
	for _, pat := range []string{"*/*.json", "*/*.jsonl", "*/*.log"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, "panther_tests_expected.json") {
				files = append(files, f)
			}
		}
	}
	sort.Strings(files)
	if len(files) != 59 { // the audit README's file tables
		tb.Fatalf("%d fixture files under %s, want 59", len(files), dir)
	}
	return files
}

// Every privileged pod creation in the shared fixtures (the audit README
// counts 11) is found, with the container that is privileged, and nothing
// else privileged is reported: the complete privileged findings, per file.
func TestFixturesPrivilegedPodCreations(t *testing.T) {
	var got []string
	for _, f := range auditFixtures(t) {
		tb := run(fixtureEvents(t, f)...).Result()
		for _, r := range tb.Rows {
			if slices.Contains(r[tb.Index("reasons")], ReasonPrivileged) {
				got = append(got, filepath.Base(f)+": "+summary(tb, r))
			}
		}
	}
	equalLines(t, "privileged findings", got, []string{
		"create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json: system:serviceaccount:kube-system:replicaset-controller create pods default/nginx-deployment-544b59f8b8-ffkxm allowed [containers/mysql] [privileged] 49 1",
		"create_nginx_pod_privileged.json: system:serviceaccount:kube-system:replicaset-controller create pods default/nginx-deployment-5cdcc99dbf-rgw6z allowed [containers/nginx] [privileged] 49 1",
		"create_nginx_pod_privileged_2nd_container.json: system:serviceaccount:kube-system:replicaset-controller create pods default/nginx-deployment-544b59f8b8-ffkxm allowed [containers/mysql] [privileged] 49 1",
		"gcp_k8s_privileged_pod_created.yml.jsonl: container-engine-robot@some-project.iam.gserviceaccount.com create pods kube-system/gke-metrics-agent allowed [containers/gke-metrics-agent] [privileged] 49 1",
		"gcp_k8s_privileged_pod_created.yml.jsonl: john.doe@company.com create pods default/test-privileged-pod allowed [containers/nginx] [privileged] 49 1",
		"gcp_k8s_privileged_pod_created.yml.jsonl: system:serviceaccount:kube-system:deployment-controller create pods gke-system/network-agent allowed [containers/network-agent] [privileged] 49 1",
		"k8s_privileged_pod_created.yml.jsonl:  create pods default/ failed [containers/nginx] [privileged] 49 1",
		"k8s_privileged_pod_created.yml.jsonl: admin@example.com create pods default/test-pod allowed [containers/nginx] [privileged] 49 1",
		// Line 1 (privileged) and line 4 (Run-As-Root) of this file share
		// auditID, user and request URI and have no
		// requestReceivedTimestamp: one request, and the stronger finding
		// is kept (before, the tie-break by name let line 4 replace line 1,
		// the decoy attack). Each line alone is found
		// (TestPantherExpected).
		"k8s_privileged_pod_created.yml.jsonl: john.doe@company.com create pods default/test-privileged-pod allowed [containers/nginx] [privileged] 49 1",
		"k8s_privileged_pod_created.yml.jsonl: system:serviceaccount:kube-system:deployment-controller create pods kube-system/network-agent allowed [containers/agent] [privileged] 49 1",
		"k8s_privileged_pod_created.yml.jsonl: john.doe@company.com create pods default/test-privileged-pod allowed [containers/nginx] [privileged] 49 1",
	})
}

// The complete table of every fixture file, byte for byte: what each
// non-privileged finding is, and that the negative files yield nothing.
func TestFixturesGolden(t *testing.T) {
	var buf strings.Builder
	for _, f := range auditFixtures(t) {
		d := run(fixtureEvents(t, f)...)
		tb := d.Result()
		if len(tb.Rows) == 0 && len(d.Messages()) == 0 {
			continue
		}
		buf.WriteString("== " + filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f) + "\n")
		for _, r := range tb.Rows {
			buf.WriteString(summary(tb, r) + "\n")
		}
		for _, m := range d.Messages() {
			buf.WriteString("WARN " + m + "\n")
		}
	}
	golden(t, "fixtures.golden.txt", []byte(buf.String()))
}

// hasAllowed reports a row with an allowed outcome and a reason for which
// match is true.
func hasAllowed(tb detect.Table, match func(reason string) bool) bool {
	for _, r := range tb.Rows {
		if r[tb.Index("outcome")][0] != OutcomeAllowed {
			continue
		}
		if slices.ContainsFunc(r[tb.Index("reasons")], match) {
			return true
		}
	}
	return false
}

func hasAny(tb detect.Table, match func(reason string) bool) (outcome string, ok bool) {
	for _, r := range tb.Rows {
		if slices.ContainsFunc(r[tb.Index("reasons")], match) {
			return r[tb.Index("outcome")][0], true
		}
	}
	return "", false
}

// Falco's expected outcomes for its pod rules agree, except where Falco
// trusts an image (this mode has no image allowlist; tune in Splunk).
func TestFalcoExpected(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures", "audit", "falcosecurity-falco")
	raw, err := os.ReadFile(filepath.Join(dir, "falco_k8s_audit_tests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceFiles map[string]struct {
			Detect      bool             `yaml:"detect"`
			Counts      []map[string]int `yaml:"detect_counts"`
			RulesFile   []string         `yaml:"rules_file"`
			AddlCmdline string           `yaml:"addl_cmdline_opts"`
		} `yaml:"trace_files"`
	}
	if err := yaml.Unmarshal([]byte(strings.Replace(string(raw), "!mux", "", 1)), &doc); err != nil {
		t.Fatal(err)
	}
	rules := map[string]func(string) bool{
		"Create Privileged Pod":  func(r string) bool { return r == ReasonPrivileged },
		"Create HostNetwork Pod": func(r string) bool { return r == ReasonHostNetwork },
		"Create Sensitive Mount Pod": func(r string) bool {
			return strings.HasPrefix(r, ReasonHostPathPrefix) && hostPathScore(r[len(ReasonHostPathPrefix):]) == ScoreHostPathSensitive
		},
	}
	// The negative cases of those rules, by the trace file they replay.
	negatives := map[string]string{
		"create_nginx_pod_unprivileged.json":      "Create Privileged Pod",
		"create_nginx_pod_nohostnetwork.json":     "Create HostNetwork Pod",
		"create_nginx_pod_unsensitive_mount.json": "Create Sensitive Mount Pod",
	}
	// The trace files of the rules' trusted-image cases.
	trustedFinds := map[string]string{
		"create_nginx_pod_privileged.json":      "Create Privileged Pod",
		"create_nginx_pod_hostnetwork.json":     "Create HostNetwork Pod",
		"create_nginx_pod_sensitive_mount.json": "Create Sensitive Mount Pod",
	}
	fileRE := regexp.MustCompile(`k8s_audit/(\S+)`)
	checked := 0
	for name, c := range doc.TraceFiles {
		m := fileRE.FindStringSubmatch(c.AddlCmdline)
		if m == nil {
			t.Fatalf("%s: no trace file in %q", name, c.AddlCmdline)
		}
		trusted := slices.ContainsFunc(c.RulesFile, func(f string) bool { return strings.HasSuffix(f, "trust_nginx_container.yaml") })
		tb := run(fixtureEvents(t, filepath.Join(dir, m[1]))...).Result()
		for _, counts := range c.Counts {
			for rule, n := range counts {
				if match, ok := rules[rule]; ok {
					checked++
					if n != 1 || !hasAllowed(tb, match) {
						t.Errorf("%s: Falco fires %q %d time(s) on %s; found: %q", name, rule, n, m[1], summaries(tb))
					}
				}
			}
		}
		if rule, ok := negatives[m[1]]; ok && !c.Detect && !trusted {
			checked++
			if _, found := hasAny(tb, rules[rule]); found {
				t.Errorf("%s: Falco does not fire %q on %s, but found %q", name, rule, m[1], summaries(tb))
			}
		}
		if trusted && !c.Detect {
			// Falco stays silent because it trusts the nginx image; this
			// mode reports the pod whatever its image.
			if rule, ok := trustedFinds[m[1]]; ok {
				checked++
				if !hasAllowed(tb, rules[rule]) {
					t.Errorf("%s: trusted-image case of %q on %s: want the finding this mode still makes", name, rule, m[1])
				}
			}
		}
	}
	if checked < 12 {
		t.Errorf("only %d Falco expectations checked", checked)
	}
}

// Panther's expected results for its privileged-pod and host-access rules
// agree, except the cases listed in pantherDiffers, which docs/extended.md
// explains.
func TestPantherExpected(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures", "audit", "panther-labs-panther-analysis")
	raw, err := os.ReadFile(filepath.Join(dir, "panther_tests_expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Test     string `json:"test_name"`
		Expected bool   `json:"expected_result"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	dangerous := []string{"SYS_ADMIN", "NET_ADMIN", "BPF", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "DAC_OVERRIDE"}
	rules := map[string]func(string) bool{
		// Panther's privileged-pod rules also flag explicit root.
		"k8s_privileged_pod_created.yml.jsonl":     func(r string) bool { return r == ReasonPrivileged || r == ReasonRunAsRoot },
		"gcp_k8s_privileged_pod_created.yml.jsonl": func(r string) bool { return r == ReasonPrivileged || r == ReasonRunAsRoot },
		"k8s_pod_host_ipc.yml.jsonl":               func(r string) bool { return r == ReasonHostIPC },
		"k8s_pod_host_network.yml.jsonl":           func(r string) bool { return r == ReasonHostNetwork },
		"k8s_pod_host_pid.yml.jsonl":               func(r string) bool { return r == ReasonHostPID },
		"k8s_pod_hostpath_volume.yml.jsonl":        func(r string) bool { return strings.HasPrefix(r, ReasonHostPathPrefix) },
		"k8s_pod_dangerous_capabilities.yml.jsonl": func(r string) bool {
			return strings.HasPrefix(r, ReasonCapabilityPrefix) && slices.Contains(dangerous, r[len(ReasonCapabilityPrefix):])
		},
	}
	// Where this mode and Panther knowingly differ, and why.
	pantherDiffers := map[string]string{
		"k8s_privileged_pod_created.yml.jsonl:8":     "Panther excludes system principals in system namespaces by policy; this mode reports them (tune with the filter macro)",
		"gcp_k8s_privileged_pod_created.yml.jsonl:5": "system principal in kube-system, as above",
		"gcp_k8s_privileged_pod_created.yml.jsonl:6": "system principal in gke-system, as above",
		"k8s_pod_host_ipc.yml.jsonl:5":               "system principal in kube-system, as above",
		"k8s_pod_hostpath_volume.yml.jsonl:6":        "system principal in kube-system, as above",
	}
	lines := map[string][][]byte{}
	checked := 0
	for _, c := range cases {
		match, ok := rules[c.File]
		if !ok {
			continue
		}
		if lines[c.File] == nil {
			lines[c.File] = readLines(t, filepath.Join(dir, c.File))
		}
		tb := run(lines[c.File][c.Line-1]).Result()
		found := hasAllowed(tb, match)
		key := c.File + ":" + itoa(c.Line)
		why, differs := pantherDiffers[key]
		checked++
		switch {
		case differs && found == c.Expected:
			t.Errorf("%s (%s): listed as a difference (%s) but agrees", key, c.Test, why)
		case !differs && found != c.Expected:
			outcome, any := hasAny(tb, match)
			if !c.Expected && any && outcome != OutcomeAllowed {
				continue // Panther drops failed requests; this mode reports them as denied/failed
			}
			if c.Expected && any && outcome == OutcomeUnknown {
				continue // Panther's hand-written GKE entries record no status: found, its outcome not made up
			}
			t.Errorf("%s (%s): Panther expects %v, found %v: %q", key, c.Test, c.Expected, found, summaries(tb))
		}
	}
	if checked != 43 {
		t.Errorf("checked %d Panther cases, want 43", checked)
	}
}
