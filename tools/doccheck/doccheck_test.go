package doccheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/tools/conf"
)

var root = filepath.Join("..", "..")

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// files returns the repository's files matching the globs, relative to
// the root, skipping what Git ignores (build outputs) and testdata.
func files(t *testing.T, globs ...string) []string {
	t.Helper()
	var out []string
	for _, g := range globs {
		m, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, "dist/") || strings.Contains(rel, "/testdata/") {
				continue
			}
			// Only files: a glob such as bench/* also matches bench/out,
			// the folder bench scripts write their results to.
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			out = append(out, rel)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// docs are the documentation files people read.
func docs(t *testing.T) []string {
	return files(t, "*.md", "docs/*.md", "README/*", "bin/README", "tools/pkgreadme/package.md")
}

func TestReadmeUnder200Lines(t *testing.T) {
	if n := strings.Count(read(t, "README.md"), "\n"); n >= 200 {
		t.Errorf("README.md has %d lines; keep it under 200 and link to docs/", n)
	}
}

// TestReadmeCommands checks that the README's two first commands still
// name what exists: the sample, the scan command and build.sh's test.
func TestReadmeCommands(t *testing.T) {
	r := read(t, "README.md")
	block := r[strings.Index(r, "```sh\n")+6:]
	block = block[:strings.Index(block, "```")]
	lines := strings.Split(strings.TrimSpace(block), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "go run ./cmd/kubeprivpod scan testdata/audit.log ") || !strings.HasPrefix(lines[1], "./build.sh test ") {
		t.Fatalf("README's first block is not the two commands:\n%s", block)
	}
	for _, p := range []string{"cmd/kubeprivpod/scan.go", "testdata/audit.log", "build.sh"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Error(err)
		}
	}
}

var (
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
)

// slug is GitHub's anchor for a heading: lower case, punctuation other than
// - and _ dropped, spaces as -.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestLinks resolves every relative Markdown link of the documentation,
// and its #anchor against the target's headings.
func TestLinks(t *testing.T) {
	// tools/pkgreadme/package.md is left out: its links are to files of the
	// built package, which tools/pkgcheck resolves there.
	for _, d := range files(t, "*.md", "docs/*.md") {
		text := read(t, d)
		for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
			target, anchor, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			rel := d
			if target != "" {
				rel = filepath.ToSlash(filepath.Join(filepath.Dir(d), target))
				if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
					t.Errorf("%s: link %s: no such file", d, m[1])
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(rel, ".md") {
				var slugs []string
				for _, h := range headingRE.FindAllStringSubmatch(read(t, rel), -1) {
					slugs = append(slugs, slug(h[1]))
				}
				if !slices.Contains(slugs, anchor) {
					t.Errorf("%s: link %s: %s has no heading #%s", d, m[1], rel, anchor)
				}
			}
		}
	}
}

// TestNoDanglingReferences finds "… notes below" / "section above" style
// references and requires a heading of the same document to name them.
func TestNoDanglingReferences(t *testing.T) {
	ref := regexp.MustCompile(`(?i)\bsee (?:the )?([A-Za-z][\w &-]{1,40}?) (?:notes|section|sections) (?:below|above)`)
	for _, d := range docs(t) {
		text := read(t, d)
		headings := strings.ToLower(strings.Join(headingRE.FindAllString(text, -1), "\n"))
		for _, m := range ref.FindAllStringSubmatch(text, -1) {
			if !strings.Contains(headings, strings.ToLower(m[1])) {
				t.Errorf("%s: %q refers to a section this document does not have", d, m[0])
			}
		}
	}
}

var processNoteRE = regexp.MustCompile(`(?i)\bissues? \d+\b|\bpoint \d+ of\b|\bthe lead\b|\bonce the section\b|\bthe brief\b|\bbrief's\b|\bhelper merges\b|written by the \w+ helper`)

