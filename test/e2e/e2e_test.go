package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// app is the two binaries of the Splunk app, built from the root module
// as build.sh builds them.
type app struct{ kubeprivpod, webhook string }

func buildApp(t *testing.T, dir string) app {
	t.Helper()
	a := app{filepath.Join(dir, "kubeprivpod"), filepath.Join(dir, "kube_audit_webhook")}
	for _, b := range []struct{ out, pkg string }{{a.kubeprivpod, "./cmd/kubeprivpod"}, {a.webhook, "./cmd/kube_audit_webhook"}} {
		cmd := exec.Command("go", "build", "-trimpath", "-o", b.out, b.pkg)
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return a
}

// fixture is everything the test starts, in one place for the phases.
type fixture struct {
	app     app
	dir     string
	certDir string // $SPLUNK_HOME/etc/auth/kube_audit_webhook
	input   *webhookInput
	c       *cluster
	flags   []string
}

// setup makes the certificates with the docs' openssl commands, writes
// the docs' kubeconfig and policy where the docs put them (under a
// stand-in for /etc/kubernetes/audit), reads the docs' inputs.conf and
// kube-apiserver flags, and starts etcd.
func setup(t *testing.T, kubeDir string) *fixture {
	t.Helper()
	for _, tool := range []string{"etcd", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH (apt-get install etcd-server openssl)", tool)
		}
	}
	dir := t.TempDir()
	if keep := os.Getenv("KUBEPRIVPOD_E2E_KEEP"); keep != "" {
		dir = keep
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		t.Logf("keeping the run's files in %s", dir)
	}
	f := &fixture{dir: dir, app: buildApp(t, dir)}
	splunkHome := filepath.Join(dir, "splunk")
	f.certDir = filepath.Join(splunkHome, "etc", "auth", "kube_audit_webhook")
	auditDir := filepath.Join(dir, "etc-kubernetes-audit")
	for _, d := range []string{f.certDir, auditDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	// 1. Certificates, with the name the API server uses for Splunk: on
	// loopback, localhost (the docs: "Replace splunk.example.com with the
	// name the API server will use to reach Splunk").
	sh(t, f.certDir, replaceAll(t, "openssl commands", docBlock(t, markerOpenSSL), "splunk.example.com", "localhost"))
	// The docs' copy step: the API server's files to the control plane.
	for _, name := range []string{"ca.crt", "apiserver-audit.crt", "apiserver-audit.key", "audit-token"} {
		b, err := os.ReadFile(filepath.Join(f.certDir, name))
		if err != nil {
			t.Fatalf("the documented openssl commands did not make %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(auditDir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// 2. The input's stanza, as splunkd would pass it.
	stanza, kv := inputsConf(t)
	port := freePort(t)
	f.input = &webhookInput{bin: f.app.webhook, splunkHome: splunkHome, stanza: stanza, listen: fmt.Sprintf("127.0.0.1:%d", port)}
	path := "/audit"
	for _, p := range kv {
		switch p[0] {
		case "listen":
			p[1] = f.input.listen // loopback, a free port
		case "path":
			path = p[1]
		}
		f.input.params = append(f.input.params, p)
	}
	checkScheme(t, f.app.webhook, kv)
	f.input.validate(t)

	// 3. The webhook kubeconfig.
	kc := docBlock(t, markerKubeconfig)
	kc = replaceAll(t, "webhook kubeconfig", kc, "https://splunk.example.com:9443/audit", fmt.Sprintf("https://localhost:%d%s", port, path))
	kc = replaceAll(t, "webhook kubeconfig", kc, "/etc/kubernetes/audit/", auditDir+"/")
	writeFile(t, filepath.Join(auditDir, "webhook.kubeconfig"), kc)
	// 5. The audit policy.
	writeFile(t, filepath.Join(auditDir, "policy.yaml"), docBlock(t, markerPolicy))
	// 4. The flags.
	f.flags = docFlags(t)

	f.c = &cluster{kubeDir: kubeDir, dir: dir, auditDir: auditDir}
	f.c.startEtcd(t)
	f.c.writeFiles(t)
	return f
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkScheme runs the input with --scheme, as splunkd does at start, and
// checks every setting of the documented stanza is an argument of it
// (index and disabled are splunkd's own).
func checkScheme(t *testing.T, bin string, kv [][2]string) {
	t.Helper()
	out, err := exec.Command(bin, "--scheme").Output()
	if err != nil {
		t.Fatalf("%s --scheme: %v", bin, err)
	}
	var s struct {
		Mode string `xml:"streaming_mode"`
		Args []struct {
			Name string `xml:"name,attr"`
		} `xml:"endpoint>args>arg"`
	}
	if err := xml.Unmarshal(out, &s); err != nil {
		t.Fatalf("--scheme output is not XML: %v\n%s", err, out)
	}
	if s.Mode != "xml" {
		t.Errorf("streaming_mode %q, want xml", s.Mode)
	}
	args := map[string]bool{"index": true, "disabled": true, "sourcetype": true, "host": true, "interval": true}
	for _, a := range s.Args {
		args[a.Name] = true
	}
	for _, p := range kv {
		if !args[p[0]] {
			t.Errorf("the documented inputs.conf sets %q, which the scheme does not declare", p[0])
		}
	}
}

// logEvent is one line of the API server's log backend.
type logEvent struct {
	line string
	key  string // auditID/stage
	ev   map[string]any
}

func readLog(t *testing.T, path string) []logEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []logEvent
	for i, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, logEvent{l, fmt.Sprint(ev["auditID"], "/", ev["stage"]), ev})
	}
	return out
}

func streamKey(t *testing.T, e streamEvent) string {
	var ev struct{ AuditID, Stage string }
	if err := json.Unmarshal([]byte(e.Data), &ev); err != nil {
		t.Fatalf("stream event is not JSON: %v: %.200q", err, e.Data)
	}
	return ev.AuditID + "/" + ev.Stage
}

// checkDelivery compares what the log backend wrote with what the input
// wrote: every log line in the stream, byte for byte; with exact, each
// exactly once and nothing else.
//
// The events the API server itself reports as not delivered to the
// webhook because its audit backend had shut down (dropped, by audit ID)
// are excused: the input never saw them.
func checkDelivery(t *testing.T, log []logEvent, streams [][]streamEvent, want streamEvent, exact bool, dropped map[string]bool) (excused int) {
	t.Helper()
	byKey := map[string]logEvent{}
	for _, l := range log {
		if _, dup := byKey[l.key]; dup {
			t.Errorf("the log backend wrote %s twice", l.key)
		}
		byKey[l.key] = l
	}
	seen := map[string]int{}
	for i, s := range streams {
		inProc := map[string]bool{}
		for _, e := range s {
			k := streamKey(t, e)
			if inProc[k] {
				t.Errorf("input process %d wrote %s twice (its duplicate filter must drop re-sent copies)", i+1, k)
			}
			inProc[k] = true
			seen[k]++
			l, ok := byKey[k]
			if !ok {
				t.Errorf("the stream has %s, which the log backend did not write: %.300s", k, e.Data)
				continue
			}
			if e.Data != l.line {
				t.Errorf("%s differs from the log backend's line\nstream: %s\n   log: %s", k, e.Data, l.line)
			}
			checkMeta(t, e, want, l)
		}
	}
	missing := 0
	for _, l := range log {
		switch n := seen[l.key]; {
		case n == 0 && dropped[fmt.Sprint(l.ev["auditID"])]:
			excused++
		case n == 0:
			if missing++; missing <= 5 {
				t.Errorf("%s (%v %v) is in the log backend but not in the stream", l.key, l.ev["verb"], l.ev["requestURI"])
			}
		case n > 1 && exact:
			t.Errorf("%s arrived %d times", l.key, n)
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d events of the log backend are missing from the stream", missing, len(log))
	}
	if excused > 0 {
		t.Logf("%d events the API server reports it did not send (audit backend shut down) are in the log file only", excused)
	}
	return excused
}

// checkMeta checks the stream event's Splunk fields: those of the docs'
// stanza (want) and _time = requestReceivedTimestamp.
func checkMeta(t *testing.T, e, want streamEvent, l logEvent) {
	t.Helper()
	if e.Host != want.Host || e.Index != want.Index || e.Sourcetype != want.Sourcetype || e.Source != want.Source || e.Stanza != want.Stanza {
		t.Errorf("%s: stanza %q host %q index %q sourcetype %q source %q, want the docs' stanza's %+v", l.key, e.Stanza, e.Host, e.Index, e.Sourcetype, e.Source, want)
	}
	ts, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(l.ev["requestReceivedTimestamp"]))
	got, err := strconv.ParseFloat(e.Time, 64)
	if err != nil || math.Abs(got-float64(ts.UnixMicro())/1e6) > 1e-6 {
		t.Errorf("%s: <time>%s</time>, want requestReceivedTimestamp %v", l.key, e.Time, l.ev["requestReceivedTimestamp"])
	}
}

// dataFile writes the stream's events as JSON lines, the text Splunk
// would index.
func dataFile(t *testing.T, path string, streams ...[]streamEvent) {
	t.Helper()
	var b strings.Builder
	for _, s := range streams {
		for _, e := range s {
			b.WriteString(e.Data)
			b.WriteByte('\n')
		}
	}
	writeFile(t, path, b.String())
}

// TestControlPlane is the e2e test: see the package doc and docs/e2e.md.
func TestControlPlane(t *testing.T) {
	kubeDir := os.Getenv("KUBEPRIVPOD_E2E_KUBE_DIR")
	if kubeDir == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KUBEPRIVPOD_E2E_KUBE_DIR is not set: run this test with ./build.sh e2e")
		}
		t.Skip("KUBEPRIVPOD_E2E_KUBE_DIR is not set: run ./build.sh e2e")
	}
	start := time.Now()
	f := setup(t, kubeDir)
	c := f.c

	// Phase 1: the scenario, delivered exactly once.
	c.auditLog = filepath.Join(f.dir, "audit.log")
	in := f.input.start(t, f.dir)
	c.startAPIServer(t, f.flags)
	c.startControllerManager(t)
	t.Logf("control plane up in %v", time.Since(start).Round(time.Millisecond))
	steps := scenario()
	runScenario(t, c, steps)
	t.Logf("scenario done at %v", time.Since(start).Round(time.Millisecond))
	c.kcm.stop(t)
	// SIGTERM makes the API server flush its webhook buffer before it exits.
	if !c.stopAPIServer(t) {
		t.Errorf("the API server did not stop within 30 s of SIGTERM; log:\n%s", c.api.tail())
	}
	in.stop(t)
	if in.err != nil {
		t.Errorf("input exit: %v\n%s", in.err, in.tail())
	}
	log := readLog(t, c.auditLog)
	stream, complete := readStream(t, streamFile(in))
	if !complete {
		t.Error("the stream of a process stopped with SIGTERM is not closed with </stream>")
	}
	t.Run("exactly once and byte-identical", func(t *testing.T) {
		checkInputLog(t, in)
		checkDelivery(t, log, [][]streamEvent{stream}, f.input.want(), true, c.droppedAtShutdown(t))
		if len(log) < 100 {
			t.Errorf("only %d events in the log backend", len(log))
		}
	})
	events := filepath.Join(f.dir, "stream-events.log")
	dataFile(t, events, stream)
	detections(t, f, steps, log, events)

	if rec := os.Getenv("KUBEPRIVPOD_E2E_RECORD"); rec != "" {
		record(t, rec, c.auditLog, streamFile(in))
	}

	// Phase 2: faults.
	t.Run("faults", func(t *testing.T) { faults(t, f) })
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}

