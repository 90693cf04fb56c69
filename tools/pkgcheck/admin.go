package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/tools/conf"
)

// Manifest checks app.manifest (the Splunk packaging toolkit's app
// description): JSON of schema 2.0.0 whose app name and version are
// app.conf's.
func Manifest(p *Package) []error {
	f := p.File("app.manifest")
	if f == nil {
		return []error{problem(p.Top()+"/app.manifest", "missing")}
	}
	var m struct {
		SchemaVersion string `json:"schemaVersion"`
		Info          struct {
			Title string `json:"title"`
			ID    struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"id"`
			License struct {
				Text string `json:"text"`
			} `json:"license"`
		} `json:"info"`
	}
	if err := json.Unmarshal(f.Data, &m); err != nil {
		return []error{problem(f.Name, "not JSON: %v", err)}
	}
	var errs []error
	if m.SchemaVersion != "2.0.0" {
		errs = append(errs, problem(f.Name, "schemaVersion %q, want 2.0.0", m.SchemaVersion))
	}
	if m.Info.ID.Name != p.Top() {
		errs = append(errs, problem(f.Name, "info.id.name %q differs from the package folder %q", m.Info.ID.Name, p.Top()))
	}
	if lt := m.Info.License.Text; lt != "" && p.File(lt) == nil {
		errs = append(errs, problem(f.Name, "info.license.text %q is not a file of the package", lt))
	}
	if c, err := conf.Parse("app.conf", dataOf(p.File("default/app.conf"))); err == nil {
		if s := c.Stanza("launcher"); s != nil {
			if v, _ := s.Get("version"); v != m.Info.ID.Version {
				errs = append(errs, problem(f.Name, "info.id.version %q differs from app.conf's [launcher] version %q", m.Info.ID.Version, v))
			}
		}
		if s := c.Stanza("ui"); s != nil {
			if l, _ := s.Get("label"); l != m.Info.Title {
				errs = append(errs, problem(f.Name, "info.title %q differs from app.conf's [ui] label %q: the app has one name", m.Info.Title, l))
			}
		}
	}
	return errs
}

func dataOf(f *File) []byte {
	if f == nil {
		return nil
	}
	return f.Data
}

var (
	mdLinkRE     = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	sectionRefRE = regexp.MustCompile(`section[\s#]+"([^"]+)"`)
	docsRefRE    = regexp.MustCompile(`\bdocs/[A-Za-z0-9_./-]+`)
)

// Links checks that the package's own documentation (its README, the
// README/ folder, bin/README) refers only to what the package holds:
// relative Markdown links resolve to packaged files, no docs/ path (the
// repository's docs do not ship), and every `section "X"` names a heading
// of the package README.
func Links(p *Package) []error {
	var errs []error
	readme := string(dataOf(p.File("README.md")))
	var docs []*File
	for _, f := range p.Files {
		rel := p.Rel(f)
		if !f.Dir && (strings.HasSuffix(rel, ".md") || strings.HasPrefix(rel, "README/") || path.Base(rel) == "README") {
			docs = append(docs, f)
		}
	}
	for _, f := range docs {
		text := string(f.Data)
		dir := path.Dir(p.Rel(f))
		for _, m := range mdLinkRE.FindAllStringSubmatch(text, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if rel := path.Clean(path.Join(dir, target)); p.File(rel) == nil && !p.hasDir(rel) {
				errs = append(errs, problem(f.Name, "links to %s, which is not in the package", m[1]))
			}
		}
		for _, m := range docsRefRE.FindAllString(text, -1) {
			errs = append(errs, problem(f.Name, "refers to %s; docs/ does not ship in the package", m))
		}
		for _, m := range sectionRefRE.FindAllStringSubmatch(text, -1) {
			if _, ok := mdSection(readme, m[1]); !ok {
				errs = append(errs, problem(f.Name, "refers to section %q, which the package README lacks", m[1]))
			}
		}
	}
	return errs
}

// hasDir reports whether the package holds a folder at rel.
func (p *Package) hasDir(rel string) bool {
	want := p.Top() + "/" + rel
	for _, f := range p.Files {
		if f.Dir && f.Name == want || strings.HasPrefix(f.Name, want+"/") {
			return true
		}
	}
	return false
}

var indexRE = regexp.MustCompile(`\bindex\s*=\s*"?([A-Za-z0-9_-]+)`)

// Indexes checks that events can reach the detections: the index the
// kube_audit macro searches is defined in indexes.conf (with paths under
// $SPLUNK_DB, as AppInspect requires) and is the index the webhook input
// writes to by default and in its example.
func Indexes(p *Package) []error {
	var errs []error
	macros := macroDefs(p, &errs)
	m := indexRE.FindAllStringSubmatch(macros["kube_audit"], -1)
	if len(m) != 1 {
		return append(errs, problem(p.Top()+"/default/macros.conf", "[kube_audit] must name exactly one index, names %d", len(m)))
	}
	index := m[0][1]
	if c := confFile(p, "default/indexes.conf", &errs); c != nil {
		s := c.Stanza(index)
		if s == nil {
			errs = append(errs, problem(c.Name, "no [%s] stanza for the index the kube_audit macro searches", index))
		} else {
			for _, k := range []string{"homePath", "coldPath", "thawedPath"} {
				if v, _ := s.Get(k); !strings.HasPrefix(v, "$SPLUNK_DB/") {
					errs = append(errs, problem(c.Name, "[%s] %s = %q; it must start with $SPLUNK_DB/", index, k, v))
				}
			}
		}
	}
	if c := confFile(p, "default/inputs.conf", &errs); c != nil {
		for _, s := range c.Stanzas {
			if s.Name != "kube_audit_webhook" && !strings.HasPrefix(s.Name, "kube_audit_webhook://") {
				continue
			}
			v, ok := s.Get("index")
			if s.Name == "kube_audit_webhook" && !ok {
				errs = append(errs, problem(c.Name, "[%s] sets no default index; events would go to the forwarder's default, not %s", s.Name, index))
			}
			if ok && v != index {
				errs = append(errs, problem(c.Name, "[%s] index = %s, but the kube_audit macro searches %s", s.Name, v, index))
			}
		}
	}
	return errs
}

// node is an element of a Simple XML document, kept as a tree.
type node struct {
	Name     string
	Attr     map[string]string
	Children []*node
	Text     string
}

func parseXML(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				if len(stack) != 1 {
					return nil, fmt.Errorf("unclosed <%s>", stack[len(stack)-1].Name)
				}
				return root, nil
			}
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{Name: t.Name.Local, Attr: map[string]string{}}
			for _, a := range t.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			top.Children = append(top.Children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.Text += string(t)
		}
	}
}

// all returns the descendants of n named name, in document order.
func (n *node) all(name string) []*node {
	var out []*node
	for _, c := range n.Children {
		if c.Name == name {
			out = append(out, c)
		}
		out = append(out, c.all(name)...)
	}
	return out
}

func (n *node) child(name string) *node {
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// outcomes are the values of the extended mode's outcome column.
var outcomes = []string{"allowed", "denied", "failed", "dry-run", "unknown"}

// Dashboard checks what the dashboard promises: its outcome filter offers
// every outcome and applies to every panel that shows findings, and it
// says so when the kube_audit macro finds no event at all, so that an
// empty dashboard is not read as a clean cluster.
func Dashboard(p *Package) []error {
	f := p.File("default/data/ui/views/kubeprivpod_overview.xml")
	if f == nil {
		return []error{problem(p.Top()+"/default/data/ui/views/kubeprivpod_overview.xml", "missing")}
	}
	return dashboardProblems(f.Name, f.Data)
}

func dashboardProblems(name string, data []byte) []error {
	root, err := parseXML(data)
	if err != nil {
		return []error{problem(name, "not well-formed XML: %v", err)}
	}
	var errs []error
	var choices []string
	for _, in := range root.all("input") {
		if in.Attr["token"] == "outcome" {
			for _, c := range in.all("choice") {
				choices = append(choices, c.Attr["value"])
			}
		}
	}
	for _, o := range outcomes {
		if !slices.Contains(choices, o) {
			errs = append(errs, problem(name, "the outcome filter offers no %q (it offers %q)", o, choices))
		}
	}
	panels := 0
	for _, panel := range root.all("panel") {
		for _, s := range panel.all("search") {
			panels++
			q := ""
			if qn := s.child("query"); qn != nil {
				q = qn.Text
			}
			if !strings.Contains(q, "$outcome$") {
				title := ""
				if t := panel.child("title"); t != nil {
					title = t.Text
				}
				errs = append(errs, problem(name, "panel %q does not filter on $outcome$: %s", title, strings.TrimSpace(q)))
			}
		}
	}
	if panels == 0 {
		errs = append(errs, problem(name, "no panel with a search"))
	}
	// The no-data notice: a search of the macro alone whose <done> sets a
	// token when it finds nothing, and a row or panel shown on that token.
	warned := false
	for _, s := range root.all("search") {
		q := s.child("query")
		done := s.child("done")
		if q == nil || done == nil || !strings.HasPrefix(strings.TrimSpace(q.Text), "`kube_audit`") || strings.Contains(q.Text, "kubeprivpod") {
			continue
		}
		for _, c := range done.all("condition") {
			set := c.child("set")
			if set == nil || !strings.Contains(c.Attr["match"], "== 0") {
				continue
			}
			tok := "$" + set.Attr["token"] + "$"
			for _, el := range append(root.all("row"), root.all("panel")...) {
				if el.Attr["depends"] == tok && len(el.all("html")) > 0 {
					warned = true
				}
			}
		}
	}
	if !warned {
		errs = append(errs, problem(name, "nothing tells the user when the kube_audit macro finds no audit events (a search of `kube_audit` whose <done> sets a token on 0 results, and an <html> row depending on it)"))
	}
	return errs
}