// TestNoProcessNotes keeps notes about how the work was organised out of
// what users and maintainers read: docs, tests, scripts and comments.
func TestNoProcessNotes(t *testing.T) {
	var all []string
	all = append(all, docs(t)...)
	all = append(all, files(t, "*.sh", "bench/*", ".ci/*", "app/*/*.yml", "default/*.conf")...)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "dist" || p == filepath.Join(root, "bench", "out")) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") {
			rel, _ := filepath.Rel(root, p)
			all = append(all, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	self := "tools/doccheck/doccheck_test.go"
	for _, f := range all {
		if f == self {
			continue
		}
		for i, l := range strings.Split(read(t, f), "\n") {
			if m := processNoteRE.FindString(l); m != "" {
				t.Errorf("%s:%d: process note %q: %s", f, i+1, m, strings.TrimSpace(l))
			}
		}
	}
}

// TestOneIndex checks that every example and default names the app's one
// index, kube_audit (or splunkd's own _internal for its logs), and that
// the index is defined and the macro searches it.
func TestOneIndex(t *testing.T) {
	indexRE := regexp.MustCompile(`\bindex\s*=\s*"?([A-Za-z0-9_-]+)`)
	for _, f := range append(docs(t), files(t, "default/*.conf", "app/*/*.yml", "default/data/ui/views/*.xml")...) {
		for i, l := range strings.Split(read(t, f), "\n") {
			for _, m := range indexRE.FindAllStringSubmatch(l, -1) {
				if m[1] != "kube_audit" && m[1] != "_internal" {
					t.Errorf("%s:%d: index %s; every example and default uses kube_audit: %s", f, i+1, m[1], strings.TrimSpace(l))
				}
			}
		}
	}
	ix, err := conf.Parse("indexes.conf", []byte(read(t, "default/indexes.conf")))
	if err != nil || ix.Stanza("kube_audit") == nil {
		t.Errorf("default/indexes.conf defines no [kube_audit] (%v)", err)
	}
	mc, err := conf.Parse("macros.conf", []byte(read(t, "default/macros.conf")))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := mc.Stanza("kube_audit").Get("definition"); !strings.HasPrefix(d, "index=kube_audit ") {
		t.Errorf("kube_audit macro %q does not name the index kube_audit", d)
	}
}

// TestOneAppName: the label Splunk shows, the package id, the manifest
// and the docs all call the app kubeprivpod; the old label is gone.
func TestOneAppName(t *testing.T) {
	app, err := conf.Parse("app.conf", []byte(read(t, "default/app.conf")))
	if err != nil {
		t.Fatal(err)
	}
	label, _ := app.Stanza("ui").Get("label")
	id, _ := app.Stanza("package").Get("id")
	if label != "kubeprivpod" || id != "kubeprivpod" {
		t.Errorf("app.conf label %q, id %q; the app has one name, kubeprivpod", label, id)
	}
	if !strings.Contains(read(t, "app.manifest"), `"title": "kubeprivpod"`) {
		t.Error(`app.manifest's title is not "kubeprivpod"`)
	}
	for _, f := range append(docs(t), files(t, "default/*.conf", "default/data/ui/views/*.xml")...) {
		if strings.Contains(read(t, f), "Kubernetes Privileged Pods") {
			t.Errorf("%s calls the app \"Kubernetes Privileged Pods\"; its name is kubeprivpod", f)
		}
	}
}

// TestOneMemoryStatement: the webhook input's memory bound in terms of
// max_body_bytes is stated in docs/webhook.md only.
func TestOneMemoryStatement(t *testing.T) {
	bound := regexp.MustCompile("(?i)memory[^.]*(?:×|times)[^.]*max_body_bytes|max_body_bytes[^.]*memory")
	var in []string
	for _, f := range docs(t) {
		if bound.MatchString(strings.ReplaceAll(read(t, f), "\n", " ")) {
			in = append(in, f)
		}
	}
	if !slices.Equal(in, []string{"docs/webhook.md"}) {
		t.Errorf("the webhook's memory bound is stated in %q; state it once, in docs/webhook.md, and link there", in)
	}
}

