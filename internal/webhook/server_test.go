package webhook

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubeprivpod/kubeprivpod/testsupport/testpki"
)

// recorder is a Sink keeping a copy of every delivered event.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	fail    error
	block   chan struct{} // when non-nil, Deliver waits for it to close
	entered chan struct{} // when non-nil, receives once per Deliver call
}

func (r *recorder) Deliver(b *Batch) error {
	if r.entered != nil {
		r.entered <- struct{}{}
	}
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	var evs []string
	for i := 0; i < b.Len(); i++ {
		_, d := b.Event(i)
		evs = append(evs, string(d))
	}
	r.batches = append(r.batches, evs)
	return nil
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, b := range r.batches {
		s = append(s, b...)
	}
	return s
}

type fixture struct {
	pki  *testpki.PKI
	srv  *Server
	sink *recorder
	url  string
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) printf(level, format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(&s.b, level+" "+format+"\n", args...)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a Server on a loopback port; configure may change it first.
func start(t *testing.T, configure func(*Server)) *fixture {
	t.Helper()
	f := &fixture{pki: testpki.New(t), sink: &recorder{}, logs: &syncBuffer{}}
	f.srv = &Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{f.pki.Server}},
		ClientCAs: f.pki.CAPool,
		Sink:      f.sink,
		Logf:      f.logs.printf,
	}
	if configure != nil {
		configure(f.srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.url = "https://" + ln.Addr().String() + "/audit"
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return f
}

func (f *fixture) client(tc *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 10 * time.Second}
}

