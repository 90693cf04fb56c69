package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubeprivpod/kubeprivpod/testsupport/testpki"
)

// binary is the kube_audit_webhook executable built once for the tests
// that run it as Splunk would, as a separate process.
var binary string

func TestMain(m *testing.M) {
	if os.Getenv(drainEnv) == "1" {
		// This test binary re-executed as BenchmarkProcess's reader of
		// the input's stdout: a process of its own, as splunkd is.
		os.Exit(drainMain())
	}
	dir, err := os.MkdirTemp("", "kaw-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, Scheme)
	cmd := exec.Command("go", "build", "-o", binary, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building %s: %v\n%s", Scheme, err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestScheme(t *testing.T) {
	want, err := os.ReadFile("testdata/scheme.xml")
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"--scheme"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if out.String() != string(want) {
		t.Errorf("scheme differs from testdata/scheme.xml:\n%s", out.String())
	}
	// Every parameter parseInput reads is declared (Splunk rejects
	// unknown stanza keys that are not in the spec).
	for _, p := range []string{paramListen, paramPath, paramCert, paramKey, paramClientCA, paramToken, paramCluster, paramMaxBodyBytes, paramMaxEvents} {
		if !strings.Contains(out.String(), `<arg name="`+p+`">`) {
			t.Errorf("scheme lacks %s", p)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--bogus"}, nil, &out, &errb); code != 2 || !strings.HasPrefix(errb.String(), "ERROR usage: kube_audit_webhook") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// param is one <param> of a stanza.
type param struct{ name, value string }

func stanzaXML(name string, params ...param) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<stanza name=%q app=\"kubeprivpod\">", name)
	for _, p := range params {
		b.WriteString(`<param name="` + p.name + `">`)
		xml.EscapeText(&b, []byte(p.value))
		b.WriteString("</param>")
	}
	b.WriteString("</stanza>")
	return b.String()
}

func inputXML(stanzas ...string) string {
	return "<input><server_host>idx</server_host><server_uri>https://127.0.0.1:8089</server_uri><session_key>k</session_key>" +
		"<checkpoint_dir>/tmp</checkpoint_dir><configuration>" + strings.Join(stanzas, "") + "</configuration></input>"
}

func validationXML(params ...param) string {
	s := stanzaXML("prod", params...)
	s = strings.Replace(s, "<stanza ", "<item ", 1)
	s = strings.Replace(s, "</stanza>", "</item>", 1)
	return "<items><server_host>idx</server_host><server_uri>https://127.0.0.1:8089</server_uri><session_key>k</session_key><checkpoint_dir>/tmp</checkpoint_dir>" + s + "</items>"
}

func TestValidateArguments(t *testing.T) {
	p := testpki.New(t)
	tokenFile := filepath.Join(p.Dir, "token")
	os.WriteFile(tokenFile, []byte("abc123\n"), 0o600)
	emptyFile := filepath.Join(p.Dir, "empty")
	os.WriteFile(emptyFile, []byte(" \n"), 0o600)
	base := []param{{"listen", freePort(t)}, {"tls_cert_file", p.ServerCertFile}, {"tls_key_file", p.ServerKeyFile}, {"client_ca_file", p.CAFile}}
	with := func(extra ...param) []param {
		out := []param{}
		for _, b := range base {
			replaced := false
			for _, e := range extra {
				if e.name == b.name {
					replaced = true
				}
			}
			if !replaced {
				out = append(out, b)
			}
		}
		for _, e := range extra {
			if e.value != "-" {
				out = append(out, e)
			}
		}
		return out
	}
	missing := filepath.Join(p.Dir, "nope.pem")
	past := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	_, expiredCert, expiredKey := p.Issue(t, "expired", &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, NotBefore: past.Add(-time.Hour), NotAfter: past})
	expiredAt := past.UTC().Format(time.RFC3339)
	future := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	_, futureCert, futureKey := p.Issue(t, "future", &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, NotBefore: future, NotAfter: future.Add(time.Hour)})
	futureFrom := future.UTC().Format(time.RFC3339)
	// A port another program holds, and one the input itself (same
	// certificate) already serves.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, busyPort, _ := net.SplitHostPort(busy.Addr().String())
	ours, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{p.Server}})
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	go func() {
		for {
			c, err := ours.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	for _, tc := range []struct {
		name   string
		params []param
		msg    string
	}{
		{"valid", base, ""},
		{"valid token only", with(param{"client_ca_file", "-"}, param{"token_file", tokenFile}, param{"max_body_bytes", "1048576"}, param{"path", "/k8s/audit"}), ""},
		{"no listen", with(param{"listen", "-"}), "listen: missing. Set listen to host:port, e.g. 0.0.0.0:9443."},
		{"bad listen", with(param{"listen", "9443"}), `listen: "9443" is not host:port (address 9443: missing port in address). Set listen to host:port, e.g. 0.0.0.0:9443 or [::]:9443.`},
		{"bad port", with(param{"listen", "0.0.0.0:99999"}), `listen: port "99999" is not a number from 1 to 65535. Set listen to host:port, e.g. 0.0.0.0:9443.`},
		{"bad path", with(param{"path", "audit"}), `path: "audit" is not a URL path. Set path to an absolute path without query, e.g. /audit, matching the server: URL of the webhook kubeconfig.`},
		{"no cert", with(param{"tls_cert_file", "-"}), "tls_cert_file: missing. Set tls_cert_file to the PEM server certificate; TLS is mandatory."},
		{"no key", with(param{"tls_key_file", "-"}), "tls_key_file: missing. Set tls_key_file to the PEM private key of tls_cert_file; TLS is mandatory."},
		{"missing cert file", with(param{"tls_cert_file", missing}), "tls_cert_file: stat " + missing + ": no such file or directory. Give the full path of a PEM certificate file readable by Splunk."},
		{"key does not match", with(param{"tls_key_file", p.ClientKeyFile}), "tls_cert_file/tls_key_file: cannot load the key pair: tls: private key does not match public key. Both must be PEM, the key unencrypted and matching the certificate."},
		{"CA not PEM", with(param{"client_ca_file", tokenFile}), "client_ca_file: no PEM certificate found in " + tokenFile + ". The file must hold one or more -----BEGIN CERTIFICATE----- blocks."},
		{"empty token", with(param{"token_file", emptyFile}), "token_file: " + emptyFile + " is empty. Write the token (e.g. from openssl rand -hex 32) into the file."},
		{"no credentials", with(param{"client_ca_file", "-"}), "client_ca_file/token_file: neither is set, and there is no unauthenticated mode. Set client_ca_file (client certificates, recommended), token_file, or both."},
		{"body limit", with(param{"max_body_bytes", "12x"}), `max_body_bytes: "12x" is not a whole number of bytes from 1024 to 1073741824. Leave it empty for 64 MiB (67108864), or give a byte count such as 134217728.`},
		{"expired certificate", with(param{"tls_cert_file", expiredCert}, param{"tls_key_file", expiredKey}), "tls_cert_file: certificate expired on " + expiredAt + ". Issue a new server certificate (section 1 of docs/webhook.md) and restart the input."},
		{"certificate not yet valid", with(param{"tls_cert_file", futureCert}, param{"tls_key_file", futureKey}), "tls_cert_file: certificate not valid before " + futureFrom + " (this host's clock says "},
		{"port in use", with(param{"listen", busy.Addr().String()}), "listen: " + busy.Addr().String() + " is already in use by another program. Choose a free port, or stop what listens there (ss -ltnp 'sport = :" + busyPort + "' shows it)."},
		{"port of the running input", with(param{"listen", ours.Addr().String()}), ""},
		{"not this host's address", with(param{"listen", "192.0.2.1:9443"}), "listen: cannot bind 192.0.2.1:9443: the address is not one of this host's. Use one of this host's addresses, or 0.0.0.0 for all of them."},
		{"events limit", with(param{"max_events_per_batch", "0"}), `max_events_per_batch: "0" is not a whole number from 1 to 10000000. Leave it empty for 200000, or give at least the API server's --audit-webhook-batch-max-size.`},
		{"events limit set", with(param{"max_events_per_batch", "1000"}), ""},
		{"body limit small", with(param{"max_body_bytes", "10"}), `max_body_bytes: "10" is not a whole number of bytes from 1024 to 1073741824. Leave it empty for 64 MiB (67108864), or give a byte count such as 134217728.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run([]string{"--validate-arguments"}, strings.NewReader(validationXML(tc.params...)), &out, &errb)
			if tc.msg == "" {
				if code != 0 || out.Len() != 0 {
					t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
				}
				return
			}
			var b strings.Builder
			xml.EscapeText(&b, []byte(tc.msg))
			want := "<error><message>" + b.String() + "</message></error>\n"
			if tc.name == "certificate not yet valid" { // ends with the clock's reading
				want = strings.TrimSuffix(want, "</message></error>\n")
				if code != 1 || !strings.HasPrefix(out.String(), want) {
					t.Errorf("exit %d\n got %s\nwant %s...", code, out.String(), want)
				}
				return
			}
			if code != 1 || out.String() != want {
				t.Errorf("exit %d\n got %s\nwant %s", code, out.String(), want)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run([]string{"--validate-arguments"}, strings.NewReader("<items>"), &out, &errb); code != 1 || !strings.HasPrefix(out.String(), "<error><message>modular input configuration: line 1:") {
		t.Errorf("broken XML: exit %d, %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"--validate-arguments"}, strings.NewReader("listen = 0.0.0.0:9443\n"), &out, &errb); code != 1 ||
		out.String() != "<error><message>modular input configuration: no XML element in the input, expected &lt;items&gt; as splunkd sends it; got &#34;listen = 0.0.0.0:9443\\n&#34;</message></error>\n" {
		t.Errorf("not XML: exit %d, %q", code, out.String())
	}
}

// freePort returns a loopback address nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// streamDoc is the XML event stream as Splunk reads it.
type streamDoc struct {
	XMLName xml.Name      `xml:"stream"`
	Events  []streamEvent `xml:"event"`
}

type streamEvent struct {
	Stanza     string    `xml:"stanza,attr"`
	Unbroken   string    `xml:"unbroken,attr"`
	Time       string    `xml:"time"`
	Data       string    `xml:"data"`
	Source     string    `xml:"source"`
	Sourcetype string    `xml:"sourcetype"`
	Index      string    `xml:"index"`
	Host       string    `xml:"host"`
	Done       *struct{} `xml:"done"`
}

// batchDoc builds an EventList of n events whose auditIDs are
// prefix-0..n-1, shaped like the webhook backend's (no kind/apiVersion
// on items).
func batchDoc(prefix string, n int) ([]byte, []string) {
	var b bytes.Buffer
	b.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
	var want []string
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		item := fmt.Sprintf(`{"level":"Request","auditID":"%s-%d","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"alice <admin>","groups":["system:authenticated"]},"requestObject":{"kind":"Pod","metadata":{"name":"p&q"}},"requestReceivedTimestamp":"2024-05-06T07:08:%02d.%06dZ","stageTimestamp":"2024-05-06T07:08:09.999999Z"}`, prefix, i, i%60, i)
		b.WriteString(item)
		want = append(want, `{"kind":"Event","apiVersion":"audit.k8s.io/v1",`+item[1:])
	}
	b.WriteString("]}")
	return b.Bytes(), want
}

// lockedBuffer collects a process's output safely while it runs.
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

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

func client(p *testpki.PKI) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: p.ClientTLS(true)}, Timeout: 30 * time.Second}
}