// runScenario runs the steps, checking each one's outcome, then waits for
// the controllers to create their pods.
func runScenario(t *testing.T, c *cluster, steps []step) {
	t.Helper()
	for i, s := range steps {
		user := s.user
		if user == "" {
			user = "admin"
		}
		out, ok := c.kubectl(t, user, s.stdin, s.args...)
		switch {
		case s.fail == "" && !ok:
			t.Fatalf("step %d (%s): kubectl %s failed:\n%s", i+1, s.what, strings.Join(s.args, " "), out)
		case s.fail != "" && ok:
			t.Fatalf("step %d (%s): kubectl %s succeeded, want refusal %q:\n%s", i+1, s.what, strings.Join(s.args, " "), s.fail, out)
		case s.fail != "" && !strings.Contains(out, s.fail):
			t.Fatalf("step %d (%s): kubectl %s: want %q in:\n%s", i+1, s.what, strings.Join(s.args, " "), s.fail, out)
		}
		if s.what == "namespace" {
			// Pods need the namespace's default ServiceAccount, which the
			// controller manager creates.
			waitFor(t, "ServiceAccount default in "+ns, 60*time.Second, func() bool {
				_, ok := c.kubectl(t, "admin", "", "get", "serviceaccount", "default", "-n", ns)
				return ok
			}, c.api, c.kcm)
		}
	}
	want := directPods + controllerPods
	var pods string
	waitFor(t, fmt.Sprintf("%d pods in %s", want, ns), 90*time.Second, func() bool {
		pods = c.mustKubectl(t, "", "get", "pods", "-n", ns, "-o", "name")
		return strings.Count(pods, "\n") >= want
	}, c.api, c.kcm)
	// Let the controllers finish their status writes of the last pods.
	time.Sleep(3 * time.Second)
	if n := strings.Count(c.mustKubectl(t, "", "get", "pods", "-n", ns, "-o", "name"), "\n"); n != want {
		t.Errorf("%d pods in %s, want %d:\n%s", n, ns, want, pods)
	}
}