func post(t *testing.T, c *http.Client, url string, body []byte, hdr map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const list2 = `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` +
	`{"level":"Metadata","auditID":"11111111-0000-0000-0000-000000000001","stage":"ResponseComplete","verb":"create","requestReceivedTimestamp":"2024-05-06T07:08:09.123456Z"},` +
	`{"level":"Request","auditID":"11111111-0000-0000-0000-000000000002","stage":"ResponseComplete","verb":"update","requestObject":{"kind":"Pod","spec":{"containers":[{"securityContext":{"privileged":true}}]}}}]}`

var list2Events = []string{
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"11111111-0000-0000-0000-000000000001","stage":"ResponseComplete","verb":"create","requestReceivedTimestamp":"2024-05-06T07:08:09.123456Z"}`,
	`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"11111111-0000-0000-0000-000000000002","stage":"ResponseComplete","verb":"update","requestObject":{"kind":"Pod","spec":{"containers":[{"securityContext":{"privileged":true}}]}}}`,
}

func TestServerDeliversAndDeduplicates(t *testing.T) {
	f := start(t, nil)
	c := f.client(f.pki.ClientTLS(true))
	if code, body := post(t, c, f.url, []byte(list2), nil); code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if got := f.sink.all(); strings.Join(got, "\n") != strings.Join(list2Events, "\n") {
		t.Fatalf("delivered:\n%s", strings.Join(got, "\n"))
	}
	// The API server re-sends a batch whose reply it missed: 200, nothing new.
	if code, _ := post(t, c, f.url, []byte(list2), nil); code != 200 {
		t.Fatalf("re-sent batch: status %d", code)
	}
	if n := len(f.sink.all()); n != 2 {
		t.Errorf("after re-send %d events delivered, want 2", n)
	}
	if f.srv.Stats().Duplicates.Load() != 2 || f.srv.Stats().Batches.Load() != 2 || f.srv.Stats().Events.Load() != 2 {
		t.Errorf("stats: dup %d batches %d events %d", f.srv.Stats().Duplicates.Load(), f.srv.Stats().Batches.Load(), f.srv.Stats().Events.Load())
	}
	if !strings.Contains(f.logs.String(), "INFO dropped 2 re-sent duplicate event(s)") {
		t.Errorf("duplicates not logged:\n%s", f.logs)
	}
}

func gz(t *testing.T, p []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(p)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestServerGzip(t *testing.T) {
	f := start(t, nil)
	c := f.client(f.pki.ClientTLS(true))
	if code, body := post(t, c, f.url, gz(t, []byte(list2)), map[string]string{"Content-Encoding": "gzip"}); code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	if got := f.sink.all(); len(got) != 2 || got[1] != list2Events[1] {
		t.Errorf("delivered %q", got)
	}
}

func TestServerToken(t *testing.T) {
	f := start(t, func(s *Server) {
		s.ClientCAs = nil
		s.Token = []byte("s3cr3t-token")
	})
	c := f.client(f.pki.ClientTLS(false))
	for _, tc := range []struct {
		auth string
		code int
	}{
		{"", 401},
		{"Bearer wrong", 401},
		{"Basic czNjcjN0LXRva2Vu", 401},
		{"Bearer s3cr3t-token-longer", 401},
		{"Bearer s3cr3t-token", 200},
		{"bearer s3cr3t-token", 200},
	} {
		hdr := map[string]string{}
		if tc.auth != "" {
			hdr["Authorization"] = tc.auth
		}
		if code, body := post(t, c, f.url, []byte(list2), hdr); code != tc.code {
			t.Errorf("Authorization %q: status %d (%s), want %d", tc.auth, code, body, tc.code)
		}
	}
	if n := len(f.sink.all()); n != 2 {
		t.Errorf("%d events delivered, want 2 (only the authorised batch; the second is a duplicate)", n)
	}
}

func TestServerBothCredentialsRequired(t *testing.T) {
	f := start(t, func(s *Server) { s.Token = []byte("tok") })
	if code, _ := post(t, f.client(f.pki.ClientTLS(true)), f.url, []byte(list2), nil); code != 401 {
		t.Errorf("cert without token: %d", code)
	}
	if code, _ := post(t, f.client(f.pki.ClientTLS(false)), f.url, []byte(list2), map[string]string{"Authorization": "Bearer tok"}); code != 401 {
		t.Errorf("token without cert: %d", code)
	}
	if code, _ := post(t, f.client(f.pki.ClientTLS(true)), f.url, []byte(list2), map[string]string{"Authorization": "Bearer tok"}); code != 200 {
		t.Errorf("both: %d", code)
	}
}

func TestServerRefusals(t *testing.T) {
	f := start(t, func(s *Server) { s.MaxBodyBytes = 4096 })
	good := f.client(f.pki.ClientTLS(true))
	other := testpki.New(t) // a client certificate from a CA the server does not trust
	foreign := f.client(&tls.Config{RootCAs: f.pki.CAPool, Certificates: []tls.Certificate{other.Client}})
	// A certificate from the right CA but for servers only.
	serverOnly, _, _ := f.pki.Issue(t, "srvonly", &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	wrongUsage := f.client(&tls.Config{RootCAs: f.pki.CAPool, Certificates: []tls.Certificate{serverOnly}})
	big := []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"` + strings.Repeat("x", 5000) + `"}]}`)
	bomb := gz(t, []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"`+strings.Repeat("y", 100000)+`"}]}`))

	for _, tc := range []struct {
		name   string
		c      *http.Client
		method string
		path   string
		body   []byte
		hdr    map[string]string
		code   int
		msg    string
	}{
		{"no client certificate", f.client(f.pki.ClientTLS(false)), "POST", "/audit", []byte(list2), nil, 401, "401 Unauthorized\n"},
		{"untrusted client certificate", foreign, "POST", "/audit", []byte(list2), nil, 401, "401 Unauthorized\n"},
		{"server-only certificate", wrongUsage, "POST", "/audit", []byte(list2), nil, 401, "401 Unauthorized\n"},
		{"wrong method", good, "GET", "/audit", nil, nil, 405, "method GET not allowed; the API server POSTs audit batches\n"},
		{"wrong method PUT", good, "PUT", "/audit", []byte(list2), nil, 405, "method PUT not allowed; the API server POSTs audit batches\n"},
		{"wrong path", good, "POST", "/other", []byte(list2), nil, 404, "404 Not Found\n"},
		{"malformed JSON", good, "POST", "/audit", []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a"},]}`), nil, 400, "audit document: not valid JSON at byte 76: unexpected ']' where a value belongs\n"},
		{"not audit", good, "POST", "/audit", []byte(`{"kind":"Pod"}`), nil, 400, "audit document: neither an audit EventList nor an audit Event\n"},
		{"bad item", good, "POST", "/audit", []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a"},[]]}`), nil, 400, "audit document: items[1]: EventList item is not a JSON object\n"},
		{"too large", good, "POST", "/audit", big, nil, 413, "request body larger than 4096 bytes (max_body_bytes)\n"},
		{"gzip bomb", good, "POST", "/audit", bomb, map[string]string{"Content-Encoding": "gzip"}, 413, "request body larger than 4096 bytes (max_body_bytes)\n"},
		{"corrupt gzip", good, "POST", "/audit", []byte("not gzip at all"), map[string]string{"Content-Encoding": "gzip"}, 400, "malformed gzip body: gzip: invalid header\n"},
		{"unknown encoding", good, "POST", "/audit", []byte(list2), map[string]string{"Content-Encoding": "br"}, 415, "Content-Encoding br not supported; send identity or gzip\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, strings.TrimSuffix(f.url, "/audit")+tc.path, bytes.NewReader(tc.body))
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, err := tc.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// Strangers (401, 404) learn nothing but the status; the
			// connection is closed after every refusal.
			if resp.Header.Get("Connection") != "close" && !resp.Close {
				t.Errorf("connection kept open after %d", resp.StatusCode)
			}
			if resp.StatusCode != tc.code || string(body) != tc.msg {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tc.code, tc.msg)
			}
		})
	}
	// A chunked body (no Content-Length) over the limit is cut off too.
	req, _ := http.NewRequest("POST", f.url, io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	resp, err := good.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked oversized body: %d", resp.StatusCode)
	}
	if got := f.sink.all(); len(got) != 0 {
		t.Errorf("refused requests delivered %d events", len(got))
	}
	if n := f.srv.Stats().Refused.Load(); n != 14 {
		t.Errorf("Refused = %d, want 14", n)
	}
	// The detail withheld from strangers is in the log.
	logs := f.logs.String()
	for _, want := range []string{
		": 401 no client certificate\n",
		": 401 client certificate not accepted (x509: certificate signed by unknown authority",
		": 404 wrong path (POST /other)\n",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestServerTLS12AEADOnly: a TLS 1.2 client offering only CBC suites gets
// no connection; one offering GCM does.
func TestServerTLS12AEADOnly(t *testing.T) {
	f := start(t, nil)
	for _, tc := range []struct {
		suite uint16
		ok    bool
	}{
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
		{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
		{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true},
	} {
		cfg := f.pki.ClientTLS(true)
		cfg.MaxVersion = tls.VersionTLS12
		cfg.CipherSuites = []uint16{tc.suite}
		resp, err := f.client(cfg).Post(f.url, "application/json", strings.NewReader(list2))
		if err == nil {
			resp.Body.Close()
		}
		if ok := err == nil && resp.StatusCode == 200; ok != tc.ok {
			t.Errorf("%s: ok %t, err %v", tls.CipherSuiteName(tc.suite), ok, err)
		}
	}
}

func TestServerRefusesOldTLS(t *testing.T) {
	f := start(t, nil)
	tc := f.pki.ClientTLS(true)
	tc.MinVersion, tc.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	req, _ := http.NewRequest("POST", f.url, strings.NewReader(list2))
	if _, err := f.client(tc).Do(req); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.1 handshake: err = %v", err)
	}
	// Plain HTTP on the TLS port gets no audit through either.
	resp, err := http.Post(strings.Replace(f.url, "https", "http", 1), "application/json", strings.NewReader(list2))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("plain HTTP: %d", resp.StatusCode)
		}
	}
	if n := len(f.sink.all()); n != 0 {
		t.Errorf("%d events delivered", n)
	}
}

