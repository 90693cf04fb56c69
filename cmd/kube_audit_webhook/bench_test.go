package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
	"github.com/kubeprivpod/kubeprivpod/internal/webhook"
	"github.com/kubeprivpod/kubeprivpod/testsupport/testpki"
)

// benchItem is a ~2 KB audit event as the webhook backend sends it (no
// kind/apiVersion): a pod create at Request level.
func benchItem(batch, i int) string {
	item := fmt.Sprintf(`{"level":"Request","auditID":"b%07d-%04d-4c43-9b7e-0c2a4c9d0a11","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/team-a/pods?fieldManager=kubectl-client-side-apply\u0026fieldValidation=Strict","verb":"create","user":{"username":"alice@example.com","uid":"5f0c7e2a-1b2c-4d3e-8f90-a1b2c3d4e5f6","groups":["system:authenticated","devs"],"extra":{"scopes.authorization.k8s.io":["openid"]}},"sourceIPs":["10.1.2.3"],"userAgent":"kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef0","objectRef":{"resource":"pods","namespace":"team-a","name":"web-%d","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-%d","namespace":"team-a","labels":{"app":"web","tier":"frontend"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"team-a\"},\"spec\":{\"containers\":[{\"image\":\"nginx:1.27\",\"name\":\"web\",\"securityContext\":{\"privileged\":true}}]}}\n"}},"spec":{"volumes":[{"name":"kube-api-access","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}],"defaultMode":420}}],"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"}},"volumeMounts":[{"name":"kube-api-access","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent","securityContext":{"privileged":true}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst","serviceAccountName":"default","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"}},"requestReceivedTimestamp":"2026-11-25T20:00:00.%06dZ","stageTimestamp":"2026-11-25T20:00:00.%06dZ","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"devs\" of ClusterRole \"edit\" to Group \"devs\"","pod-security.kubernetes.io/enforce-policy":"privileged:latest"}}`,
		batch, i, i, i, i, i+7)
	return item
}

func benchBatch(batch, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(benchItem(batch, i))
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// batchMaker makes distinct batches cheaply: a copy of one template with
// the batch number written into every auditID, so deduplication never
// drops a benchmark batch.
type batchMaker struct {
	template []byte
	offsets  []int // where each auditID's 7-digit batch number starts
}

func newBatchMaker(perBatch int) *batchMaker {
	m := &batchMaker{template: benchBatch(0, perBatch)}
	marker := []byte(`"auditID":"b`)
	for i := 0; ; {
		j := bytes.Index(m.template[i:], marker)
		if j < 0 {
			break
		}
		i += j + len(marker)
		m.offsets = append(m.offsets, i)
	}
	if len(m.offsets) != perBatch {
		panic("benchmark template: auditIDs not found")
	}
	return m
}

// make returns batch number n, reusing buf. A buf that already holds a
// batch of this maker only gets its auditIDs rewritten, so the senders do
// not copy 920 KB per batch.
func (m *batchMaker) make(n int64, buf []byte) []byte {
	if len(buf) != len(m.template) {
		buf = append(buf[:0], m.template...)
	}
	var digits [7]byte
	for i, v := 6, n; i >= 0; i-- {
		digits[i] = byte('0' + v%10)
		v /= 10
	}
	for _, off := range m.offsets {
		copy(buf[off:], digits[:])
	}
	return buf
}

// BenchmarkEndToEnd measures the whole path of one stanza: TLS 1.3 with a
// client certificate over loopback keep-alive connections, body read,
// EventList split, dedupe, XML escaping and the write into a pipe that a
// reader drains, as splunkd drains stdout. Four senders post batches of
// 400 events concurrently, as the API server's batching backend may.
// One benchmark op is one batch.
func BenchmarkEndToEnd(b *testing.B) {
	const perBatch, senders = 400, 4
	p := testpki.New(b)
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	var streamBytes int64
	drained := make(chan struct{})
	go func() {
		streamBytes = drain(pr)
		close(drained)
	}()
	stream := modinput.NewStream(pw)
	srv := &webhook.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{p.Server}},
		ClientCAs: p.CAPool,
		Sink: stanzaSink{stream: stream, route: modinput.NewRoute("kube_audit_webhook://bench", "kube_audit_webhook://bench",
			DefaultSourcetype, "main", "bench")},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	url := "https://" + ln.Addr().String() + "/audit"

	bodies := newBatchMaker(perBatch)
	lat, elapsed := drive(b, posters(b, p, url, senders), bodies)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	stream.Close()
	pw.Close()
	<-drained
	if got := srv.Stats().Events.Load(); got != int64(b.N+senders)*perBatch {
		b.Fatalf("%d events written, want %d (duplicates dropped: %d)", got, int64(b.N+senders)*perBatch, srv.Stats().Duplicates.Load())
	}
	report(b, lat, elapsed, perBatch)
	b.ReportMetric(float64(streamBytes)/float64(b.N+senders)/perBatch, "xml-B/event")
}

