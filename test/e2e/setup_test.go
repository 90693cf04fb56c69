package e2e

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docsPath is the admin's setup guide whose fenced blocks the test runs.
const docsPath = "../../docs/webhook.md"

// Markers of the blocks in docsPath (the HTML comment before each fence).
const (
	markerOpenSSL    = "<!-- kube_audit_webhook: openssl commands"
	markerInputs     = "<!-- kube_audit_webhook: inputs.conf"
	markerKubeconfig = "<!-- kube_audit_webhook: webhook kubeconfig"
	markerFlags      = "<!-- kube_audit_webhook: kube-apiserver flags"
	markerPolicy     = "<!-- kube_audit_webhook: audit policy"
)

// docBlock returns the fenced code block that follows marker in
// docsPath, without its fences.
func docBlock(t *testing.T, marker string) string {
	t.Helper()
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, marker)
	if i < 0 {
		t.Fatalf("%s: no block marked %q", docsPath, marker)
	}
	s = s[i:]
	start := strings.Index(s, "```")
	if start < 0 {
		t.Fatalf("%s: no code block after %q", docsPath, marker)
	}
	s = s[start:]
	s = s[strings.IndexByte(s, '\n')+1:]
	end := strings.Index(s, "\n```")
	if end < 0 {
		t.Fatalf("%s: unterminated code block after %q", docsPath, marker)
	}
	return s[:end+1]
}

// replaceOnce replaces old, which the documented text must contain at
// least once, everywhere in s: what an admin following the docs does.
func replaceAll(t *testing.T, what, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("documented %s no longer contains %q (the test substitutes it):\n%s", what, old, s)
	}
	return strings.ReplaceAll(s, old, new)
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// sh runs a shell script in dir and fails the test with its output if it
// fails.
func sh(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v running:\n%s\noutput:\n%s", err, script, out)
	}
}

// proc is a long-running process of the control plane, its output in a
// log file kept for the failure message.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func startProc(t *testing.T, dir, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.Env = append(os.Environ(), env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail returns the last lines of the process's log.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// stop sends SIGTERM and waits up to a minute.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if !p.stopWithin(60 * time.Second) {
		t.Errorf("%s did not stop within 60 s of SIGTERM; log:\n%s", p.name, p.tail())
	}
}

// stopWithin sends SIGTERM, waits up to grace, then sends SIGKILL, as
// the kubelet stops a static pod; it reports whether SIGTERM sufficed.
func (p *proc) stopWithin(grace time.Duration) bool {
	if p.exited() {
		return true
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-time.After(grace):
		p.kill()
		return false
	}
}

func (p *proc) kill() {
	if !p.exited() {
		p.cmd.Process.Kill()
		<-p.done
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool, procs ...*proc) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		for _, p := range procs {
			if p.exited() {
				t.Fatalf("waiting for %s: %s exited (%v); log:\n%s", what, p.name, p.err, p.tail())
			}
		}
		if time.Now().After(deadline) {
			var logs strings.Builder
			for _, p := range procs {
				fmt.Fprintf(&logs, "--- %s:\n%s\n", p.name, p.tail())
			}
			t.Fatalf("timed out after %v waiting for %s\n%s", timeout, what, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// httpOK reports whether GET url answers 200 (TLS unverified: loopback
// health checks only).
func httpOK(url, token string) bool {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// docFlags returns the kube-apiserver flags of the docs' flag block.
func docFlags(t *testing.T) []string {
	t.Helper()
	var flags []string
	sc := bufio.NewScanner(strings.NewReader(docBlock(t, markerFlags)))
	for sc.Scan() {
		f := strings.TrimSpace(sc.Text())
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		if !strings.HasPrefix(f, "--") {
			t.Fatalf("documented flag block has %q, not a --flag", f)
		}
		flags = append(flags, f)
	}
	return flags
}

// inputsConf parses the docs' inputs.conf block: the stanza name and its
// settings in order, comments left out.
func inputsConf(t *testing.T) (string, [][2]string) {
	t.Helper()
	var stanza string
	var kv [][2]string
	sc := bufio.NewScanner(strings.NewReader(docBlock(t, markerInputs)))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			if stanza != "" {
				t.Fatalf("documented inputs.conf has more than one stanza")
			}
			stanza = l[1 : len(l)-1]
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("documented inputs.conf line %q is not key = value", l)
			}
			kv = append(kv, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
	}
	if stanza == "" || len(kv) == 0 {
		t.Fatal("documented inputs.conf has no stanza")
	}
	return stanza, kv
}