func TestServerSinkFailure(t *testing.T) {
	failed := make(chan error, 2)
	f := start(t, func(s *Server) { s.OnSinkError = func(err error) { failed <- err } })
	f.sink.fail = io.ErrClosedPipe
	c := f.client(f.pki.ClientTLS(true))
	for i := 0; i < 2; i++ {
		if code, body := post(t, c, f.url, []byte(list2), nil); code != 503 || body != "events could not be written\n" {
			t.Fatalf("status %d %q", code, body)
		}
	}
	select {
	case err := <-failed:
		if !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("OnSinkError(%v)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OnSinkError not called")
	}
	select {
	case <-failed:
		t.Error("OnSinkError called twice")
	case <-time.After(100 * time.Millisecond):
	}
	if !strings.Contains(f.logs.String(), "ERROR writing events failed, shutting down: io: read/write on closed pipe") {
		t.Errorf("logs:\n%s", f.logs)
	}
}

func TestServerShutdownFinishesInFlight(t *testing.T) {
	f := start(t, nil)
	f.sink.block = make(chan struct{})
	f.sink.entered = make(chan struct{}, 1)
	c := f.client(f.pki.ClientTLS(true))
	code := make(chan int, 1)
	go func() {
		c, _ := post(t, c, f.url, []byte(list2), nil)
		code <- c
	}()
	<-f.sink.entered // the batch is being delivered
	shut := make(chan error, 1)
	go func() { shut <- f.srv.Shutdown(context.Background()) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a batch was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(f.sink.block)
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if c := <-code; c != 200 {
		t.Errorf("in-flight batch answered %d", c)
	}
	if n := len(f.sink.all()); n != 2 {
		t.Errorf("%d events delivered", n)
	}
}

func TestServerRequiresCredentials(t *testing.T) {
	s := &Server{TLSConfig: &tls.Config{}, Sink: &recorder{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ln); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("Serve = %v", err)
	}
}

// TestServerDeepNesting: a body of nothing but '[' (here 8 MiB) is
// refused with 400, not a stack overflow that kills the input.
func TestServerDeepNesting(t *testing.T) {
	f := start(t, nil)
	body := bytes.Repeat([]byte("["), 8<<20)
	code, msg := post(t, f.client(f.pki.ClientTLS(true)), f.url, body, nil)
	if code != 400 || msg != "audit document: not valid JSON at byte 10000: nested deeper than 10000\n" {
		t.Errorf("got %d %q", code, msg)
	}
	// The server still works.
	if code, _ := post(t, f.client(f.pki.ClientTLS(true)), f.url, []byte(list2), nil); code != 200 {
		t.Errorf("afterwards: %d", code)
	}
}

// TestServerClientCertExpiresOnOpenConnection: the client certificate's
// validity is checked at every request, also on a kept-alive connection
// whose chain was verified before.
func TestServerClientCertExpiresOnOpenConnection(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	f := start(t, func(s *Server) { s.now = func() time.Time { return time.Unix(0, clock.Load()) } })
	notAfter := time.Now().Add(time.Hour).Truncate(time.Second)
	cert, _, _ := f.pki.Issue(t, "short", &x509.Certificate{Subject: pkix.Name{CommonName: "x"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	c := f.client(&tls.Config{RootCAs: f.pki.CAPool, Certificates: []tls.Certificate{cert}})
	var conns atomic.Int32
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if !i.Reused {
			conns.Add(1)
		}
	}}
	send := func() int {
		t.Helper()
		req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodPost, f.url, strings.NewReader(list2))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, tc := range []struct {
		at   time.Time
		code int
	}{
		{time.Now(), 200},
		{notAfter, 200}, // NotAfter itself is still valid
		{notAfter.Add(time.Second), 401},
		{time.Now(), 200},
	} {
		clock.Store(tc.at.UnixNano())
		if code := send(); code != tc.code {
			t.Fatalf("request %d at %s: status %d, want %d", i, tc.at, code, tc.code)
		}
	}
	// The first two requests shared a connection; the 401 closed it.
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}
