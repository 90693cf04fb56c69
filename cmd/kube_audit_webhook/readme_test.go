package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docBlock returns the fenced code block that follows marker in the
// markdown file path, or "" when the file lacks the marker.
func docBlock(t *testing.T, path, marker string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.Index(s, marker)
	if i < 0 {
		return ""
	}
	s = s[i:]
	start := strings.Index(s, "```")
	if start < 0 {
		t.Fatalf("%s: no code block after %q", path, marker)
	}
	s = s[start:]
	s = s[strings.IndexByte(s, '\n')+1:]
	end := strings.Index(s, "\n```")
	if end < 0 {
		t.Fatalf("%s: unterminated code block after %q", path, marker)
	}
	return s[:end+1]
}

const opensslMarker = "<!-- kube_audit_webhook: openssl commands"

// TestREADMEOpenSSL runs the certificate commands of the user docs
// exactly as written and checks the input accepts the result: validation
// passes, and the API server's client certificate (and token) get a batch
// through. It covers docs/webhook.md, and README.md if it holds the block.
func TestREADMEOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is not on PATH (CI must install it: apt-get install -y openssl)")
		}
		t.Skip("openssl is not on PATH; install it to test the README's certificate commands")
	}
	ran := 0
	for _, doc := range []string{"../../docs/webhook.md", "../../README.md"} {
		script := docBlock(t, doc, opensslMarker)
		if script == "" {
			continue
		}
		ran++
		t.Run(filepath.Base(doc), func(t *testing.T) { checkOpenSSLScript(t, script) })
	}
	if ran == 0 {
		t.Fatal("no openssl block found in docs/webhook.md or README.md")
	}
}

func checkOpenSSLScript(t *testing.T, script string) {
	dir := t.TempDir()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the documented openssl commands failed: %v\n%s", err, out)
	}
	f := func(name string) string { return filepath.Join(dir, name) }

	params := []param{{"listen", freePort(t)}, {"tls_cert_file", f("server.crt")}, {"tls_key_file", f("server.key")},
		{"client_ca_file", f("ca.crt")}, {"token_file", f("audit-token")}, {"cluster", "docs"}}
	var out, errb bytes.Buffer
	if code := run([]string{"--validate-arguments"}, strings.NewReader(validationXML(params...)), &out, &errb); code != 0 {
		t.Fatalf("validation of the documented files failed: %s %s", out.String(), errb.String())
	}

	addr := params[0].value
	var stream, logs lockedBuffer
	sig := make(chan os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		done <- runInputs(strings.NewReader(inputXML(stanzaXML("kube_audit_webhook://docs", params...))), &stream, &logs, sig, 0)
	}()
	waitListening(t, addr)

	caPEM, err := os.ReadFile(f("ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	clientCert, err := tls.LoadX509KeyPair(f("apiserver-audit.crt"), f("apiserver-audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := os.ReadFile(f("audit-token"))
	if err != nil {
		t.Fatal(err)
	}
	// The documented certificate names splunk.example.com; the test
	// reaches it on loopback under that name.
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, ServerName: "splunk.example.com", Certificates: []tls.Certificate{clientCert},
	}}}
	doc, want := batchDoc("docs", 2)
	post := func(auth string) int {
		req, _ := http.NewRequest("POST", "https://"+addr+"/audit", bytes.NewReader(doc))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != 401 {
		t.Errorf("client certificate without the token: %d, want 401", code)
	}
	if code := post("Bearer " + strings.TrimSpace(string(token))); code != 200 {
		t.Fatalf("documented certificate and token: %d; logs:\n%s", code, logs.String())
	}
	sig <- syscall.SIGTERM
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, logs.String())
	}
	var d streamDoc
	if err := xml.Unmarshal([]byte(stream.String()), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 2 || d.Events[0].Data != want[0] || d.Events[1].Data != want[1] || d.Events[0].Host != "docs" {
		t.Errorf("stream:\n%s", stream.String())
	}
}
