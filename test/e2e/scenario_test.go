package e2e

import (
	"fmt"
	"strings"
)

// step is one real kubectl command of the scenario and what it must do.
type step struct {
	what  string   // what the step shows, for failure messages
	user  string   // "admin" (system:masters) unless set; "alice" has no RBAC grants
	stdin string   // manifest for -f -
	args  []string // kubectl arguments
	// fail, when set, is text kubectl's output must contain: the command
	// must be refused. Otherwise it must succeed.
	fail string
	// escu and extended name the objects this step must put in the rows
	// of each mode: "namespace/name", a trailing * for a name the
	// controllers complete, or "owner:Kind name" for pods created with
	// generateName, which a Request-level event does not name: the row's
	// message says "(controlled by Kind name)". Every row of a mode must be
	// named by some step.
	escu, extended []string
}

// Namespaces of the scenario: ns for everything, restricted labelled
// pod-security.kubernetes.io/enforce=restricted.
const (
	ns         = "e2e"
	restricted = "locked"
)

// podYAML is a pod manifest with the given spec lines (indented 2).
func podYAML(namespace, name, spec string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s
  labels: {app: %s}
spec:
%s`, name, namespace, name, indent(spec, "  "))
}

// workloadYAML is a workload of kind with a pod template of the given
// spec; extra goes into the workload's spec (indented 2).
func workloadYAML(kind, apiVersion, name, extra, podSpec string) string {
	return fmt.Sprintf(`apiVersion: %s
kind: %s
metadata:
  name: %s
  namespace: %s
spec:
%s
  template:
    metadata:
      labels: {app: %s}
    spec:
%s`, apiVersion, kind, name, ns, indent(extra, "  "), name, indent(podSpec, "      "))
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// Container specs.
const (
	plain      = "containers:\n- name: app\n  image: registry.k8s.io/pause:3.10\n"
	privileged = "containers:\n- name: app\n  image: registry.k8s.io/pause:3.10\n  securityContext:\n    privileged: true\n"
	// restrictedOK passes Pod Security "restricted".
	restrictedOK = "securityContext:\n  runAsNonRoot: true\n  seccompProfile: {type: RuntimeDefault}\n" +
		"containers:\n- name: app\n  image: registry.k8s.io/pause:3.10\n  securityContext:\n    allowPrivilegeEscalation: false\n    runAsUser: 1000\n    capabilities: {drop: [ALL]}\n"
)

// tolerateAll lets a DaemonSet onto the fake nodes, which keep the
// node.kubernetes.io/not-ready:NoSchedule taint the API server gives new
// nodes (no kubelet ever reports them ready); node agents such as CNI
// plugins tolerate every taint the same way.
const tolerateAll = "tolerations:\n- operator: Exists\n"

func selector(name string) string { return "selector:\n  matchLabels: {app: " + name + "}" }

// scenario returns the steps in order. Later steps patch objects of
// earlier ones.
func scenario() []step {
	wl := func(kind, api, name, extra, spec string) string { return workloadYAML(kind, api, name, extra, spec) }
	job := "restartPolicy: Never\n"
	return []step{
		// Setup.
		{what: "namespace", args: []string{"create", "namespace", ns}},
		{what: "restricted namespace", args: []string{"create", "namespace", restricted}},
		{what: "label it enforce=restricted", args: []string{"label", "namespace", restricted, "pod-security.kubernetes.io/enforce=restricted"}},
		{what: "fake node 1", stdin: "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-a\n", args: []string{"create", "-f", "-"}},
		{what: "fake node 2", stdin: "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-b\n", args: []string{"create", "-f", "-"}},
		{what: "fake node 3", stdin: "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-c\n", args: []string{"create", "-f", "-"}},

		// Pods written directly.
		{what: "client-side apply of a privileged pod (last-applied annotation)", stdin: podYAML(ns, "csa-priv", privileged),
			args: []string{"apply", "-f", "-"}, escu: []string{"e2e/csa-priv"}, extended: []string{"e2e/csa-priv"}},
		{what: "create of a privileged pod (no annotation)", stdin: podYAML(ns, "created-priv", privileged),
			args: []string{"create", "-f", "-"}, extended: []string{"e2e/created-priv"}},
		{what: "kubectl run --privileged", args: []string{"run", "run-priv", "-n", ns, "--image=registry.k8s.io/pause:3.10", "--privileged"},
			extended: []string{"e2e/run-priv"}},
		{what: "server-side apply of a privileged pod", stdin: podYAML(ns, "ssa-priv", privileged),
			args: []string{"apply", "--server-side", "-f", "-"}, extended: []string{"e2e/ssa-priv"}},
		{what: "hostPID, hostIPC, hostNetwork pod", stdin: podYAML(ns, "host-ns", "hostPID: true\nhostIPC: true\nhostNetwork: true\n"+plain),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/host-ns"}},
		{what: "pod mounting the node's root", stdin: podYAML(ns, "host-root", plain+"  volumeMounts:\n  - {name: root, mountPath: /host}\nvolumes:\n- name: root\n  hostPath: {path: /}\n"),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/host-root"}},
		{what: "pod adding SYS_ADMIN", stdin: podYAML(ns, "cap-sysadmin", plain+"  securityContext:\n    capabilities: {add: [SYS_ADMIN]}\n"),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/cap-sysadmin"}},
		{what: "pod running as UID 0", stdin: podYAML(ns, "as-root", "securityContext: {runAsUser: 0}\n"+plain),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/as-root"}},
		{what: "pod with a privileged init container", stdin: podYAML(ns, "init-priv", "initContainers:\n- name: setup\n  image: registry.k8s.io/pause:3.10\n  securityContext: {privileged: true}\n"+plain),
			args: []string{"apply", "-f", "-"}, escu: []string{"e2e/init-priv"}, extended: []string{"e2e/init-priv"}},
		{what: "benign pod", stdin: podYAML(ns, "benign", plain), args: []string{"apply", "-f", "-"}},
		{what: "kubectl debug --profile=sysadmin (privileged ephemeral container)",
			args:     []string{"debug", "benign", "-n", ns, "--profile=sysadmin", "--image=registry.k8s.io/pause:3.10", "-c", "debugger"},
			extended: []string{"e2e/benign"}},
		{what: "label-only patch of a privileged pod", args: []string{"label", "pod", "csa-priv", "-n", ns, "reviewed=yes"}},
		{what: "merge patch of a privileged pod's labels", args: []string{"patch", "pod", "csa-priv", "-n", ns, "--type=merge", "-p", `{"metadata":{"labels":{"owner":"team-a"}}}`}},

		// Workloads: the controllers create the pods.
		{what: "benign Deployment", stdin: wl("Deployment", "apps/v1", "web", "replicas: 1\n"+selector("web"), plain), args: []string{"apply", "-f", "-"}},
		{what: "benign Deployment 2", stdin: wl("Deployment", "apps/v1", "web2", "replicas: 1\n"+selector("web2"), plain), args: []string{"apply", "-f", "-"}},
		{what: "benign Deployment 3", stdin: wl("Deployment", "apps/v1", "web3", "replicas: 1\n"+selector("web3"), plain), args: []string{"apply", "-f", "-"}},
		{what: "strategic merge patch making a Deployment privileged",
			args:     []string{"patch", "deployment", "web", "-n", ns, "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"app","securityContext":{"privileged":true}}]}}}}`},
			extended: []string{"e2e/web", "e2e/web-*", "owner:ReplicaSet web-"}},
		{what: "JSON merge patch giving a Deployment hostPID",
			args:     []string{"patch", "deployment", "web2", "-n", ns, "--type=merge", "-p", `{"spec":{"template":{"spec":{"hostPID":true}}}}`},
			extended: []string{"e2e/web2", "e2e/web2-*", "owner:ReplicaSet web2-"}},
		{what: "JSON patch making a Deployment privileged",
			args:     []string{"patch", "deployment", "web3", "-n", ns, "--type=json", "-p", `[{"op":"add","path":"/spec/template/spec/containers/0/securityContext","value":{"privileged":true}}]`},
			extended: []string{"e2e/web3", "e2e/web3-*", "owner:ReplicaSet web3-"}},
		{what: "privileged Deployment", stdin: wl("Deployment", "apps/v1", "priv-deploy", "replicas: 2\n"+selector("priv-deploy"), privileged),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/priv-deploy", "e2e/priv-deploy-*", "owner:ReplicaSet priv-deploy-"}},
		{what: "privileged DaemonSet (one pod per fake node)", stdin: wl("DaemonSet", "apps/v1", "priv-ds", selector("priv-ds"), tolerateAll+"hostNetwork: true\n"+privileged),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/priv-ds", "owner:DaemonSet priv-ds)"}},
		{what: "privileged StatefulSet", stdin: wl("StatefulSet", "apps/v1", "priv-sts", "replicas: 1\n"+selector("priv-sts"), privileged),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/priv-sts", "e2e/priv-sts-0"}},
		{what: "privileged Job", stdin: wl("Job", "batch/v1", "priv-job", "", job+privileged),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/priv-job", "owner:Job priv-job)"}},
		{what: "privileged CronJob (schedule never due in the test)", stdin: fmt.Sprintf(`apiVersion: batch/v1
kind: CronJob
metadata:
  name: priv-cron
  namespace: %s
spec:
  schedule: "0 0 1 1 *"
  jobTemplate:
    spec:
      template:
        spec:
%s`, ns, indent(job+privileged, "          ")),
			args: []string{"apply", "-f", "-"}, extended: []string{"e2e/priv-cron"}},
		{what: "PodTemplate with a privileged container (the doc's policy logs it at Metadata: counted in extended mode's warning)",
			stdin: fmt.Sprintf("apiVersion: v1\nkind: PodTemplate\nmetadata:\n  name: priv-template\n  namespace: %s\ntemplate:\n  spec:\n%s", ns, indent(privileged, "    ")),
			args:  []string{"create", "-f", "-"}},
		{what: "benign Job", stdin: wl("Job", "batch/v1", "benign-job", "", job+plain), args: []string{"apply", "-f", "-"}},
		{what: "benign DaemonSet", stdin: wl("DaemonSet", "apps/v1", "benign-ds", selector("benign-ds"), tolerateAll+plain), args: []string{"apply", "-f", "-"}},

		// Refused or not persisted.
		{what: "privileged pod denied by RBAC", user: "alice", stdin: podYAML(ns, "rbac-denied", privileged),
			args: []string{"create", "-f", "-"}, fail: "forbidden"},
		{what: "privileged pod denied by Pod Security admission", stdin: podYAML(restricted, "psa-denied", privileged),
			args: []string{"apply", "-f", "-"}, fail: "violates PodSecurity", escu: []string{"locked/psa-denied"}, extended: []string{"locked/psa-denied"}},
		{what: "restricted-compliant pod admitted", stdin: podYAML(restricted, "psa-ok", restrictedOK), args: []string{"apply", "-f", "-"}},
		{what: "--dry-run=server privileged pod", stdin: podYAML(ns, "dry-run-priv", privileged),
			args: []string{"apply", "--dry-run=server", "-f", "-"}, escu: []string{"e2e/dry-run-priv"}, extended: []string{"e2e/dry-run-priv"}},
	}
}

// controllerPods is how many pods the controllers must have created in
// ns once the scenario settles: web, web2, web3 (1 each, then 1 each from
// the new ReplicaSet of the patched template), priv-deploy 2, priv-ds and
// benign-ds 3 each (fake nodes), priv-sts 1, priv-job 1, benign-job 1.
const controllerPods = 6 + 2 + 3 + 3 + 1 + 1 + 1

// directPods is how many pods the scenario creates itself in ns.
const directPods = 10
