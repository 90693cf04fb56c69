package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Static tokens of the API server's --token-auth-file.
const (
	adminToken = "e2e-admin-token"
	aliceToken = "e2e-alice-token" // an authenticated user with no RBAC grants
	kcmToken   = "e2e-kcm-token"
)

// cluster is etcd, kube-apiserver and kube-controller-manager on loopback.
type cluster struct {
	kubeDir string // kube-apiserver, kube-controller-manager, kubectl
	dir     string
	// auditDir holds what the docs put in /etc/kubernetes/audit.
	auditDir  string
	etcdURL   string
	port      int
	auditLog  string
	etcd, api *proc
	kcm       *proc
	apiRuns   int
}

// stopAPIServer stops the API server as the kubelet stops its static
// pod (kubeadm's manifest: 30 s grace, then SIGKILL) and returns whether
// it exited within the grace period.
func (c *cluster) stopAPIServer(t *testing.T) bool {
	t.Helper()
	return c.api.stopWithin(30 * time.Second)
}

// droppedAtShutdown returns the audit IDs the API servers' logs report
// as not delivered because the audit backend had shut down ("Error in
// audit plugin 'buffered' affecting 1 audit events: audit backend shut
// down" followed by the impacted events): watches that end during the
// shutdown, after the webhook backend stopped. The log backend has them.
func (c *cluster) droppedAtShutdown(t *testing.T) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for i := 1; i <= c.apiRuns; i++ {
		b, err := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("kube-apiserver-%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for j, l := range lines {
			if !strings.Contains(l, "Error in audit plugin") || !strings.Contains(l, "audit backend shut down") {
				continue
			}
			for _, next := range lines[j+1:] {
				if strings.HasPrefix(next, "Impacted events:") {
					continue
				}
				_, rest, ok := strings.Cut(next, ` AUDIT: id="`)
				if !ok {
					break
				}
				id, _, _ := strings.Cut(rest, `"`)
				ids[id] = true
			}
		}
	}
	return ids
}

func (c *cluster) server() string { return fmt.Sprintf("https://127.0.0.1:%d", c.port) }

func (c *cluster) startEtcd(t *testing.T) {
	t.Helper()
	client, peer := freePort(t), freePort(t)
	c.etcdURL = fmt.Sprintf("http://127.0.0.1:%d", client)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	c.etcd = startProc(t, c.dir, "etcd", nil, "etcd", "--name", "e2e", "--data-dir", filepath.Join(c.dir, "etcd-data"),
		"--listen-client-urls", c.etcdURL, "--advertise-client-urls", c.etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "e2e="+peerURL, "--logger=zap", "--log-level", "warn")
	waitFor(t, "etcd healthy", 30*time.Second, func() bool { return httpOK(c.etcdURL+"/health", "") }, c.etcd)
}

// writeFiles writes the API server's own files: service-account keys and
// static tokens (the audit files come from the docs).
func (c *cluster) writeFiles(t *testing.T) {
	t.Helper()
	sh(t, c.dir, "openssl genrsa -out sa.key 2048 2>/dev/null && openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null")
	tokens := fmt.Sprintf("%s,admin,admin-uid,system:masters\n%s,alice@example.com,alice-uid,devs\n%s,system:kube-controller-manager,kcm-uid\n",
		adminToken, aliceToken, kcmToken)
	if err := os.WriteFile(filepath.Join(c.dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	c.port = freePort(t)
	for _, u := range []struct{ name, token string }{{"admin", adminToken}, {"alice", aliceToken}, {"kcm", kcmToken}} {
		cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: %s
  user:
    token: %s
contexts:
- name: e2e
  context: {cluster: e2e, user: %s}
current-context: e2e
`, c.server(), u.name, u.token, u.name)
		if err := os.WriteFile(filepath.Join(c.dir, u.name+".kubeconfig"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// startAPIServer starts kube-apiserver with the docs' audit flags (paths
// as the docs give them, under auditDir) and the log backend beside the
// webhook. maxWait overrides the docs' --audit-webhook-batch-max-wait so
// the test does not wait 5 s per batch.
func (c *cluster) startAPIServer(t *testing.T, docFlags []string) {
	t.Helper()
	c.apiRuns++
	args := []string{
		"--etcd-servers=" + c.etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", c.port),
		"--cert-dir=" + filepath.Join(c.dir, "apiserver-certs"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(c.dir, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(c.dir, "sa.key"),
		"--token-auth-file=" + filepath.Join(c.dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		// On loopback the default reconciler refuses 127.0.0.1.
		"--endpoint-reconciler-type=none",
		"--audit-log-path=" + c.auditLog,
		"--audit-log-format=json",
		"--audit-log-maxsize=0",
	}
	for _, f := range docFlags {
		args = append(args, strings.ReplaceAll(f, "/etc/kubernetes/audit/", c.auditDir+"/"))
	}
	// Later flags win: a batch a second instead of every 5 s.
	args = append(args, "--audit-webhook-batch-max-wait=1s")
	c.api = startProc(t, c.dir, fmt.Sprintf("kube-apiserver-%d", c.apiRuns), nil, filepath.Join(c.kubeDir, "kube-apiserver"), args...)
	waitFor(t, "kube-apiserver /readyz", 90*time.Second, func() bool { return httpOK(c.server()+"/readyz", adminToken) }, c.api)
}

// startControllerManager starts kube-controller-manager with a client
// identity per controller, as kubeadm clusters run it, so controller
// writes are logged under system:serviceaccount:kube-system:<controller>.
func (c *cluster) startControllerManager(t *testing.T) {
	t.Helper()
	kc := filepath.Join(c.dir, "kcm.kubeconfig")
	c.kcm = startProc(t, c.dir, "kube-controller-manager", nil, filepath.Join(c.kubeDir, "kube-controller-manager"),
		"--kubeconfig="+kc, "--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", freePort(t)),
		"--cert-dir="+filepath.Join(c.dir, "kcm-certs"),
		"--leader-elect=false", "--use-service-account-credentials=true",
		"--service-account-private-key-file="+filepath.Join(c.dir, "sa.key"),
		"--root-ca-file="+filepath.Join(c.auditDir, "ca.crt"),
		"--service-cluster-ip-range=10.96.0.0/16",
		// Fake nodes never report; keep them schedulable for DaemonSets.
		"--controllers=*,-node-lifecycle-controller,-node-ipam-controller,-taint-eviction-controller")
}

// kubectl runs kubectl as user ("admin" or "alice") with stdin and
// returns its combined output and whether it succeeded.
func (c *cluster) kubectl(t *testing.T, user, stdin string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(filepath.Join(c.kubeDir, "kubectl"), append([]string{"--kubeconfig", filepath.Join(c.dir, user+".kubeconfig")}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	// kubectl caches discovery under $HOME/.kube.
	cmd.Env = append(os.Environ(), "HOME="+c.dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("kubectl %v: %v", args, err)
		}
	}
	return out.String(), err == nil
}

// mustKubectl runs kubectl as admin and fails the test if it fails.
func (c *cluster) mustKubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, ok := c.kubectl(t, "admin", stdin, args...)
	if !ok {
		t.Fatalf("kubectl %s failed:\n%s", strings.Join(args, " "), out)
	}
	return out
}
