package extended

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/table"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update after checking):\n%s", path, got)
	}
}

func sampleEvents(tb testing.TB) [][]byte { return readLines(tb, "../../testdata/audit.log") }

// The bundled sample: every scenario of testdata/README.md that a pod
// spec makes privileged or host-level is one row, with its containers,
// reasons and outcome; the env-var trap is not; the Metadata-level create
// is the one write the detection could not see.
func TestSample(t *testing.T) {
	d := run(sampleEvents(t)...)
	tb := d.Result()
	equalLines(t, "rows", summaries(tb), []string{
		"m.ross@example.com create pods default/node-shell allowed [containers/shell] [privileged,hostPID,hostNetwork] 49 1",
		"jane.doe@example.com create pods payments/debug-tools allowed [containers/netshoot] [privileged] 49 1",
		"system:serviceaccount:ci:deployer create deployments monitoring/log-shipper allowed [containers/fluent-bit] [privileged,hostPath:/var/log] 49 1",
		"system:serviceaccount:kube-system:replicaset-controller create pods monitoring/log-shipper-7f5c9d8b64-g7mhn allowed [containers/fluent-bit] [privileged,hostPath:/var/log] 49 1",
		"jane.doe@example.com create pods shop/sysctl-tuner allowed [initContainers/tune] [privileged] 49 1",
		"m.ross@example.com patch pods/ephemeralcontainers shop/web-6b7f9c5d4-qk8zt allowed [ephemeralContainers/debugger-x7k2p] [privileged] 49 1",
		"m.ross@example.com patch deployments shop/checkout allowed [containers/checkout] [privileged] 49 1",
		"m.ross@example.com create pods shop/miner denied [containers/miner] [privileged] 49 1",
		"jane.doe@example.com create pods kube-system/cni-repair dry-run [containers/repair] [privileged,hostNetwork] 49 1",
		"m.ross@example.com update pods default/node-shell allowed [containers/shell] [privileged,hostPID,hostNetwork] 49 1",
		"m.ross@example.com create pods default/host-inspect allowed [containers/inspect] [hostPath:/,hostPID] 45 1",
	})
	equalLines(t, "messages", d.Messages(), []string{
		"kubeprivpod mode=extended cannot see inside 1 write to pods or workload objects because the audit event has no request body " +
			"(1 logged without it, 0 truncated): set the audit policy level to Request or RequestResponse for pods, pods/ephemeralcontainers, " +
			"podtemplates, replicationcontrollers, replicasets, deployments, statefulsets, daemonsets, jobs and cronjobs",
	})
	// Every cell, byte for byte (messages, times, multivalue order).
	var buf bytes.Buffer
	if err := table.WriteJSON(&buf, tb); err != nil {
		t.Fatal(err)
	}
	golden(t, "sample.golden.json", buf.Bytes())
}
