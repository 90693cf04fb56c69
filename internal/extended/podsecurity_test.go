package extended

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

// manifests returns the Pod Security baseline manifests of folder (fail or
// pass), as JSON, by file name.
func manifests(t *testing.T, folder string) map[string]json.RawMessage {
	dir := sharedtest.Dir(t, "fixtures", "pod-security", "baseline-v1.37", folder)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	out := map[string]json.RawMessage{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".yaml")] = j
	}
	return out
}

// Each "fail" manifest of the checks this mode covers, sent as a pod
// create, is flagged with the reason of the check it fails; the others
// (AppArmor, hostPort, procMount, seccomp, SELinux, sysctls, probe hosts)
// are outside this mode's node-escape set and yield nothing; no "pass"
// manifest yields anything.
func TestPodSecurityBaseline(t *testing.T) {
	want := map[string]string{
		"privileged0":            "[containers/container1] [privileged]",
		"privileged1":            "[initContainers/initcontainer1] [privileged]",
		"hostnamespaces0":        "[] [hostIPC]",
		"hostnamespaces1":        "[] [hostNetwork]",
		"hostnamespaces2":        "[] [hostPID]",
		"hostpathvolumes0":       "[] [hostPath:/a]",
		"hostpathvolumes1":       "[] [hostPath:/a,hostPath:/b]",
		"capabilities_baseline0": "[containers/container1] [capability:NET_RAW]",
		"capabilities_baseline1": "[initContainers/initcontainer1] [capability:NET_RAW]",
		"capabilities_baseline2": "[containers/container1] [capability:chown]",
		"capabilities_baseline3": "[containers/container1] [capability:CAP_CHOWN]",
		// HostProcess pods must also use the host network.
		"windowshostprocess0": "[] [hostProcess,hostNetwork]",
		"windowshostprocess1": "[containers/container1,initContainers/initcontainer1] [hostProcess,hostNetwork]",
	}
	var names []string
	fail := manifests(t, "fail")
	for n := range fail {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := run(ev{nm: n, req: fail[n]}.raw())
		got := ""
		if rows := d.Result().Rows; len(rows) == 1 {
			f := strings.Fields(summary(d.Result(), rows[0]))
			got = f[5] + " " + f[6]
		} else if len(rows) > 1 {
			got = "several rows"
		}
		if got != want[n] {
			t.Errorf("fail/%s: got %q, want %q", n, got, want[n])
		}
		delete(want, n)
	}
	for n := range want {
		t.Errorf("fail/%s: missing manifest", n)
	}
	for n, m := range manifests(t, "pass") {
		if d := run(ev{nm: n, req: m}.raw()); len(d.Result().Rows) != 0 {
			t.Errorf("pass/%s: found %q", n, summaries(d.Result()))
		}
	}
}
