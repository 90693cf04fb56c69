package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
	"github.com/kubeprivpod/kubeprivpod/internal/webhook"
	"github.com/kubeprivpod/kubeprivpod/internal/webhook/testpki"
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
		n, _ := io.Copy(io.Discard, pr)
		streamBytes = n
		close(drained)
	}()
	stream := modinput.NewStream(pw)
	srv := &webhook.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{p.Server}},
		ClientCAs: p.CAPool,
		Sink: stanzaSink{stream: stream, route: modinput.NewRoute("kube_audit_webhook://bench", "kube_audit_webhook://bench",
			DefaultSourcetype, "main", "bench")},
		// Each batch must be new to the dedupe window, so bodies are
		// reused only after it forgot them: its memory is set to less
		// than one rotation of bodies (its cost per event is kept).
		DedupeMaxKeys: perBatch * 16,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	url := "https://" + ln.Addr().String() + "/audit"

	// Distinct batches (distinct auditIDs) so dedupe drops nothing; made
	// before the timer starts.
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = benchBatch(i, perBatch)
	}
	var next, failures int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: p.ClientTLS(true), MaxIdleConnsPerHost: senders}}
	// Warm up the connections (handshakes are not what is measured).
	for i := 0; i < senders; i++ {
		if code, err := postBatch(client, url, bodies[i]); code != 200 {
			b.Fatalf("warm-up: %d %v", code, err)
		}
	}
	b.SetBytes(int64(len(bodies[0])))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
				resp, err := client.Post(url, "application/json", bytes.NewReader(bodies[(i+senders)%int64(len(bodies))]))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				if err != nil || resp.StatusCode != 200 {
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	stream.Close()
	pw.Close()
	<-drained
	if failures > 0 {
		b.Fatalf("%d batches failed", failures)
	}
	if got := srv.Stats().Events.Load(); got != int64(b.N+senders)*perBatch {
		b.Fatalf("%d events written, want %d (duplicates dropped: %d)", got, int64(b.N+senders)*perBatch, srv.Stats().Duplicates.Load())
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[(len(lat)*99)/100]
	if len(lat)*99%100 == 0 && len(lat) > 0 {
		p99 = lat[len(lat)*99/100-1]
	}
	b.ReportMetric(float64(b.N*perBatch)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(streamBytes)/float64(b.N+senders)/perBatch, "xml-B/event")
}
