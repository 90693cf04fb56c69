package k8swebhook

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	auditinternal "k8s.io/apiserver/pkg/apis/audit"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/audit/policy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/plugin/pkg/audit/buffered"
	auditlog "k8s.io/apiserver/plugin/pkg/audit/log"
	"k8s.io/apiserver/plugin/pkg/audit/webhook"

	"github.com/kubeprivpod/kubeprivpod/testsupport/testpki"
)

const scheme = "kube_audit_webhook"

// buildBinary builds the input from the root module, as build.sh does.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), scheme)
	// Built in the root module, with its go.mod, exactly as shipped.
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/kube_audit_webhook")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The shipped binary must not contain Kubernetes code.
	out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("k8s.io/")) {
		t.Fatalf("binary depends on Kubernetes modules:\n%s", out)
	}
	return bin
}

// docBlock returns the fenced code block that follows marker in the
// user docs (docs/webhook.md, or README.md if it holds the block).
func docBlocks(t *testing.T, marker string) []string {
	t.Helper()
	var blocks []string
	for _, path := range []string{"../../docs/webhook.md", "../../README.md"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.Index(s, marker)
		if i < 0 {
			continue
		}
		s = s[i:]
		s = s[strings.Index(s, "```"):]
		s = s[strings.IndexByte(s, '\n')+1:]
		end := strings.Index(s, "\n```")
		if end < 0 {
			t.Fatalf("%s: unterminated block after %q", path, marker)
		}
		blocks = append(blocks, s[:end+1])
	}
	if len(blocks) == 0 {
		t.Fatalf("no block marked %q in docs/webhook.md or README.md", marker)
	}
	return blocks
}