// drain reads r to its end, as splunkd reads an input's stdout, and
// returns the byte count. It reads 256 KiB at a time: io.Copy into
// io.Discard would read 8 KiB at a time, some 130 system calls per batch
// charged to the benchmark process, which shares the two cores with the
// input.
func drain(r io.Reader) int64 {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if err != nil {
			return n
		}
	}
}

// drive warms up one connection per sender, then posts b.N batches from
// senders goroutines over keep-alive connections and returns each
// batch's latency (request sent to 200 read) and the elapsed time.
// Sender s posts through posts[s].
func drive(b *testing.B, posts []poster, bodies *batchMaker) ([]time.Duration, time.Duration) {
	senders := len(posts)
	var wg sync.WaitGroup
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, err := posts[i](bodies.make(int64(i), nil)); code != 200 {
				b.Errorf("warm-up: %d %v", code, err)
			}
		}()
	}
	wg.Wait()
	var next, failures int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	b.SetBytes(int64(len(bodies.template)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for s := 0; s < senders; s++ {
		wg.Add(1)
		post := posts[s]
		go func() {
			defer wg.Done()
			var scratch []byte
			for {
				mu.Lock()
				if next >= int64(b.N) {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				t0 := time.Now()
				scratch = bodies.make(i+int64(senders), scratch)
				code, err := post(scratch)
				d := time.Since(t0)
				mu.Lock()
				if err != nil || code != 200 {
					failures++
				}
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failures > 0 {
		b.Fatalf("%d batches failed", failures)
	}
	return lat, elapsed
}

// report adds events/s and the median and 99th percentile batch latency.
func report(b *testing.B, lat []time.Duration, elapsed time.Duration, perBatch int) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rank := func(p int) time.Duration { return lat[(len(lat)*p+99)/100-1] } // nearest rank
	b.ReportMetric(float64(b.N*perBatch)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(rank(50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(rank(99).Microseconds())/1000, "p99-ms")
}

// BenchmarkProcess measures the shipped binary as splunkd runs it: a
// separate process configured through stdin, its stdout a pipe read by
// another process (stdoutReader), as splunkd reads it. Four senders post batches of 400
// ~2 KB events over mutual TLS. Besides events/s and p99 it reports the
// input process's own CPU time per event (user+sys), the steadier figure
// on a shared machine, and its peak RSS. KAW_CONNS sets the number of
// senders, each on its own keep-alive connection (4 by default).
func BenchmarkProcess(b *testing.B) {
	const perBatch = 400
	senders := 4
	if c := os.Getenv("KAW_CONNS"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			b.Fatalf("KAW_CONNS=%q: want a positive number", c)
		}
		senders = n
	}
	p := testpki.New(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := inputXML(stanzaXML("kube_audit_webhook://bench", param{"listen", addr}, param{"tls_cert_file", p.ServerCertFile},
		param{"tls_key_file", p.ServerKeyFile}, param{"client_ca_file", p.CAFile}, param{"cluster", "bench"}, param{"index", "main"}))
	bin := binary
	if b := os.Getenv("KAW_BINARY"); b != "" {
		bin = b // another build, for before/after in one run (bench/webhook.sh OLD)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = strings.NewReader(cfg)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	reader := startReader(b, cmd)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	reader.started()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("input not listening; stderr:\n%s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	bodies := newBatchMaker(perBatch)
	posts := posters(b, p, "https://"+addr+"/audit", senders)
	copyGBs := copyBandwidth()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	lat, elapsed := drive(b, posts, bodies)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	peakMiB, peakErr := peakRSS(cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("input exit: %v\n%s", err, stderr.String())
	}
	streamBytes, readerCPU := reader.wait()
	report(b, lat, elapsed, perBatch)
	events := float64((b.N + senders) * perBatch)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	b.ReportMetric(float64(cpu.Nanoseconds())/events, "input-cpu-ns/event")
	b.ReportMetric(events/cpu.Seconds(), "events/input-cpu-s")
	if peakErr != nil {
		b.Fatal(peakErr)
	}
	b.ReportMetric(peakMiB, "input-maxrss-MiB")
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		// Voluntary context switches: waits on a full stdout pipe
		// (bench/webhook-pipe.sh) and the Go runtime's sysmon thread,
		// which polls every 20 µs after each idle spell
		// (bench/webhook-sysmon.sh).
		b.ReportMetric(float64(ru.Nvcsw)/float64(b.N+senders), "input-vcsw/batch")
	}
	b.ReportMetric(copyGBs, "copy-GB/s")
	b.ReportMetric(float64(streamBytes)/events, "xml-B/event")
	// The senders' and the reader's CPU time: it comes out of the same
	// two cores, so it is reported to show what the input has left.
	sent := float64(b.N * perBatch)
	b.ReportMetric(float64(rusageCPU(&ru1)-rusageCPU(&ru0))/sent, "sender-cpu-ns/event")
	if readerCPU >= 0 {
		b.ReportMetric(float64(readerCPU)/events, "reader-cpu-ns/event")
	}
}

// drainEnv, set to 1, makes the test binary the reader of the input's
// stdout (TestMain calls drainMain).
const drainEnv = "KAW_BENCH_READER"

// drainMain reads stdin to its end and prints the byte count.
func drainMain() int {
	n := drain(os.Stdin)
	fmt.Println(n)
	return 0
}

// stdoutReader reads the input's stdout as splunkd does. By default it is
// this test binary re-executed (drainMain): a process of its own whose
// thread blocks in read(2), as splunkd's reader does, so that its wake-ups
// do not wait for a goroutine of the benchmark process, which the senders
// keep busy. KAW_READER=goroutine reads in a goroutine of the benchmark
// process instead, as the benchmark did before.
type stdoutReader struct {
	b       *testing.B
	proc    *exec.Cmd     // the reader process, or nil
	out     bytes.Buffer  // its output: the byte count
	pw      *os.File      // the input's stdout, closed here once it has it
	bytes   int64         // read by the goroutine
	drained chan struct{} // closed when the goroutine has read to the end
}

// startReader gives input a stdout pipe and starts its reader; call
// started once input has started, and wait after it has exited.
func startReader(b *testing.B, input *exec.Cmd) *stdoutReader {
	r := &stdoutReader{b: b}
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	input.Stdout = pw
	r.pw = pw
	switch m := os.Getenv("KAW_READER"); m {
	case "goroutine":
		r.drained = make(chan struct{})
		go func() {
			r.bytes = drain(pr)
			pr.Close()
			close(r.drained)
		}()
	case "", "process":
		self, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		r.proc = exec.Command(self)
		r.proc.Env = append(os.Environ(), drainEnv+"=1")
		r.proc.Stdin = pr
		r.proc.Stdout = &r.out
		r.proc.Stderr = os.Stderr
		if err := r.proc.Start(); err != nil {
			b.Fatal(err)
		}
		pr.Close()
	default:
		b.Fatalf("KAW_READER=%q: want process or goroutine", m)
	}
	return r
}

// started closes this process's copy of the input's stdout, so that the
// reader sees its end when the input exits.
func (r *stdoutReader) started() { r.pw.Close() }

// wait waits for the reader to reach the end of the stream and returns
// the bytes it read and its CPU time in ns (-1 for the goroutine, whose
// CPU time is the benchmark process's).
func (r *stdoutReader) wait() (int64, int64) {
	if r.proc == nil {
		<-r.drained
		return r.bytes, -1
	}
	if err := r.proc.Wait(); err != nil {
		r.b.Fatalf("reader: %v", err)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(r.out.String()), 10, 64)
	if err != nil {
		r.b.Fatalf("reader printed %q", r.out.String())
	}
	cpu := r.proc.ProcessState.UserTime() + r.proc.ProcessState.SystemTime()
	return n, cpu.Nanoseconds()
}

// copyBandwidth is how fast this machine copies 64 MiB, in GB/s, just
// before a run: the input moves each body through memory several times,
// so on a machine whose memory is shared with busy neighbours its
// events/s fall with this figure, while an ALU-bound loop's time does not
// move. It tells a quiet machine's rounds from a busy one's.
func copyBandwidth() float64 {
	src, dst := make([]byte, 64<<20), make([]byte, 64<<20)
	for i := range src {
		src[i] = byte(i)
	}
	copy(dst, src) // fault the pages in
	best := 0.0
	for range 3 {
		t := time.Now()
		copy(dst, src)
		copy(src, dst)
		best = max(best, float64(2*len(src))/time.Since(t).Seconds()/1e9)
	}
	return best
}

// peakRSS is the peak resident set of process pid in MiB (VmHWM). Not
// wait4's ru_maxrss: that starts from the parent's own peak, which the
// child inherits when it is forked sharing the parent's memory, as
// os/exec does (copyBandwidth's 128 MiB showed up as the input's).
func peakRSS(pid int) (float64, error) {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(st)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// rusageCPU is user plus system time in nanoseconds.
func rusageCPU(ru *syscall.Rusage) int64 {
	return syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)
}