func postBatch(c *http.Client, url string, body []byte) (int, error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestRunTwoStanzas runs two listeners in one process (single-instance
// mode), sends concurrent batches to both and checks the stream: every
// event once, with its stanza's metadata, batches never interleaved, and
// a clean end on SIGTERM.
func TestRunTwoStanzas(t *testing.T) {
	p := testpki.New(t)
	tokenFile := filepath.Join(p.Dir, "token")
	os.WriteFile(tokenFile, []byte("tok-42\n"), 0o600)
	addrA, addrB := freePort(t), freePort(t)
	cfg := inputXML(
		stanzaXML("kube_audit_webhook://prod", param{"listen", addrA}, param{"tls_cert_file", p.ServerCertFile}, param{"tls_key_file", p.ServerKeyFile},
			param{"client_ca_file", p.CAFile}, param{"cluster", "prod-eu-1"}, param{"index", "kube"}, param{"disabled", "0"}, param{"host", "idx"}),
		stanzaXML("kube_audit_webhook://lab", param{"listen", addrB}, param{"path", "/lab"}, param{"tls_cert_file", p.ServerCertFile}, param{"tls_key_file", p.ServerKeyFile},
			param{"token_file", tokenFile}, param{"sourcetype", "kube:lab"}),
		stanzaXML("kube_audit_webhook://off", param{"listen", freePort(t)}, param{"disabled", "1"}),
		stanzaXML("kube_audit_webhook://broken", param{"listen", "nowhere"}),
	)
	var out, errb lockedBuffer
	sig := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() { done <- runInputs(strings.NewReader(cfg), &out, &errb, sig, 0) }()
	waitListening(t, addrA)
	waitListening(t, addrB)

	c := client(p)
	tokClient := &http.Client{Transport: &http.Transport{TLSClientConfig: p.ClientTLS(false)}, Timeout: 30 * time.Second}
	const batches, perBatch = 8, 50
	wantA, wantB := map[string]bool{}, map[string]bool{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := 0; i < batches; i++ {
		docA, evA := batchDoc(fmt.Sprintf("a%d", i), perBatch)
		docB, evB := batchDoc(fmt.Sprintf("b%d", i), perBatch)
		for _, e := range evA {
			wantA[e] = true
		}
		for _, e := range evB {
			wantB[e] = true
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			if code, err := postBatch(c, "https://"+addrA+"/audit", docA); code != 200 {
				mu.Lock()
				t.Errorf("prod batch: %d %v", code, err)
				mu.Unlock()
			}
		}()
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", "https://"+addrB+"/lab", bytes.NewReader(docB))
			req.Header.Set("Authorization", "Bearer tok-42")
			resp, err := tokClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				mu.Lock()
				t.Errorf("lab batch: %v %v", resp, err)
				mu.Unlock()
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	sig <- syscall.SIGTERM
	if code := <-done; code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}

	var doc streamDoc
	if err := xml.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("stream is not well-formed XML: %v", err)
	}
	if !strings.HasPrefix(out.String(), "<stream>\n") || !strings.HasSuffix(out.String(), "</event>\n</stream>\n") {
		t.Errorf("stream framing: %.40q ... %q", out.String(), out.String()[len(out.String())-40:])
	}
	if len(doc.Events) != 2*batches*perBatch {
		t.Fatalf("%d events, want %d", len(doc.Events), 2*batches*perBatch)
	}
	for i, e := range doc.Events {
		var want map[string]bool
		switch e.Stanza {
		case "kube_audit_webhook://prod":
			want = wantA
			if e.Source != e.Stanza || e.Sourcetype != "kube:apiserver:auditlog" || e.Index != "kube" || e.Host != "prod-eu-1" {
				t.Fatalf("prod event metadata: %+v", e)
			}
		case "kube_audit_webhook://lab":
			want = wantB
			if e.Source != e.Stanza || e.Sourcetype != "kube:lab" || e.Index != "" || e.Host != "" {
				t.Fatalf("lab event metadata: %+v", e)
			}
		default:
			t.Fatalf("event of stanza %q", e.Stanza)
		}
		if !want[e.Data] {
			t.Fatalf("event %d unexpected or repeated: %s", i, e.Data)
		}
		delete(want, e.Data)
		if e.Unbroken != "1" || e.Done == nil {
			t.Fatalf("event %d not marked complete", i)
		}
		// Batches arrive whole: an event's batch prefix changes only every perBatch events.
		if i%perBatch != 0 && prefixOf(e.Data) != prefixOf(doc.Events[i-1].Data) {
			t.Fatalf("event %d interleaves two batches", i)
		}
		n := 0
		fmt.Sscanf(e.Data[strings.Index(e.Data, `"auditID":"`)+len(`"auditID":"`)+len(prefixOf(e.Data))+1:], "%d", &n)
		if wantTime := fmt.Sprintf("%d.%06d", time.Date(2024, 5, 6, 7, 8, n%60, 0, time.UTC).Unix(), n); e.Time != wantTime {
			t.Fatalf("event %d time %q, want %q", i, e.Time, wantTime)
		}
	}
	logs := errb.String()
	for _, want := range []string{
		"INFO stanza kube_audit_webhook://prod listening on https://" + addrA + "/audit (client certificates: true, token: false)\n",
		"INFO stanza kube_audit_webhook://lab listening on https://" + addrB + "/lab (client certificates: false, token: true)\n",
		`ERROR stanza kube_audit_webhook://broken not started: listen: "nowhere" is not host:port`,
		"INFO received terminated; finishing batches in flight\n",
		fmt.Sprintf("INFO stopped: %d batches, %d events written, 0 duplicates dropped\n", 2*batches, 2*batches*perBatch),
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "kube_audit_webhook://off") {
		t.Errorf("disabled stanza started:\n%s", logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !strings.HasPrefix(line, "INFO ") && !strings.HasPrefix(line, "WARN ") && !strings.HasPrefix(line, "ERROR ") {
			t.Errorf("log line without level: %q", line)
		}
	}
}

func prefixOf(data string) string {
	i := strings.Index(data, `"auditID":"`) + len(`"auditID":"`)
	return data[i : i+strings.IndexByte(data[i:], '-')]
}

func TestRunNoUsableStanza(t *testing.T) {
	var out, errb bytes.Buffer
	sig := make(chan os.Signal)
	code := runInputs(strings.NewReader(inputXML(stanzaXML("kube_audit_webhook://x", param{"listen", "127.0.0.1:1"}))), &out, &errb, sig, 0)
	if code != 1 || out.String() != "<stream>\n</stream>\n" || !strings.Contains(errb.String(), "ERROR stanza kube_audit_webhook://x not started: tls_cert_file: missing.") ||
		!strings.Contains(errb.String(), "ERROR no stanza could be started (1 configured)") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := runInputs(strings.NewReader("<input"), &out, &errb, sig, 0); code != 1 || !strings.HasPrefix(errb.String(), "ERROR modular input configuration: line 1:") {
		t.Errorf("broken config: exit %d, %q", code, errb.String())
	}
}

// startBinary runs the built executable with one stanza, as splunkd does.
func startBinary(t *testing.T, p *testpki.PKI, addr string, stdout io.Writer) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cfg := inputXML(stanzaXML("kube_audit_webhook://prod", param{"listen", addr}, param{"tls_cert_file", p.ServerCertFile},
		param{"tls_key_file", p.ServerKeyFile}, param{"client_ca_file", p.CAFile}, param{"cluster", "prod"}))
	cmd := exec.Command(binary)
	cmd.Stdin = strings.NewReader(cfg)
	cmd.Stdout = stdout
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitListening(t, addr)
	return cmd, stderr
}

// completeEvents returns the data of every complete <event> in a stream
// that may have been cut off anywhere.
func completeEvents(t *testing.T, stream string) []string {
	t.Helper()
	var evs []string
	for {
		end := strings.Index(stream, "</event>\n")
		if end < 0 {
			return evs
		}
		var e streamEvent
		if err := xml.Unmarshal([]byte(strings.TrimPrefix(stream[:end+len("</event>")], "<stream>\n")), &e); err != nil {
			t.Fatalf("bad event: %v", err)
		}
		evs = append(evs, e.Data)
		stream = stream[end+len("</event>\n"):]
	}
}

// TestKillLosesNothingAcknowledged sends batches from several clients and
// kills the process with SIGKILL in the middle: every event of every
// batch answered 200 must be in the output, whole and exactly once.
func TestKillLosesNothingAcknowledged(t *testing.T) {
	p := testpki.New(t)
	addr := freePort(t)
	out := &lockedBuffer{}
	cmd, stderr := startBinary(t, p, addr, out)
	c := client(p)

	var mu sync.Mutex
	acked := map[string]bool{}
	ackedBatches := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				doc, want := batchDoc(fmt.Sprintf("w%d_%d", w, i), 100)
				code, err := postBatch(c, "https://"+addr+"/audit", doc)
				if err != nil || code != 200 {
					return // killed: this batch is not acknowledged
				}
				mu.Lock()
				for _, e := range want {
					acked[e] = true
				}
				ackedBatches++
				mu.Unlock()
			}
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := ackedBatches
		mu.Unlock()
		if n >= 40 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	close(stop)
	cmd.Wait()
	wg.Wait()
	if ackedBatches < 40 {
		t.Fatalf("only %d batches acknowledged before the deadline; stderr:\n%s", ackedBatches, stderr.String())
	}
	seen := map[string]int{}
	for _, e := range completeEvents(t, out.String()) {
		seen[e]++
	}
	for e := range acked {
		if seen[e] != 1 {
			t.Fatalf("acknowledged event present %d times: %.80s", seen[e], e)
		}
	}
	for e, n := range seen {
		if n != 1 {
			t.Fatalf("event written %d times: %.80s", n, e)
		}
	}
	t.Logf("%d batches (%d events) acknowledged before SIGKILL, %d events in the stream", ackedBatches, len(acked), len(seen))
}

// TestSIGTERMExitsCleanly checks the process drains, closes the stream
// and exits 0 on SIGTERM, as splunkd stops inputs.
func TestSIGTERMExitsCleanly(t *testing.T) {
	p := testpki.New(t)
	addr := freePort(t)
	out := &lockedBuffer{}
	cmd, stderr := startBinary(t, p, addr, out)
	doc, want := batchDoc("t", 3)
	if code, err := postBatch(client(p), "https://"+addr+"/audit", doc); code != 200 {
		t.Fatalf("post: %d %v", code, err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr.String())
	}
	var d streamDoc
	if err := xml.Unmarshal([]byte(out.String()), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 3 || d.Events[2].Data != want[2] || d.Events[0].Host != "prod" || !strings.HasSuffix(out.String(), "</stream>\n") {
		t.Errorf("stream:\n%s", out.String())
	}
}

// TestStdoutFailure closes the read end of stdout: the next batch gets
// 503 and the process stops with exit status 1.
func TestStdoutFailure(t *testing.T) {
	p := testpki.New(t)
	addr := freePort(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd, stderr := startBinary(t, p, addr, w)
	w.Close()
	// A batch is acknowledged once it is in the pipe; splunkd then goes
	// away without reading it.
	doc, _ := batchDoc("f", 2)
	if code, err := postBatch(client(p), "https://"+addr+"/audit", doc); code != 200 {
		t.Fatalf("post: %d %v", code, err)
	}
	r.Close()
	doc, _ = batchDoc("g", 2)
	if code, err := postBatch(client(p), "https://"+addr+"/audit", doc); code != 503 {
		t.Fatalf("post after stdout closed: %d %v", code, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { <-ctx.Done(); cmd.Process.Kill() }()
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "ERROR stopping: writing to stdout failed: write /dev/stdout: broken pipe") ||
		!strings.Contains(stderr.String(), "ERROR up to 2 acknowledged events (1275 bytes; the stdout pipe holds 1048576) may not have reached splunkd") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestExpandPath(t *testing.T) {
	t.Setenv("SPLUNK_HOME", "/opt/splunk")
	for in, want := range map[string]string{
		" $SPLUNK_HOME/etc/auth/x.crt ": "/opt/splunk/etc/auth/x.crt",
		"${SPLUNK_HOME}/etc/x":          "/opt/splunk/etc/x",
		"$SPLUNK_HOMEX/etc":             "$SPLUNK_HOMEX/etc",
		"/etc/$SPLUNK_HOME/x":           "/etc/$SPLUNK_HOME/x",
		"relative/x":                    "relative/x",
	} {
		if got := expandPath(in); got != want {
			t.Errorf("expandPath(%q) = %q, want %q", in, got, want)
		}
	}
	t.Setenv("SPLUNK_HOME", "")
	if got := expandPath("$SPLUNK_HOME/x"); got != "$SPLUNK_HOME/x" {
		t.Errorf("without SPLUNK_HOME: %q", got)
	}
}

// blockedWriter is a stdout nobody reads: Write never returns.
type blockedWriter struct{ entered chan struct{} }

func (w blockedWriter) Write(p []byte) (int, error) {
	w.entered <- struct{}{}
	select {}
}

// TestSIGTERMWithBlockedStdout: a batch stuck writing to stdout must not
// keep the process from exiting when splunkd stops it.
func TestSIGTERMWithBlockedStdout(t *testing.T) {
	defer func(a, b time.Duration) { shutdownGrace, closeGrace = a, b }(shutdownGrace, closeGrace)
	shutdownGrace, closeGrace = 200*time.Millisecond, 200*time.Millisecond
	p := testpki.New(t)
	addr := freePort(t)
	out := blockedWriter{entered: make(chan struct{}, 1)}
	var errb lockedBuffer
	sig := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		done <- runInputs(strings.NewReader(inputXML(stanzaXML("kube_audit_webhook://b", param{"listen", addr}, param{"tls_cert_file", p.ServerCertFile},
			param{"tls_key_file", p.ServerKeyFile}, param{"client_ca_file", p.CAFile}))), out, &errb, sig, 0)
	}()
	waitListening(t, addr)
	doc, _ := batchDoc("blk", 1)
	go postBatch(client(p), "https://"+addr+"/audit", doc)
	<-out.entered
	start := time.Now()
	sig <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 1 || !strings.Contains(errb.String(), "ERROR stdout still blocked 200ms after shutdown; exiting without closing the stream") {
			t.Errorf("exit %d; stderr:\n%s", code, errb.String())
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("runInputs did not return; stderr:\n%s", errb.String())
	}
}

// TestSignalWhileWaitingForConfiguration: started by hand, the input waits
// for its configuration on stdin; SIGTERM or SIGINT ends the wait.
func TestSignalWhileWaitingForConfiguration(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(binary)
		stdin, err := cmd.StdinPipe() // never written
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		var stderr lockedBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		cmd.Process.Signal(sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil || !strings.Contains(stderr.String(), "INFO received "+sig.String()+" while waiting for the configuration; exiting") {
				t.Errorf("%v: exit %v, stderr %q", sig, err, stderr.String())
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v ignored while waiting for the configuration", sig)
		}
	}
}

// TestSaysItIsWaitingOnATerminal: started by hand with a terminal on
// stdin, the input says it is waiting for its configuration.
func TestSaysItIsWaitingOnATerminal(t *testing.T) {
	pt, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer pt.Close()
	cmd := exec.Command(binary)
	cmd.Stdin = pt
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stderr.String(), "INFO waiting for the configuration XML on stdin") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil || !strings.Contains(stderr.String(), "INFO waiting for the configuration XML on stdin") {
		t.Errorf("exit %v, stderr %q", err, stderr.String())
	}
}
