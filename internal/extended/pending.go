package extended

import (
	"sort"
	"strings"

	"github.com/tidwall/gjson"
)

// A patch logged without its result (audit level Request, as the
// documented policy sets) shows only what it changes. When it changes the
// code of a container (kubectl set image, kubectl edit of a command), the
// container's access is in an earlier version of the object: the last
// write of that object in the search. Such a patch is kept as a pending
// finding, and Result judges it against that version; with no version in
// the search, or one that gave the changed container no node access, it
// is no row. An image swap in a privileged DaemonSet at level Request is
// thereby reported with its author, not only through the controller's
// pods.

// mayPatchCode reports whether an event the pre-filter would skip may be
// a patch that sets a container's code: its verb is patch and its bytes
// can spell a code field (an escaped letter is left to mayFind).
func mayPatchCode(s string) bool {
	// Any spelling of the verb patch holds these bytes (a \u escape is
	// mayFind's); most writes are creates, which this rules out without a
	// look-up.
	if !strings.Contains(s, "patch") {
		return false
	}
	v := gjson.Get(s, "verb")
	if v.Type != gjson.String || v.Str != "patch" {
		return false
	}
	return strings.Contains(s, "image") || strings.Contains(s, "command") ||
		strings.Contains(s, "args") || strings.Contains(s, "lifecycle")
}

// pendingPatch records a patch without its result that sets the code of a
// container, for Result to judge; d.in holds what the patch document says.
func (d *Detector) pendingPatch(e *event, body gjson.Result) {
	if e.verb != "patch" {
		return
	}
	if resp := e.response; resp.IsObject() && !isStatus(resp) {
		return // judged by its result, which has no access
	}
	var changed []string
	for i := range d.in.ctrs {
		for _, f := range d.in.ctrs[i].set() {
			changed = append(changed, f+":"+d.in.ctrs[i].label)
		}
	}
	if len(changed) == 0 {
		return
	}
	if !e.valid() {
		d.notObject(e.raw)
		return
	}
	r := d.candidate(e, body, changed)
	r.Images, r.Spec = d.judgedCode(r.Images[:0], nil, true)
	r.Pend = true
	r.coerceUTF8()
	d.add(r, false)
	d.cand.forget()
}

// podLevelReasons are the reasons every container of a pod shares.
var podLevelReasons = map[string]bool{ReasonHostPID: true, ReasonHostIPC: true, ReasonHostNetwork: true}

// versionIndex holds, per object, the allowed writes with findings, by
// time, to find the version a pending patch changed.
type versionIndex map[string][]*request

func objectKey(f *finding) string {
	return f.Resource + "\x00" + f.Namespace + "\x00" + f.Name
}

func indexVersions(reqs []*request) versionIndex {
	idx := versionIndex{}
	for _, q := range reqs {
		if q.fin.Pend || q.fin.Outcome != OutcomeAllowed || q.time.nano == 0 || q.fin.Name == "" {
			continue
		}
		k := objectKey(q.fin)
		idx[k] = append(idx[k], q)
	}
	for _, l := range idx {
		sort.Slice(l, func(i, j int) bool {
			a, b := l[i], l[j]
			if a.time.nano != b.time.nano {
				return a.time.nano < b.time.nano
			}
			return a.fin.groupKey(false) < b.fin.groupKey(false)
		})
	}
	return idx
}

// resolve returns the finding of a pending patch judged against the last
// earlier version of its object in the search, or nil when there is none
// or the changed containers had no node access there.
func (idx versionIndex) resolve(q *request) *finding {
	p := q.fin
	l := idx[objectKey(p)]
	i := sort.Search(len(l), func(i int) bool { return l[i].time.nano >= q.time.nano })
	if i == 0 {
		return nil
	}
	prev := l[i-1]
	pf := prev.fin
	podLevel := false
	for _, r := range pf.Reasons {
		if podLevelReasons[r] {
			podLevel = true
		}
	}
	var changed []string
	for _, c := range p.Changed {
		_, label, _ := strings.Cut(c, ":")
		_, name, _ := strings.Cut(label, "/")
		// A JSON patch names the container by index: the earlier version
		// cannot say which one it is, so it counts.
		if podLevel || contains(pf.Containers, label) || strings.HasPrefix(name, "#") {
			changed = append(changed, c)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	images := append([]string(nil), p.Images...)
	for _, im := range pf.Images {
		if !contains(images, im) {
			images = append(images, im)
		}
	}
	noun := "object"
	if w := resources[pf.Resource]; w != nil {
		noun = w.noun
	}
	detail := p.Detail + ", which in the last version of this " + noun + " seen in this search (" + pastTense(pf.Verb) +
		" by " + orUnknown(pf.User) + " at " + stampText(prev.time, prev.form) + ") had node access: " + pf.Detail
	return &finding{
		User: p.User, UserAgent: p.UserAgent, Verb: p.Verb, Resource: p.Resource, Sub: p.Sub, Namespace: p.Namespace,
		Name: p.Name, Outcome: p.Outcome, Owner: p.Owner, Detail: detail, Spec: p.Spec,
		Containers: pf.Containers, Images: images, Reasons: pf.Reasons, Changed: changed, Risk: pf.Risk,
	}
}

func orUnknown(user string) string {
	if user == "" {
		return "an unknown user"
	}
	return user
}
