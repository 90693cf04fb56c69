package extended

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// fact is one node-escape signal found in a request body.
type fact struct {
	reason    string // e.g. "privileged", "hostPath:/etc"
	score     int
	container string // "<list>/<name>", or "" for a pod-level signal
	text      string // clause for the row's message
}

// The container lists of a pod spec, in the order they are reported.
var containerLists = [...]string{"containers", "initContainers", "ephemeralContainers"}

// listNoun names a container list's members in messages.
func listNoun(list string) string {
	switch list {
	case "initContainers":
		return "init container"
	case "ephemeralContainers":
		return "ephemeral container"
	}
	return "container"
}

// inspector collects the facts of one request body. Only JSON booleans
// count as true: the string "true", a privileged field at the wrong level
// or text inside an env var are ignored, as Kubernetes ignores them.
//
// It also notes what the body touches, which matters when the body is a
// patch document: whether it reaches the pod spec at all, whether it sets
// a field that grants node access (touchAccess), and which containers'
// code (image, command, args, lifecycle hooks) it sets.
type inspector struct {
	facts []fact
	ctrs  []ctrInfo // the containers walked, in order

	touchSpec   bool // a pod spec (or part of one) was walked
	touchAccess bool // a key that can grant node access was set

	// valid says the body is known valid JSON (the event was validated):
	// each and get may then walk it with jsonscan's skippers.
	valid bool

	order []fact // sorted's result, reused from finding to finding

	// scores holds hostPathScore's answers by path, kept from body to
	// body (see scoreOf).
	scores map[string]int
}

// ctrInfo is what a body says about one container.
type ctrInfo struct {
	label string                  // "<list>/<name>"
	image string                  // "" when the body does not set it
	code  [len(codeFields)]string // the raw JSON of each code field the body sets ("" if not); aliases the input
}

// set returns the code fields the body sets on the container.
func (c *ctrInfo) set() []string {
	var out []string
	for i, raw := range c.code {
		if raw != "" {
			out = append(out, codeFields[i])
		}
	}
	return out
}

// codeFields are the container fields that decide what code runs: a patch
// setting one of them on a container with node access runs new code with
// that access.
var codeFields = [...]string{"image", "command", "args", "lifecycle"}

func (in *inspector) reset() {
	in.facts = in.facts[:0]
	clear(in.ctrs)
	in.ctrs = in.ctrs[:0]
	in.touchSpec, in.touchAccess = false, false
}

// image returns the image of the container labelled label, or "".
func (in *inspector) image(label string) string {
	for _, c := range in.ctrs {
		if c.label == label {
			return c.image
		}
	}
	return ""
}

func (in *inspector) add(f fact) {
	for _, g := range in.facts {
		if g.reason == f.reason && g.container == f.container {
			return
		}
	}
	in.facts = append(in.facts, f)
}

// object inspects a whole object, or a strategic-merge or JSON merge patch
// (both have the object's shape), at the resource's pod spec path.
func (in *inspector) object(body gjson.Result, spec []string) {
	s := body
	for _, t := range spec {
		s = in.get(s, t)
	}
	if s.IsObject() {
		in.podSpec(s)
	}
}

type hostVolume struct {
	name, path string
}

// runAs is what a securityContext says about the user a container runs
// as. set* tell whether the field is given (JSON null is not: the API
// server decodes it as unset), so a container's value can override the
// pod's.
type runAs struct {
	userSet, userRoot      bool // runAsUser given; it is the JSON number 0
	nonRootSet, nonRootOff bool // runAsNonRoot given; it is the JSON boolean false
}

// read records the runAsUser or runAsNonRoot member k (other keys are
// ignored); the last of duplicate keys wins.
func (r *runAs) read(k string, v gjson.Result) {
	switch k {
	case "runAsUser":
		r.userSet = v.Exists() && v.Type != gjson.Null
		// Only an integer zero decodes into the int64 field as 0.
		r.userRoot = v.Type == gjson.Number && (v.Raw == "0" || v.Raw == "-0")
	case "runAsNonRoot":
		r.nonRootSet = v.Exists() && v.Type != gjson.Null
		r.nonRootOff = v.Type == gjson.False
	}
}

// over returns the effective setting of a container whose own
// securityContext says r, in a pod whose securityContext says pod: each
// field the container sets wins, the others are inherited.
func (r runAs) over(pod runAs) runAs {
	if !r.userSet {
		r.userSet, r.userRoot = pod.userSet, pod.userRoot
	}
	if !r.nonRootSet {
		r.nonRootSet, r.nonRootOff = pod.nonRootSet, pod.nonRootOff
	}
	return r
}

// verb says whether root is certain (runAsUser 0) or only not prevented
// (runAsNonRoot false: it depends on the image's user).
func (r runAs) verb() string {
	if r.userRoot {
		return "runs"
	}
	return "may run"
}