// kubeconfig writes the webhook kubeconfig of the user docs (the file the
// API server reads with --audit-webhook-config-file), pointed at url and
// at the test's certificates instead of /etc/kubernetes/audit.
func kubeconfig(t *testing.T, p *testpki.PKI, url string) string {
	t.Helper()
	cfg := docBlocks(t, "<!-- kube_audit_webhook: webhook kubeconfig")[0]
	for old, new := range map[string]string{
		"https://splunk.example.com:9443/audit":     url,
		"/etc/kubernetes/audit/ca.crt":              p.CAFile,
		"/etc/kubernetes/audit/apiserver-audit.crt": p.ClientCertFile,
		"/etc/kubernetes/audit/apiserver-audit.key": p.ClientKeyFile,
	} {
		if strings.Count(cfg, old) != 1 {
			t.Fatalf("documented kubeconfig does not contain %q exactly once:\n%s", old, cfg)
		}
		cfg = strings.Replace(cfg, old, new, 1)
	}
	path := filepath.Join(t.TempDir(), "audit-webhook.kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// input is one running kube_audit_webhook process.
type input struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	stderr *lockedBuffer
}

func startInput(t *testing.T, bin string, p *testpki.PKI, addr string) *input {
	t.Helper()
	cfg := fmt.Sprintf(`<input><server_host>idx</server_host><server_uri>https://127.0.0.1:8089</server_uri><session_key>k</session_key><checkpoint_dir>%s</checkpoint_dir>
<configuration><stanza name="kube_audit_webhook://prod" app="kubeprivpod">
<param name="listen">%s</param><param name="tls_cert_file">%s</param><param name="tls_key_file">%s</param>
<param name="client_ca_file">%s</param><param name="cluster">prod-eu-1</param><param name="index">main</param>
</stanza></configuration></input>`, t.TempDir(), addr, p.ServerCertFile, p.ServerKeyFile, p.CAFile)
	in := &input{cmd: exec.Command(bin), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	in.cmd.Stdin = strings.NewReader(cfg)
	in.cmd.Stdout, in.cmd.Stderr = in.stdout, in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if in.cmd.ProcessState == nil {
			in.cmd.Process.Kill()
			in.cmd.Wait()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("input does not listen on %s; stderr:\n%s", addr, in.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (in *input) stop(t *testing.T) {
	t.Helper()
	in.cmd.Process.Signal(syscall.SIGTERM)
	if err := in.cmd.Wait(); err != nil {
		t.Fatalf("input exit: %v\nstderr:\n%s", err, in.stderr.String())
	}
}

type streamEvent struct {
	Stanza     string `xml:"stanza,attr"`
	Time       string `xml:"time"`
	Data       string `xml:"data"`
	Source     string `xml:"source"`
	Sourcetype string `xml:"sourcetype"`
	Index      string `xml:"index"`
	Host       string `xml:"host"`
}

// events returns the complete <event> elements of a stream, which may
// have been cut off by a kill.
func events(t *testing.T, stream string) []streamEvent {
	t.Helper()
	stream = strings.TrimPrefix(stream, "<stream>\n")
	var out []streamEvent
	for {
		end := strings.Index(stream, "</event>\n")
		if end < 0 {
			return out
		}
		var e streamEvent
		if err := xml.Unmarshal([]byte(stream[:end+len("</event>")]), &e); err != nil {
			t.Fatalf("malformed event: %v", err)
		}
		out = append(out, e)
		stream = stream[end+len("</event>\n"):]
	}
}

// auditEvents builds n realistic events with the apiserver's own types:
// pod creates with privileged containers, workload updates, denied
// requests, watch stages, impersonation, non-ASCII and HTML-special text.
func auditEvents(n int, salt string) []*auditinternal.Event {
	base := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	stages := []auditinternal.Stage{auditinternal.StageRequestReceived, auditinternal.StageResponseStarted, auditinternal.StageResponseComplete, auditinternal.StagePanic}
	var evs []*auditinternal.Event
	for i := 0; i < n; i++ {
		received := base.Add(time.Duration(i)*time.Millisecond + time.Duration(i%997)*time.Microsecond)
		ev := &auditinternal.Event{
			Level:      auditinternal.LevelRequest,
			AuditID:    types.UID(fmt.Sprintf("%s-%08d-4c43-9b7e-0c2a4c9d0a11", salt, i)),
			Stage:      stages[i%len(stages)],
			RequestURI: fmt.Sprintf("/api/v1/namespaces/team-%d/pods?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", i%7),
			Verb:       []string{"create", "update", "patch", "get"}[i%4],
			User: authnv1.UserInfo{
				Username: fmt.Sprintf("user-%d@example.com", i%5),
				UID:      "uid-<&>",
				Groups:   []string{"system:authenticated", "devs"},
				Extra:    map[string]authnv1.ExtraValue{"scopes.authorization.k8s.io": {"a", "b"}},
			},
			SourceIPs: []string{"10.1.2.3", "2001:db8::1"},
			UserAgent: "kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef é ✓",
			ObjectRef: &auditinternal.ObjectReference{
				Resource: "pods", Namespace: fmt.Sprintf("team-%d", i%7), Name: fmt.Sprintf("web-%d", i), APIVersion: "v1",
			},
			ResponseStatus:           &metav1.Status{Code: 201},
			RequestReceivedTimestamp: metav1.NewMicroTime(received),
			StageTimestamp:           metav1.NewMicroTime(received.Add(1234 * time.Microsecond)),
			Annotations: map[string]string{
				"authorization.k8s.io/decision": "allow",
				"authorization.k8s.io/reason":   `RBAC: allowed by ClusterRoleBinding "admins" of ClusterRole "cluster-admin"`,
			},
		}
		pad := strings.Repeat("x", i%300)
		ev.RequestObject = &k8sruntime.Unknown{ContentType: "application/json", Raw: []byte(fmt.Sprintf(
			`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-%d","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"c\",\"securityContext\":{\"privileged\":true}}]}}\n","pad":"%s"}},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"privileged":%t}}],"hostPID":false}}`,
			i, pad, i%2 == 0))}
		switch i % 5 {
		case 1:
			ev.Level = auditinternal.LevelRequestResponse
			ev.ResponseObject = &k8sruntime.Unknown{ContentType: "application/json", Raw: []byte(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x","uid":"u"},"status":{"phase":"Pending"}}`)}
		case 2:
			ev.ObjectRef = &auditinternal.ObjectReference{Resource: "deployments", APIGroup: "apps", APIVersion: "v1", Namespace: "prod", Name: "api", Subresource: "scale"}
			ev.ResponseStatus = &metav1.Status{Status: "Failure", Message: `deployments.apps "api" is forbidden: User "bob" cannot update <resource>`, Reason: metav1.StatusReasonForbidden, Code: 403}
			ev.ImpersonatedUser = &authnv1.UserInfo{Username: "system:serviceaccount:kube-system:deployer", Groups: []string{"system:serviceaccounts"}}
		case 3:
			ev.Level = auditinternal.LevelMetadata
			ev.RequestObject = nil
		case 4:
			ev.RequestObject = &k8sruntime.Unknown{ContentType: "application/json", Raw: []byte(`[{"op":"replace","path":"/spec/containers/0/securityContext/privileged","value":true}]`)}
		}
		evs = append(evs, ev)
	}
	return evs
}

// logLines is what the API server's log backend (--audit-log-path,
// format json) writes for evs, without the line breaks.
func logLines(t *testing.T, evs []*auditinternal.Event) []string {
	t.Helper()
	var buf bytes.Buffer
	lb := auditlog.NewBackend(&buf, auditlog.FormatJson, auditv1.SchemeGroupVersion)
	if !lb.ProcessEvents(evs...) {
		t.Fatal("log backend failed")
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(evs) {
		t.Fatalf("log backend wrote %d lines for %d events", len(lines), len(evs))
	}
	return lines
}

func newWebhook(t *testing.T, kubeconfigFile string) audit.Backend {
	t.Helper()
	// Short backoff so a retried batch lands within the test; the API
	// server's default starts at 10 s.
	backoff := wait.Backoff{Duration: 50 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 12}
	wb, err := webhook.NewBackend(kubeconfigFile, auditv1.SchemeGroupVersion, backoff, nil)
	if err != nil {
		t.Fatal(err)
	}
	return wb
}

// TestWebhookBackendMatchesLogBackend sends events through the API
// server's batching webhook backend (batch settings as with
// --audit-webhook-mode=batch) and checks the input wrote each exactly
// once, equal to the log backend's line, with the right <time>.
func TestWebhookBackendMatchesLogBackend(t *testing.T) {
	bin := buildBinary(t)
	p := testpki.New(t)
	addr := freeAddr(t)
	in := startInput(t, bin, p, addr)

	evs := auditEvents(2000, "aaaaaaaa")
	want := logLines(t, evs)

	wb := newWebhook(t, kubeconfig(t, p, "https://"+addr+"/audit"))
	bb := buffered.NewBackend(wb, buffered.BatchConfig{
		BufferSize: 10000, MaxBatchSize: 400, MaxBatchWait: 50 * time.Millisecond,
		ThrottleEnable: false, AsyncDelegate: true,
	})
	stop := make(chan struct{})
	if err := bb.Run(stop); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(evs); i += 100 {
		if !bb.ProcessEvents(evs[i:min(i+100, len(evs))]...) {
			t.Fatal("buffered backend refused events")
		}
	}
	close(stop)
	bb.Shutdown() // waits until every batch was sent (or given up)
	in.stop(t)

	got := events(t, in.stdout.String())
	if !strings.HasSuffix(in.stdout.String(), "</stream>\n") {
		t.Error("stream not closed")
	}
	compare(t, got, want, evs)
	if !strings.Contains(in.stderr.String(), "events written, 0 duplicates dropped") {
		t.Errorf("stderr:\n%s", in.stderr.String())
	}
}

// compare checks got holds each wanted line exactly once, with the
// stanza's metadata and the event's requestReceivedTimestamp.
func compare(t *testing.T, got []streamEvent, want []string, evs []*auditinternal.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d events in the stream, want %d", len(got), len(want))
	}
	wantTime := map[string]string{}
	for i, w := range want {
		ts := evs[i].RequestReceivedTimestamp.Time
		wantTime[w] = fmt.Sprintf("%d.%06d", ts.Unix(), ts.Nanosecond()/1000)
	}
	count := map[string]int{}
	for _, e := range got {
		count[e.Data]++
		if wt, ok := wantTime[e.Data]; !ok {
			t.Fatalf("event not written by the log backend:\n%s\nfirst log line:\n%s", e.Data, want[0])
		} else if e.Time != wt {
			t.Fatalf("time %s, want %s", e.Time, wt)
		}
		if e.Stanza != scheme+"://prod" || e.Source != scheme+"://prod" || e.Sourcetype != "kube:apiserver:auditlog" || e.Index != "main" || e.Host != "prod-eu-1" {
			t.Fatalf("metadata %+v", e)
		}
	}
	for _, w := range want {
		if count[w] != 1 {
			t.Fatalf("log line present %d times in the stream:\n%s", count[w], w)
		}
	}
}

// TestKillMidStream kills the input with SIGKILL while the webhook
// backend is sending, then starts a new one on the same port. The
// backend retries the batch it was sending, so: every event arrives,
// everything acknowledged before the kill is in the first process's
// output, and only the batch in flight at the kill may appear twice.
func TestKillMidStream(t *testing.T) {
	bin := buildBinary(t)
	p := testpki.New(t)
	addr := freeAddr(t)
	first := startInput(t, bin, p, addr)

	const batches, size = 60, 100
	evs := auditEvents(batches*size, "bbbbbbbb")
	want := logLines(t, evs)
	wb := newWebhook(t, kubeconfig(t, p, "https://"+addr+"/audit"))

	var mu sync.Mutex
	acked := 0
	done := make(chan bool, 1)
	go func() {
		ok := true
		for b := 0; b < batches; b++ {
			// The plain webhook backend sends one batch per call and
			// returns true only on a 2xx reply (after retries).
			if !wb.ProcessEvents(evs[b*size : (b+1)*size]...) {
				ok = false
			}
			mu.Lock()
			acked++
			mu.Unlock()
		}
		done <- ok
	}()
	for {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= batches/3 {
			break
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()
	mu.Lock()
	ackedBeforeKill := acked
	mu.Unlock()
	second := startInput(t, bin, p, addr)
	if ok := <-done; !ok {
		t.Fatal("the webhook backend gave up on a batch")
	}
	second.stop(t)

	a, b := events(t, first.stdout.String()), events(t, second.stdout.String())
	inFirst := map[string]int{}
	for _, e := range a {
		inFirst[e.Data]++
	}
	for i := 0; i < ackedBeforeKill*size; i++ {
		if inFirst[want[i]] != 1 {
			t.Fatalf("event %d, acknowledged before the kill, is %d times in the first output", i, inFirst[want[i]])
		}
	}
	all := append(a, b...)
	count := map[string]int{}
	for _, e := range all {
		count[e.Data]++
	}
	var dup []int
	for i, w := range want {
		switch count[w] {
		case 0:
			t.Fatalf("event %d lost", i)
		case 1:
		default:
			dup = append(dup, i/size)
		}
	}
	sort.Ints(dup)
	if len(dup) > 0 && dup[0] != dup[len(dup)-1] {
		t.Errorf("duplicates from several batches: %v", dup)
	}
	if len(all) != len(want)+len(dup) {
		t.Errorf("%d events in both outputs, want %d + %d duplicates", len(all), len(want), len(dup))
	}
	t.Logf("killed after %d/%d acknowledged batches; first process wrote %d events, second %d; %d duplicates (batch in flight)", ackedBeforeKill, batches, len(a), len(b), len(dup))
}

// TestDocumentedPolicy loads the audit policy of the user docs with the
// API server's policy code and checks it records what the detection
// needs: pod and workload writes with their request bodies.
func TestDocumentedPolicy(t *testing.T) {
	for _, doc := range docBlocks(t, "<!-- kube_audit_webhook: audit policy") {
		pol, err := policy.LoadPolicyFromBytes([]byte(doc))
		if err != nil {
			t.Fatalf("the API server rejects the documented policy: %v", err)
		}
		ev := policy.NewPolicyRuleEvaluator(pol)
		u := &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}
		for _, tc := range []struct {
			verb, group, resource, sub string
			want                       auditinternal.Level
		}{
			{"create", "", "pods", "", auditinternal.LevelRequest},
			{"update", "", "pods", "", auditinternal.LevelRequest},
			{"patch", "", "pods", "", auditinternal.LevelRequest},
			{"update", "", "pods", "ephemeralcontainers", auditinternal.LevelRequest},
			{"create", "apps", "deployments", "", auditinternal.LevelRequest},
			{"patch", "apps", "daemonsets", "", auditinternal.LevelRequest},
			{"create", "apps", "statefulsets", "", auditinternal.LevelRequest},
			{"create", "batch", "cronjobs", "", auditinternal.LevelRequest},
			{"create", "batch", "jobs", "", auditinternal.LevelRequest},
			{"create", "", "secrets", "", auditinternal.LevelMetadata},
			{"get", "", "secrets", "", auditinternal.LevelMetadata},
			{"update", "", "configmaps", "", auditinternal.LevelMetadata},
			{"create", "", "serviceaccounts", "token", auditinternal.LevelMetadata},
			{"get", "", "pods", "", auditinternal.LevelNone},
			{"delete", "", "pods", "", auditinternal.LevelMetadata},
		} {
			cfg := ev.EvaluatePolicyRule(authorizer.AttributesRecord{
				User: u, Verb: tc.verb, APIGroup: tc.group, Resource: tc.resource, Subresource: tc.sub,
				Namespace: "default", ResourceRequest: true,
			})
			if cfg.Level != tc.want {
				t.Errorf("%s %s/%s/%s: level %s, want %s", tc.verb, tc.group, tc.resource, tc.sub, cfg.Level, tc.want)
			}
			if tc.want == auditinternal.LevelRequest {
				omitted := false
				for _, s := range cfg.OmitStages {
					if s == auditinternal.StageResponseComplete {
						omitted = true
					}
				}
				if omitted {
					t.Errorf("%s %s: ResponseComplete omitted", tc.verb, tc.resource)
				}
			}
		}
	}
}