// TestWebhookSetupHolds checks two setup statements against Kubernetes'
// behaviour: apiserver_audit_error_total exists only after the first
// error, so a check must not expect grep to print it; and in the audit
// policy the first matching rule wins, so the comment on the rule that
// drops reads must not claim every read is dropped when an earlier rule
// keeps secrets and config maps at Metadata.
func TestWebhookSetupHolds(t *testing.T) {
	w := read(t, "docs/webhook.md")
	for _, l := range strings.Split(w, "\n") {
		if strings.Contains(l, "grep apiserver_audit_error_total") {
			t.Errorf("docs/webhook.md: %q prints nothing on a healthy API server: the series appears with the first error", strings.TrimSpace(l))
		}
	}
	if !strings.Contains(w, "apiserver_audit_event_total") {
		t.Error("docs/webhook.md: the metrics check should show apiserver_audit_event_total growing")
	}
	i := strings.Index(w, "kind: Policy")
	if i < 0 {
		t.Fatal("docs/webhook.md has no audit policy")
	}
	policy := w[i:]
	policy = policy[:strings.Index(policy, "```")]
	none := strings.Index(policy, "- level: None")
	if none < 0 || !strings.Contains(policy[:none], `"secrets"`) {
		return
	}
	lines := strings.Split(strings.TrimRight(policy[:none], " \t\n"), "\n")
	comment := ""
	for j := len(lines) - 1; j >= 0 && strings.HasPrefix(strings.TrimSpace(lines[j]), "#"); j-- {
		comment = lines[j] + comment
	}
	if !strings.Contains(comment, "secrets") {
		t.Errorf("docs/webhook.md: the comment on the rule that drops reads (%q) ignores that reads of secrets and config maps matched the earlier Metadata rule", strings.TrimSpace(comment))
	}
}

// TestAdminDocMatchesDetections: docs/admin.md documents, per detection,
// the risk message and the throttling the rendered conf carries.
func TestAdminDocMatchesDetections(t *testing.T) {
	admin := read(t, "docs/admin.md")
	ss, err := conf.Parse("savedsearches.conf", []byte(read(t, "default/savedsearches.conf")))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss.Stanzas {
		if !strings.Contains(admin, "`"+s.Name+"`") {
			t.Errorf("docs/admin.md does not name the saved search %q", s.Name)
		}
		if f, ok := s.Get("alert.suppress.fields"); ok {
			p, _ := s.Get("alert.suppress.period")
			if !strings.Contains(admin, "`"+f+"`") || !strings.Contains(admin, "`"+p+"`") {
				t.Errorf("docs/admin.md does not document %q's throttling (%s for %s)", s.Name, f, p)
			}
		}
		if msg, _ := s.Get("action.risk.param._risk_message"); msg != "$message$" && !strings.Contains(admin, msg) {
			t.Errorf("docs/admin.md does not quote %q's risk message %q", s.Name, msg)
		}
	}
	for _, want := range []string{"| throttling |", "| drilldowns |", "| risk object |"} {
		if !strings.Contains(admin, want) {
			t.Errorf("docs/admin.md lacks the per-detection row %q", want)
		}
	}
}

// TestBuildShHelp runs `./build.sh help`: exit 0 and every command
// explained; an unknown command prints the same and fails.
func TestBuildShHelp(t *testing.T) {
	cmd := exec.Command("bash", "build.sh", "help")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("build.sh help: %v\n%s", err, out)
	}
	for _, c := range []string{"./build.sh test", "./build.sh conf", "./build.sh clean", "./build.sh help"} {
		if !bytes.Contains(out, []byte(c)) {
			t.Errorf("build.sh help does not explain %s:\n%s", c, out)
		}
	}
	cmd = exec.Command("bash", "build.sh", "bogus")
	cmd.Dir = root
	out, err = cmd.CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("unknown command 'bogus'")) || !bytes.Contains(out, []byte("./build.sh test")) {
		t.Errorf("build.sh bogus: err %v\n%s", err, out)
	}
}