// why explains an effective root setting for a message, or returns ""
// when the container is not explicitly allowed to run as root.
func (r runAs) why() string {
	switch {
	case r.userRoot && r.nonRootOff:
		return "runAsUser 0, runAsNonRoot false"
	case r.userRoot:
		return "runAsUser 0"
	case r.nonRootOff && !r.userSet:
		// With a non-zero runAsUser the container does not run as root,
		// whatever runAsNonRoot says.
		return "runAsNonRoot false: the image's user, often root, is not checked"
	}
	return ""
}

// podSpec inspects a (possibly partial) pod spec in one pass over its
// keys. A key given twice counts as its last value, as when the API
// server decodes the request.
func (in *inspector) podSpec(s gjson.Result) {
	var hostPID, hostIPC, hostNetwork, hostProcess bool
	var pod runAs
	var volumes gjson.Result
	var lists [len(containerLists)]gjson.Result
	in.touchSpec = true
	in.each(s, func(k string, v gjson.Result) bool {
		switch k {
		case "hostPID", "hostIPC", "hostNetwork", "securityContext", "volumes":
			in.touchAccess = true
		}
		switch k {
		case "hostPID":
			hostPID = v.Type == gjson.True
		case "hostIPC":
			hostIPC = v.Type == gjson.True
		case "hostNetwork":
			hostNetwork = v.Type == gjson.True
		case "securityContext":
			hostProcess = v.IsObject() && in.get(in.get(v, "windowsOptions"), "hostProcess").Type == gjson.True
			pod = runAs{}
			if v.IsObject() {
				in.each(v, func(k string, v gjson.Result) bool {
					pod.read(k, v)
					return true
				})
			}
		case "volumes":
			volumes = v
		case "containers":
			lists[0] = v
		case "initContainers":
			lists[1] = v
		case "ephemeralContainers":
			lists[2] = v
		}
		return true
	})
	if hostPID {
		in.hostNamespace(ReasonHostPID)
	}
	if hostIPC {
		in.hostNamespace(ReasonHostIPC)
	}
	if hostNetwork {
		in.hostNamespace(ReasonHostNetwork)
	}
	var vols []hostVolume
	if volumes.IsArray() {
		in.each(volumes, func(_ string, v gjson.Result) bool {
			if v.IsObject() && !deleted(v) {
				if h := in.get(v, "hostPath"); h.IsObject() {
					vols = append(vols, hostVolume{name: in.get(v, "name").String(), path: in.get(h, "path").String()})
				}
			}
			return true
		})
	}
	mounted := make([]bool, len(vols))
	anyList := false
	for li, list := range containerLists {
		if !lists[li].IsArray() {
			continue
		}
		anyList = true
		i := 0
		in.each(lists[li], func(_ string, c gjson.Result) bool {
			in.container(list, c, "", i, vols, mounted, pod)
			i++
			return true
		})
	}
	// A pod-level root setting with no container in the request (a patch
	// of the pod's securityContext) applies to every stored container
	// that does not override it: report it for the pod.
	if why := pod.why(); why != "" && !anyList {
		in.add(fact{ReasonRunAsRoot, ScoreRunAsRoot, "", "the pod " + pod.verb() + " its containers as root unless they override it (pod " + why + ")"})
	}
	for i, v := range vols {
		if !mounted[i] {
			in.hostPath(v.path, "", volumeNoun(v.name)+" maps host path "+v.path+" (mounted by no container in this request)")
		}
	}
	if hostProcess {
		in.add(fact{ReasonHostProcess, ScoreHostProcess, "", "the pod runs as a Windows HostProcess (host-level access)"})
	}
}

func (in *inspector) hostNamespace(reason string) {
	switch reason {
	case ReasonHostPID:
		in.add(fact{reason, ScoreHostPID, "", "the pod shares the node's process namespace (hostPID)"})
	case ReasonHostIPC:
		in.add(fact{reason, ScoreHostIPC, "", "the pod shares the node's IPC namespace (hostIPC)"})
	case ReasonHostNetwork:
		in.add(fact{reason, ScoreHostNetwork, "", "the pod shares the node's network namespace (hostNetwork)"})
	}
}

func (in *inspector) hostPath(p, container, text string) {
	in.add(fact{ReasonHostPathPrefix + p, in.scoreOf(p), container, text})
}

// deleted reports a strategic-merge-patch list element that removes itself.
// Without a '$', written out or as the escape \u0024 (gjson decodes
// escapes in keys), the element has no $patch member: most are whole
// containers, which gjson's look-up would cross to the end. Other escapes
// are common there (Go writes < > & as \u003c \u003e \u0026).
func deleted(v gjson.Result) bool {
	if strings.IndexByte(v.Raw, '$') < 0 && !strings.Contains(v.Raw, `\u0024`) {
		return false
	}
	return deletedLookup(v)
}