// detections runs kubeprivpod over what the input wrote and checks
// what the doc (docs/e2e.md) promises: escu = the SPL's rows, extended = the expected
// findings, the same through map/reduce.
func detections(t *testing.T, f *fixture, steps []step, log []logEvent, events string) {
	bin := f.app.kubeprivpod
	var lines []string
	for _, l := range log {
		lines = append(lines, l.line)
	}
	results := map[string][]map[string]any{}
	for _, mode := range []string{"escu", "extended"} {
		rows, warns := scanJSON(t, bin, mode, events)
		fromLog, logWarns := scanJSON(t, bin, mode, f.c.auditLog)
		if !reflect.DeepEqual(rows, fromLog) || !reflect.DeepEqual(warns, logWarns) {
			t.Errorf("%s: the stream's events and the log backend's file give different results", mode)
		}
		results[mode] = rows
		t.Run(mode+" through map and reduce", func(t *testing.T) {
			one := single(t, bin, mode, lines, 200)
			if n := replyRows(t, one.body); n != len(rows) {
				t.Errorf("the search command gives %d rows, scan %d", n, len(rows))
			}
			for _, split := range []struct{ procs, size int }{{3, 50}, {4, 7}} {
				got := distributed(t, bin, mode, lines, split.procs, split.size)
				if got.meta != one.meta || !bytes.Equal(got.body, one.body) {
					t.Errorf("%d map processes (chunks of %d) + reduce differ from one process\n got %s\n%s\nwant %s\n%s",
						split.procs, split.size, got.meta, got.body, one.meta, one.body)
				}
			}
		})
		if mode == "extended" {
			t.Run("extended warnings", func(t *testing.T) { golden(t, "testdata/expected/extended-warnings.txt", warns) })
		} else if len(warns) > 0 {
			t.Errorf("escu warnings: %q", warns)
		}
	}
	t.Run("escu = the SPL", func(t *testing.T) {
		checkSPL(t, log, results["escu"])
		golden(t, "testdata/expected/escu.txt", escuLines(results["escu"]))
	})
	t.Run("extended findings", func(t *testing.T) {
		golden(t, "testdata/expected/extended.txt", extendedLines(results["extended"]))
	})
	t.Run("steps", func(t *testing.T) { checkSteps(t, steps, results) })
}

