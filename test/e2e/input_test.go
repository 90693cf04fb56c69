package e2e

import (
	"encoding/xml"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// webhookInput is how splunkd would run kube_audit_webhook: the binary,
// SPLUNK_HOME, and the stanza of the docs' inputs.conf with the listen
// port the test picked.
type webhookInput struct {
	bin, splunkHome string
	stanza          string
	params          [][2]string
	listen          string
	runs            int
}

// startInput starts one input process with the XML configuration on
// stdin, as splunkd does, its stdout (the XML event stream) in a file.
func (w *webhookInput) start(t *testing.T, dir string) *proc {
	t.Helper()
	w.runs++
	var b strings.Builder
	fmt.Fprintf(&b, "<input><server_host>e2e</server_host><server_uri>https://127.0.0.1:8089</server_uri><session_key>k</session_key><checkpoint_dir>%s</checkpoint_dir>\n",
		html.EscapeString(filepath.Join(dir, "checkpoint")))
	fmt.Fprintf(&b, `<configuration><stanza name="%s" app="kubeprivpod">`, html.EscapeString(w.stanza))
	for _, kv := range w.params {
		fmt.Fprintf(&b, `<param name="%s">%s</param>`, html.EscapeString(kv[0]), html.EscapeString(kv[1]))
	}
	b.WriteString("</stanza></configuration></input>\n")
	name := fmt.Sprintf("input-%d", w.runs)
	stream := filepath.Join(dir, name+".xml")
	out, err := os.Create(stream)
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(w.bin)
	p.cmd.Stdin = strings.NewReader(b.String())
	p.cmd.Stdout, p.cmd.Stderr = out, logf
	p.cmd.Env = append(os.Environ(), "SPLUNK_HOME="+w.splunkHome)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		out.Close()
		logf.Close()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	// The input says when it listens (a probe connection would be logged
	// as a failed TLS handshake).
	waitFor(t, name+" listening on "+w.listen, 10*time.Second, func() bool {
		b, _ := os.ReadFile(p.log)
		return strings.Contains(string(b), " listening on https://"+w.listen+"/")
	}, p)
	return p
}

// validate runs the input with --validate-arguments on the stanza, as
// splunkd does when an admin saves it, and fails the test if it refuses.
func (w *webhookInput) validate(t *testing.T) {
	t.Helper()
	var b strings.Builder
	b.WriteString("<items><server_host>e2e</server_host><server_uri>https://127.0.0.1:8089</server_uri><session_key>k</session_key><checkpoint_dir>/tmp</checkpoint_dir>")
	_, name, _ := strings.Cut(w.stanza, "://")
	fmt.Fprintf(&b, `<item name="%s">`, html.EscapeString(name))
	for _, kv := range w.params {
		fmt.Fprintf(&b, `<param name="%s">%s</param>`, html.EscapeString(kv[0]), html.EscapeString(kv[1]))
	}
	b.WriteString("</item></items>")
	cmd := exec.Command(w.bin, "--validate-arguments")
	cmd.Stdin = strings.NewReader(b.String())
	cmd.Env = append(os.Environ(), "SPLUNK_HOME="+w.splunkHome)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("--validate-arguments refuses the documented stanza: %v\n%s", err, out)
	}
}

// want returns the Splunk fields every event of the stanza must carry:
// host = cluster, the stanza's index, its sourcetype or the documented
// default, source = the stanza's name.
func (w *webhookInput) want() streamEvent {
	e := streamEvent{Stanza: w.stanza, Source: w.stanza, Sourcetype: "kube:apiserver:auditlog"}
	for _, kv := range w.params {
		switch kv[0] {
		case "cluster":
			e.Host = kv[1]
		case "index":
			e.Index = kv[1]
		case "sourcetype":
			e.Sourcetype = kv[1]
		}
	}
	return e
}

// streamFile is the XML stream file of an input process.
func streamFile(p *proc) string { return strings.TrimSuffix(p.log, ".log") + ".xml" }

// streamEvent is one <event> of the modular-input XML stream.
type streamEvent struct {
	Stanza     string `xml:"stanza,attr"`
	Time       string `xml:"time"`
	Data       string `xml:"data"`
	Source     string `xml:"source"`
	Sourcetype string `xml:"sourcetype"`
	Index      string `xml:"index"`
	Host       string `xml:"host"`
}

// readStream parses the complete <event> elements of a stream file; a
// process killed with SIGKILL may leave a last element cut short, which
// is not an event splunkd would index. complete reports whether the
// stream was closed properly.
func readStream(t *testing.T, path string) (evs []streamEvent, complete bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "<stream>") {
		if s == "" {
			return nil, false
		}
		t.Fatalf("%s does not start with <stream>: %.80q", path, s)
	}
	complete = strings.HasSuffix(s, "</stream>\n") || strings.HasSuffix(s, "</stream>")
	s = strings.TrimSpace(strings.TrimPrefix(s, "<stream>"))
	for {
		end := strings.Index(s, "</event>")
		if end < 0 {
			break
		}
		var e streamEvent
		if err := xml.Unmarshal([]byte(s[:end+len("</event>")]), &e); err != nil {
			t.Fatalf("%s: malformed event %v in %.200q", path, err, s[:end])
		}
		evs = append(evs, e)
		s = strings.TrimSpace(s[end+len("</event>"):])
	}
	if complete && s != "</stream>" {
		t.Errorf("%s: unexpected text after the last event: %.200q", path, s)
	}
	return evs, complete
}

// checkInputLog fails the test for any line of an input's log that is
// not INFO: warnings of refused or broken requests, errors.
func checkInputLog(t *testing.T, p *proc) {
	t.Helper()
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !strings.HasPrefix(l, "INFO ") {
			t.Errorf("%s logged: %s", p.name, l)
		}
	}
}
