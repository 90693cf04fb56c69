package extended

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Changes, not restatements. A patch is judged by its result (the
// response object) when the event holds it, but it is a new finding only
// if the patch document itself reaches what gives the access: a field
// that grants node access, or the code (image, command, args, lifecycle
// hooks) of a container that has it. A label, annotation, finalizer or
// replica-count patch of a privileged workload is not a new privileged
// workload.

// patchChanges decides whether a patch event whose body is its response
// object is a finding (keep), and lists the code fields it sets on
// containers that have node access, as "<field>:<container>". Events that
// are not such patches are kept unchanged.
func (d *Detector) patchChanges(e *event, body gjson.Result) (changed []string, keep bool) {
	if e.verb != "patch" || !(e.request.IsObject() || e.request.IsArray()) {
		return nil, true
	}
	if resp := e.response; !resp.IsObject() || isStatus(resp) {
		return nil, true // the body is the patch document itself
	}
	in := &d.pin
	in.reset()
	switch {
	case e.request.IsArray():
		in.jsonPatch(e.request, e.watch.spec)
	case e.sub == ephemeralSubresource && e.request.Get("kind").Str == "EphemeralContainers":
		in.podSpec(e.request)
	default:
		e.inspectObject(in, e.request)
	}
	if !in.touchSpec {
		return nil, false
	}
	podLevel := false
	for _, f := range d.in.facts {
		if f.container == "" {
			podLevel = true
		}
	}
	for _, c := range in.ctrs {
		set := c.set()
		if len(set) == 0 {
			continue
		}
		label := resolveLabel(c.label, body, e.watch.spec)
		if !podLevel && !d.in.hasContainer(label) {
			continue
		}
		for _, f := range set {
			changed = append(changed, f+":"+label)
		}
	}
	if !in.touchAccess && len(in.facts) == 0 && len(changed) == 0 {
		return nil, false
	}
	return changed, true
}

// hasContainer reports whether a fact is about the container labelled
// label.
func (in *inspector) hasContainer(label string) bool {
	for _, f := range in.facts {
		if f.container == label {
			return true
		}
	}
	return false
}

// resolveLabel names a container a JSON patch addresses by index
// ("containers/#1", "containers/#new" for "-") by its name in the
// patched object.
func resolveLabel(label string, obj gjson.Result, spec []string) string {
	list, name, _ := strings.Cut(label, "/")
	if !strings.HasPrefix(name, "#") {
		return label
	}
	s := obj
	for _, t := range spec {
		s = s.Get(t)
	}
	arr := s.Get(list).Array()
	i := len(arr) - 1
	if name != "#new" {
		n, err := strconv.Atoi(name[1:])
		if err != nil {
			return label
		}
		i = n
	}
	if i < 0 || i >= len(arr) {
		return label
	}
	if n := arr[i].Get("name"); n.Type == gjson.String && n.Str != "" {
		return list + "/" + n.Str
	}
	return label
}

// changeClause says what a patch changed, for the message: "the patch
// changes the image of container calico-node (now evil/x:1)".
func (d *Detector) changeClause(changed []string) string {
	var labels []string
	fields := map[string][]string{}
	for _, c := range changed {
		f, label, _ := strings.Cut(c, ":")
		if _, ok := fields[label]; !ok {
			labels = append(labels, label)
		}
		fields[label] = append(fields[label], f)
	}
	parts := make([]string, len(labels))
	for i, label := range labels {
		list, name, _ := strings.Cut(label, "/")
		p := "the patch changes the " + strings.Join(fields[label], " and ") + " of " + listNoun(list) + " " + name
		if contains(fields[label], "image") {
			if im := d.in.image(label); im != "" {
				p += " (now " + im + ")"
			}
		}
		parts[i] = p
	}
	return strings.Join(parts, "; ")
}

// maxSpecBytes bounds the code judgedCode keeps to memoize fingerprints:
// past it, the memo starts anew.
const maxSpecBytes = 1 << 20

// judgedCode returns the images of the containers with node access (all
// containers when the pod itself has it), appended to dst, and a
// fingerprint of their code, so that pods of one owner made from another
// image or command are not folded into the same row.
func (d *Detector) judgedCode(dst, containers []string, podLevel bool) ([]string, string) {
	b := d.specBuf[:0]
	for i := range d.in.ctrs {
		c := &d.in.ctrs[i]
		if !podLevel && !contains(containers, c.label) {
			continue
		}
		if c.image != "" && !contains(dst, c.image) {
			dst = append(dst, c.image)
		}
		if c.code != [len(codeFields)]string{} {
			b = appendString(b, c.label)
			for _, raw := range c.code {
				b = appendString(b, raw)
			}
		}
	}
	d.specBuf = b
	if len(b) == 0 {
		return dst, ""
	}
	if s, ok := d.specSums[string(b)]; ok {
		return dst, s
	}
	sum := sha256.Sum256(b)
	var h [16]byte
	hex.Encode(h[:], sum[:8])
	s := string(h[:])
	if d.specSums == nil || d.specBytes > maxSpecBytes {
		d.specSums, d.specBytes = map[string]string{}, 0
	}
	d.specSums[string(b)] = s
	d.specBytes += len(b)
	return dst, s
}

// objectVersion keys a version of an object.
func objectVersion(f *finding, rv string) string {
	return f.Resource + "\x00" + f.Namespace + "\x00" + f.Name + "\x00" + rv
}

// madeVersions indexes the findings by the object version their write
// produced.
func madeVersions(reqs []*request) map[string]*finding {
	m := map[string]*finding{}
	for _, q := range reqs {
		if made := q.ver.madeRV(); made != "" && q.fin.Outcome == OutcomeAllowed {
			k := objectVersion(q.fin, made)
			if _, ok := m[k]; !ok {
				m[k] = q.fin
			}
		}
	}
	return m
}

// restates reports an update whose previous version is in the search and
// judges exactly the same: it grants nothing new.
func restates(q *request, made map[string]*finding) bool {
	base := q.ver.baseRV()
	if q.fin.Verb != "update" || base == "" {
		return false
	}
	p := made[objectVersion(q.fin, base)]
	return p != nil && p.sameJudged(q.fin)
}

// countVariants sets, on each folded row, how many other specs the same
// owner's objects were made from in the search.
func countVariants(gs []*group) {
	specs := map[string]map[string]bool{}
	key := func(g *group) (owner, spec string) {
		f := g.fin
		return f.Resource + "\x00" + f.Namespace + "\x00" + f.Owner,
			strings.Join([]string{strings.Join(f.Containers, "\x01"), strings.Join(f.Images, "\x01"),
				strings.Join(f.Reasons, "\x01"), f.Spec, f.Detail}, "\x00")
	}
	for _, g := range gs {
		if !g.folded {
			continue
		}
		o, s := key(g)
		if specs[o] == nil {
			specs[o] = map[string]bool{}
		}
		specs[o][s] = true
	}
	for _, g := range gs {
		if g.folded {
			o, _ := key(g)
			g.variants = len(specs[o]) - 1
		}
	}
}