const annotationColumn = "requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration"

// checkSPL evaluates the ESCU search on the log backend's events the
// plain way (search, then stats count by the request's fields and each
// source IP) and compares with the escu rows, including the real
// last-applied annotation text.
func checkSPL(t *testing.T, log []logEvent, rows []map[string]any) {
	t.Helper()
	str := func(v any) string {
		if v == nil {
			return "0" // fillnull
		}
		return fmt.Sprint(v)
	}
	want := map[string]int{}
	for _, l := range log {
		ev := l.ev
		ref, _ := ev["objectRef"].(map[string]any)
		obj, _ := ev["requestObject"].(map[string]any)
		md, _ := obj["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		last, _ := ann["kubectl.kubernetes.io/last-applied-configuration"].(string)
		verb := fmt.Sprint(ev["verb"])
		if ref == nil || !strings.EqualFold(fmt.Sprint(ref["resource"]), "pods") || (verb != "create" && verb != "update") ||
			!strings.Contains(strings.ToLower(last), `"privileged":true`) {
			continue
		}
		status, _ := ev["responseStatus"].(map[string]any)
		code := "0"
		if status != nil && status["code"] != nil {
			code = strconv.Itoa(int(status["code"].(float64)))
		}
		user, _ := ev["user"].(map[string]any)
		ips, _ := ev["sourceIPs"].([]any)
		for _, ip := range ips {
			k := strings.Join([]string{str(ref["namespace"]), str(ref["name"]), verb, code, str(user["username"]), str(ip), last}, "|")
			want[k]++
		}
	}
	got := map[string]int{}
	for _, r := range rows {
		n, _ := strconv.Atoi(cell(r, "count"))
		for _, ip := range strings.Split(cell(r, "src_ip"), ",") {
			k := strings.Join([]string{cell(r, "objectRef.namespace"), cell(r, "objectRef.name"), cell(r, "verb"),
				cell(r, "responseStatus.code"), cell(r, "user"), ip, cell(r, annotationColumn)}, "|")
			got[k] += n
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("escu rows differ from the SPL evaluated on the log backend's events\n got %v\nwant %v", keys(got), keys(want))
	}
	if len(want) == 0 {
		t.Error("no event matches the ESCU search: the comparison is vacuous")
	}
}

func keys(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s ×%d", k[:min(len(k), 120)], v))
	}
	sort.Strings(out)
	return out
}

// checkSteps checks that each step put its objects in the rows of each
// mode, and that each row comes from some step.
func checkSteps(t *testing.T, steps []step, results map[string][]map[string]any) {
	t.Helper()
	object := map[string]func(map[string]any) string{
		"escu":     func(r map[string]any) string { return cell(r, "objectRef.namespace") + "/" + cell(r, "objectRef.name") },
		"extended": func(r map[string]any) string { return cell(r, "namespace") + "/" + cell(r, "name") },
	}
	for mode, rows := range results {
		claimed := make([]bool, len(rows))
		for _, s := range steps {
			want := s.escu
			if mode == "extended" {
				want = s.extended
			}
			for _, obj := range want {
				found := false
				for i, r := range rows {
					got := object[mode](r)
					owner, byOwner := strings.CutPrefix(obj, "owner:")
					prefix, wild := strings.CutSuffix(obj, "*")
					// A controller's pods are one row with the owner in its
					// own columns (docs/precision.md).
					ownedBy := cell(r, "owner_kind") + " " + cell(r, "owner_name") + ")"
					if got == obj || wild && strings.HasPrefix(got, prefix) ||
						byOwner && (strings.Contains(cell(r, "message"), "(controlled by "+owner) || strings.HasPrefix(ownedBy, owner)) {
						found, claimed[i] = true, true
					}
				}
				if !found {
					t.Errorf("%s: step %q: no row for %s", mode, s.what, obj)
				}
			}
		}
		for i, r := range rows {
			if !claimed[i] {
				t.Errorf("%s: row for %s comes from no step that expects one: %v", mode, object[mode](r), r)
			}
		}
	}
}

// record copies what the real API server wrote into dir (see
// testdata/real-apiserver/README.md).
func record(t *testing.T, dir, auditLog, stream string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Gzip (no name, no time in the header) keeps the repository small;
	// scan reads gzip by content.
	for _, c := range []struct{ from, to string }{{auditLog, "audit.log.gz"}, {stream, "webhook-stream.xml.gz"}} {
		b, err := os.ReadFile(c.from)
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		w.Write(b)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.to), z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("recorded the log backend's file and the input's stream in %s", dir)
}

// faults checks delivery through faults: SIGKILL of the input while kubectl writes,
// the input restarted with a renewed certificate, and the API server
// restarted mid-run; every event of the log backend must arrive at least
// once, and no input process may write one twice.
func faults(t *testing.T, f *fixture) {
	c := f.c
	c.auditLog = filepath.Join(f.dir, "audit-faults.log")
	var inputs []*proc
	inputs = append(inputs, f.input.start(t, f.dir))
	c.startAPIServer(t, f.flags)
	c.startControllerManager(t)

	// A writer creating pods until told to stop; failures are expected
	// only while the API server restarts.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var created, failed int
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, ok := c.kubectl(t, "admin", podYAML(ns, fmt.Sprintf("fault-%03d", i), plain), "create", "-f", "-"); ok {
				created++
			} else {
				failed++
				time.Sleep(200 * time.Millisecond) // the API server is restarting
			}
		}
	}()
	pause := func() { time.Sleep(3 * time.Second) }

	pause()
	// SIGKILL mid-stream, then splunkd's restart.
	killed := time.Now()
	inputs[0].cmd.Process.Signal(syscall.SIGKILL)
	<-inputs[0].done
	// Nothing listens for 3 s: a batch sent then must fail and be re-sent.
	time.Sleep(3 * time.Second)
	inputs = append(inputs, f.input.start(t, f.dir))
	pause()

	// The listener's certificate renewed with the docs' commands, the
	// input restarted to load it.
	old, _ := os.ReadFile(filepath.Join(f.certDir, "server.crt"))
	sh(t, f.certDir, listenerCertCommands(t))
	renewed, _ := os.ReadFile(filepath.Join(f.certDir, "server.crt"))
	if bytes.Equal(old, renewed) {
		t.Fatal("the documented listener commands did not renew server.crt")
	}
	inputs[1].stop(t)
	inputs = append(inputs, f.input.start(t, f.dir))
	pause()

	// The API server restarted mid-run.
	began := time.Now()
	graceful := c.stopAPIServer(t)
	c.startAPIServer(t, f.flags)
	t.Logf("API server restarted in %v (stopped by SIGTERM: %v)", time.Since(began).Round(time.Millisecond), graceful)
	pause()
	close(stop)
	wg.Wait()
	t.Logf("writer: %d pods created, %d kubectl failures (API server restart)", created, failed)
	if created < 5 {
		t.Errorf("only %d pods created during the faults", created)
	}

	// The API server re-sends what the killed input did not acknowledge
	// after --audit-webhook-initial-backoff (10 s in the docs).
	log := readLog(t, c.auditLog)
	dropped := c.droppedAtShutdown(t)
	waitFor(t, "every event of the log backend in the streams", 90*time.Second, func() bool {
		seen := map[string]bool{}
		for _, in := range inputs {
			s, _ := readStream(t, streamFile(in))
			for _, e := range s {
				seen[streamKey(t, e)] = true
			}
		}
		for _, l := range log {
			if !seen[l.key] && !dropped[fmt.Sprint(l.ev["auditID"])] {
				return false
			}
		}
		return true
	})
	c.kcm.stop(t)
	if !c.stopAPIServer(t) {
		t.Errorf("the API server did not stop within 30 s of SIGTERM once the controller manager had stopped")
	}
	inputs[2].stop(t)
	log = readLog(t, c.auditLog)
	var streams [][]streamEvent
	total := 0
	for i, in := range inputs {
		checkInputLog(t, in)
		s, complete := readStream(t, streamFile(in))
		if complete != (i != 0) {
			t.Errorf("input %d: stream closed %v, want %v", i+1, complete, i != 0)
		}
		if len(s) == 0 {
			t.Errorf("input %d wrote no events", i+1)
		}
		total += len(s)
		streams = append(streams, s)
	}
	excused := checkDelivery(t, log, streams, f.input.want(), false, c.droppedAtShutdown(t))
	t.Logf("faults: %d events in the log backend, %d in the streams of %d input processes (%d duplicates across restarts)",
		len(log), total, len(inputs), total-(len(log)-excused))
	// Events of the first second after the kill were batched (max wait
	// 1 s) while nothing listened: they arrived only because the API
	// server re-sent them after its backoff.
	resent := 0
	for _, l := range log {
		ts, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(l.ev["stageTimestamp"]))
		if ts.After(killed) && ts.Before(killed.Add(time.Second)) {
			resent++
		}
	}
	if resent == 0 {
		t.Error("no event was logged in the second after the input was killed: the re-send path was not exercised")
	}
	t.Logf("%d events logged in the second after the kill were delivered by the API server's retry", resent)
}

// listenerCertCommands is the part of the docs' openssl block that makes
// the listener's certificate, for a renewal with the same CA.
func listenerCertCommands(t *testing.T) string {
	t.Helper()
	b := docBlock(t, markerOpenSSL)
	i := strings.Index(b, "# The listener's certificate")
	j := strings.Index(b, "# The API server's client certificate")
	if i < 0 || j < i {
		t.Fatalf("the documented openssl block no longer has the listener's certificate section:\n%s", b)
	}
	return strings.ReplaceAll(b[i:j], "splunk.example.com", "localhost")
}