// deletedLookup is deleted without its byte test.
func deletedLookup(v gjson.Result) bool { return v.Get(`\$patch`).Str == "delete" }

func volumeNoun(name string) string {
	if name == "" {
		return "an unnamed volume"
	}
	return "volume " + name
}

// container inspects one element of a container list in one pass over
// its keys (the last of duplicate keys wins). fallback names it when it
// has no name (a JSON patch may add bare fields), or when fallback is ""
// "#" and its index in the list; pod is the pod-level runAs setting the
// container inherits.
func (in *inspector) container(list string, c gjson.Result, fallback string, index int, vols []hostVolume, mounted []bool, pod runAs) {
	if !c.IsObject() || deleted(c) {
		return
	}
	var name string
	var sc, mounts gjson.Result
	var code [len(codeFields)]gjson.Result
	in.each(c, func(k string, v gjson.Result) bool {
		switch k {
		case "name":
			name = v.String()
		case "securityContext":
			sc = v
			in.touchAccess = true
		case "volumeMounts":
			mounts = v
			in.touchAccess = true
		case "image":
			code[0] = v
		case "command":
			code[1] = v
		case "args":
			code[2] = v
		case "lifecycle":
			code[3] = v
		}
		return true
	})
	if name == "" {
		name = fallback
		if name == "" {
			// Built here only: nearly every container has a name.
			name = "#" + strconv.Itoa(index)
		}
	}
	label := list + "/" + name
	ci := ctrInfo{label: label}
	if code[0].Type == gjson.String {
		ci.image = code[0].Str
	}
	for i, v := range code {
		ci.code[i] = v.Raw
	}
	in.ctrs = append(in.ctrs, ci)
	who := ctrWho{list, name, ci.image}
	in.securityContext(label, who, sc, pod)
	if len(vols) == 0 || !mounts.IsArray() {
		return
	}
	in.each(mounts, func(_ string, m gjson.Result) bool {
		if !m.IsObject() || deleted(m) {
			return true
		}
		mn := in.get(m, "name")
		for i, v := range vols {
			if mn.Type == gjson.String && mn.Str == v.name {
				mounted[i] = true
				in.hostPath(v.path, label, who.says(" mounts host path ", v.path))
			}
		}
		return true
	})
}

// ctrWho names a container in messages: its list's noun, its name and
// its image when the body sets one, so that the message says which code
// has the access. It is written out only for a fact: most containers
// yield none.
type ctrWho struct{ list, name, image string }

// says returns the container's name for a message followed by parts,
// built in one allocation.
func (w ctrWho) says(parts ...string) string {
	noun := listNoun(w.list)
	n := len(noun) + 1 + len(w.name)
	if w.image != "" {
		n += len(" (image ") + len(w.image) + 1
	}
	for _, p := range parts {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(noun)
	b.WriteByte(' ')
	b.WriteString(w.name)
	if w.image != "" {
		b.WriteString(" (image ")
		b.WriteString(w.image)
		b.WriteByte(')')
	}
	for _, p := range parts {
		b.WriteString(p)
	}
	return b.String()
}

// securityContext inspects a container's securityContext; who names the
// container in messages.
func (in *inspector) securityContext(label string, who ctrWho, sc gjson.Result, pod runAs) {
	if !sc.IsObject() {
		in.runAsRoot(label, who, pod)
		return
	}
	var privileged, hostProcess bool
	var add gjson.Result
	var own runAs
	in.each(sc, func(k string, v gjson.Result) bool {
		switch k {
		case "runAsUser", "runAsNonRoot":
			own.read(k, v)
		case "privileged":
			privileged = v.Type == gjson.True
		case "capabilities":
			add = gjson.Result{}
			if v.IsObject() {
				add = in.get(v, "add")
			}
		case "windowsOptions":
			hostProcess = v.IsObject() && in.get(v, "hostProcess").Type == gjson.True
		}
		return true
	})
	if privileged {
		in.privileged(label, who)
	}
	if add.IsArray() {
		in.capabilities(label, who, add)
	}
	if hostProcess {
		in.hostProcess(label, who)
	}
	in.runAsRoot(label, who, own.over(pod))
}

// runAsRoot reports a container whose effective setting explicitly lets
// it run as root.
func (in *inspector) runAsRoot(label string, who ctrWho, eff runAs) {
	if why := eff.why(); why != "" {
		in.add(fact{ReasonRunAsRoot, ScoreRunAsRoot, label, who.says(" ", eff.verb(), " as root (", why, ")")})
	}
}

func (in *inspector) privileged(label string, who ctrWho) {
	in.add(fact{ReasonPrivileged, ScorePrivileged, label, who.says(" runs privileged (all host devices and capabilities)")})
}

func (in *inspector) hostProcess(label string, who ctrWho) {
	in.add(fact{ReasonHostProcess, ScoreHostProcess, label, who.says(" runs as a Windows HostProcess")})
}

func (in *inspector) capabilities(label string, who ctrWho, add gjson.Result) {
	in.each(add, func(_ string, c gjson.Result) bool {
		in.capability(label, who, c)
		return true
	})
}

func (in *inspector) capability(label string, who ctrWho, c gjson.Result) {
	if c.Type != gjson.String {
		return
	}
	if s := capabilityScore(c.Str); s > 0 {
		in.add(fact{ReasonCapabilityPrefix + c.Str, s, label, who.says(" adds capability ", c.Str)})
	}
}

// jsonPatch inspects an RFC 6902 JSON patch: every add or replace whose
// path lies on, above or below the pod spec. copy and move take their
// value from the stored object, which the event does not hold.
func (in *inspector) jsonPatch(ops gjson.Result, spec []string) {
	ops.ForEach(func(_, op gjson.Result) bool {
		if !op.IsObject() {
			return true
		}
		o := op.Get("op").Str
		if o != "add" && o != "replace" && o != "move" && o != "copy" {
			return true
		}
		p := op.Get("path")
		if p.Type != gjson.String {
			return true
		}
		toks, ok := pointer(p.Str)
		if !ok {
			return true
		}
		if o == "move" || o == "copy" {
			// The value comes from the stored object, which the event
			// does not hold: whatever lands in the pod spec may grant
			// access.
			if onPath(toks, spec) {
				in.touchSpec, in.touchAccess = true, true
			}
			return true
		}
		in.at(toks, op.Get("value"), spec)
		return true
	})
}

// onPath reports whether pointer toks lies on, above or below spec.
func onPath(toks, spec []string) bool {
	for i := 0; i < min(len(toks), len(spec)); i++ {
		if toks[i] != spec[i] {
			return false
		}
	}
	return true
}

// pointer splits an RFC 6901 JSON pointer into unescaped tokens.
func pointer(p string) ([]string, bool) {
	if p == "" {
		return nil, true
	}
	if p[0] != '/' {
		return nil, false
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		if strings.IndexByte(t, '~') >= 0 {
			toks[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
		}
	}
	return toks, true
}

// at inspects value v placed at pointer toks of an object whose pod spec
// is at spec.
func (in *inspector) at(toks []string, v gjson.Result, spec []string) {
	n := min(len(toks), len(spec))
	for i := 0; i < n; i++ {
		if toks[i] != spec[i] {
			return
		}
	}
	if len(toks) <= len(spec) {
		in.object(v, spec[len(toks):])
		return
	}
	in.fragment(toks[len(spec):], v)
}

// fragment inspects value v placed at path rest inside a pod spec, by
// rebuilding the partial pod spec the patch operation describes.
func (in *inspector) fragment(rest []string, v gjson.Result) {
	if !v.Exists() {
		return
	}
	in.touchSpec = true
	switch rest[0] {
	case "containers", "initContainers", "ephemeralContainers":
		if len(rest) >= 2 {
			// Keep the index as the name: the container's real name is in
			// the stored object, not in the patch.
			name := "#" + rest[1]
			if rest[1] == "-" {
				name = "#new"
			}
			in.container(rest[0], nest(rest[2:], v), name, -1, nil, nil, runAs{})
			return
		}
	}
	in.podSpec(nest(rest, v))
}

// nest returns v placed at toks: object keys become objects and array
// indexes (digits or "-") one-element arrays.
func nest(toks []string, v gjson.Result) gjson.Result {
	if len(toks) == 0 {
		return v
	}
	var b strings.Builder
	for _, t := range toks {
		if isIndex(t) {
			b.WriteByte('[')
		} else {
			k, _ := json.Marshal(t)
			b.WriteByte('{')
			b.Write(k)
			b.WriteByte(':')
		}
	}
	b.WriteString(v.Raw)
	for i := len(toks) - 1; i >= 0; i-- {
		if isIndex(toks[i]) {
			b.WriteByte(']')
		} else {
			b.WriteByte('}')
		}
	}
	return gjson.Parse(b.String())
}

func isIndex(t string) bool {
	if t == "-" {
		return true
	}
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

// sorted returns the facts ordered by descending score, keeping discovery
// order among equals, so messages lead with the worst signal. The slice
// is valid until the next call.
func (in *inspector) sorted() []fact {
	in.order = append(in.order[:0], in.facts...)
	slices.SortStableFunc(in.order, func(a, b fact) int { return cmp.Compare(b.score, a.score) })
	return in.order
}
