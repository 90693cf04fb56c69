package extended

import (
	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// AddCSVField offers one event as the CSV field that holds its _raw
// (chunked.RecordReader.Cell in lazy mode): when quoted is true, field is
// the text between the field's quotes with every '"' written as "";
// otherwise it is _raw itself. The outcome is exactly AddEvent's on the
// unquoted _raw. Most audit events are reads, or writes to objects that
// hold no pod spec: preCSV rejects them on the quoted bytes, so only the
// rest are unquoted, where decoding every cell used to be half of the
// mode's CPU.
func (d *Detector) AddCSVField(field []byte, quoted bool) {
	if !quoted {
		d.AddEvent(field)
		return
	}
	if !d.exhaustive && looksLikeObject(field) {
		w, noName, reject := preCSV(field, &d.runs)
		if reject {
			return
		}
		// What the walk learned, for event not to learn it again on
		// the unquoted text.
		d.hint, d.hintNoName = w, noName
	}
	d.unquoted = jsonscan.UnquoteCSV(d.unquoted[:0], field)
	d.AddEvent(d.unquoted)
	d.hint = nil
}

// The keys the pre-filter reads, sought by the walk so that the members
// between them are crossed without a return for each.
var (
	preKeys  = jsonscan.Keys("verb", "objectRef", "requestObject")
	bodyKeys = jsonscan.Keys("requestObject")
	refKeys  = jsonscan.Keys("resource", "subresource", "apiGroup")
)

// auditOpening is how every audit event of the audit.k8s.io/v1 API opens,
// as a quoted cell, and auditLevels the level that follows, most common
// first: preCSV passes over them by comparing bytes instead of a step of
// the walk for each member, none of the keys it seeks being in them.
var (
	auditOpening = jsonscan.KnownMembers(`""kind"":""Event"",""apiVersion"":""audit.k8s.io/v1""`)
	auditLevels  = [...]jsonscan.Members{
		jsonscan.KnownMembers(`""level"":""RequestResponse""`),
		jsonscan.KnownMembers(`""level"":""Metadata""`),
		jsonscan.KnownMembers(`""level"":""Request""`),
	}
)

// preCSV is the pre-filter on the quoted bytes of an event shaped as an
// object: one walk over its top level (jsonscan.MembersCSV, which reads
// each "" as one quote, as the unquoted text has it) finds the verb, for
// writes the objectRef, and for pod-spec writes with no sign of a
// node-escape field the request object, in the order they come. The
// walk reads only the values it needs; an objectRef whose first members
// name a resource without a pod spec is not crossed (refNotWatched). It
// rejects the event when event would return without a trace: a read, a
// write to an object that holds no pod spec (quickWatch's answers), or a
// pod-spec write that cannot yield a finding and has a body (quickHasBody's
// answer). Otherwise it returns the watched resource quickWatch would
// find, or nil when it cannot tell, and noName when mayFind and
// mayPatchCode are false on the event.
//
// runs (which may be nil) keeps the members between a write's verb and
// the next key sought, which a client repeats from request to request
// (user, source IPs, user agent): a cell that repeats them is passed
// over them by one comparison, and rejected right there when its
// objectRef follows and opens with a resource that holds no pod spec.
// Its answer is the same with or without.
func preCSV(q []byte, runs *jsonscan.RunCache) (w *watched, noName, reject bool) {
	walk := jsonscan.MembersCSV(q)
	if walk.Skip(&auditOpening) {
		_ = walk.Skip(&auditLevels[0]) || walk.Skip(&auditLevels[1]) || walk.Skip(&auditLevels[2])
	}
	var verb, ref, req []byte
	var haveVerb, haveRef, haveReq bool
	var rw *watched // refWatch's answer, when haveRW
	var rok, haveRW bool
	var mark jsonscan.Mark
	var marked bool // mark stands after the verb, before a run that runs lacks
	for !haveVerb || !haveRef {
		k, more := walk.Seek(&preKeys)
		if !more {
			break
		}
		if marked {
			if run, ok := walk.Since(mark, k); ok {
				runs.Add(run)
			}
			marked = false
		}
		switch {
		case string(k) == "verb" && !haveVerb:
			write := false // a plain write verb
			if raw, text, ok := walk.ShortString(); ok {
				verb = raw
				// A read needs no objectRef: stop before the user
				// and sourceIPs that follow the verb.
				if !isWriteVerb(view(text)) {
					return nil, false, true
				}
				write = true
			} else {
				if verb, more = walk.Value(); !more {
					break
				}
				s, ok := plainStringCSV(verb)
				if ok && !isWriteVerb(s) {
					return nil, false, true
				}
				write = ok
			}
			haveVerb = true
			if runs == nil {
				break
			}
			if !runs.Skip(&walk) {
				mark, marked = walk.Mark()
				break
			}
			// Past the repeated members, most writes name their
			// object at once: one that holds no pod spec is
			// rejected here as the objectRef case below would.
			if write && !haveRef && !haveReq && refNotWatched(walk.After()) {
				return nil, false, true
			}
		case string(k) == "objectRef" && !haveRef:
			if haveVerb {
				if rw, rok = refWatch(verb, walk.Rest()); rok && rw == notWatched {
					// Most writes are to objects without a pod
					// spec, which their objectRef's first
					// members tell.
					return nil, false, true
				}
				haveRW = true
			}
			if ref, more = walk.Value(); !more {
				break
			}
			haveRef = true
		case string(k) == "requestObject" && !haveReq:
			if req, more = walk.Value(); !more {
				break
			}
			haveReq = true
		}
	}
	if !walk.OK() || !haveVerb {
		return nil, false, false
	}
	w, ok := rw, rok
	if !haveRW {
		w, ok = watchOfCSV(verb, ref, haveRef)
	}
	switch {
	case !ok:
		return nil, false, false
	case w == notWatched:
		return nil, false, true
	case mayFindCSV(view(q)):
		return w, false, false
	}
	// quickHasBody: the first top-level requestObject, from where the
	// walk stopped on.
	for !haveReq {
		k, more := walk.Seek(&bodyKeys)
		if !more {
			break
		}
		if string(k) == "requestObject" {
			req, haveReq = walk.Value()
		}
	}
	if haveReq && len(req) > 0 && req[0] == '{' {
		// A pod-spec write with a body and no sign of a node-escape
		// field: event's next return, for most pod writes.
		return nil, false, true
	}
	return w, true, false
}

// watchOfCSV is watchOf on the quoted verb and objectRef of a cell.
func watchOfCSV(verb, ref []byte, haveRef bool) (w *watched, ok bool) {
	vs, ok := plainStringCSV(verb)
	if !ok {
		return nil, false
	}
	if !isWriteVerb(vs) || !haveRef {
		return notWatched, true
	}
	var res, sub, group []byte
	var haveRes, haveSub, haveGroup bool
	walk := jsonscan.MembersCSV(ref)
	for !haveRes || !haveSub || !haveGroup {
		k, more := walk.Seek(&refKeys)
		if !more {
			break
		}
		switch {
		case string(k) == "resource" && !haveRes:
			if res, haveRes = walk.Value(); !haveRes {
				break
			}
			// Most writes are to resources that hold no pod spec:
			// then neither the subresource nor the group can
			// change the answer, nor anything after in objectRef
			// (gjson, which the event would fall back to, also
			// takes this first plain resource).
			if rs, ok := refStringCSV(res, true); ok && resourceNamed(rs) == nil {
				return notWatched, true
			}
		case string(k) == "subresource" && !haveSub:
			sub, haveSub = walk.Value()
		case string(k) == "apiGroup" && !haveGroup:
			group, haveGroup = walk.Value()
		}
	}
	if !walk.OK() {
		return nil, false
	}
	rs, ok1 := refStringCSV(res, haveRes)
	ss, ok2 := refStringCSV(sub, haveSub)
	gs, ok3 := refStringCSV(group, haveGroup)
	if !ok1 || !ok2 || !ok3 {
		return nil, false
	}
	if w := lookupResource(rs, ss, gs); w != nil {
		return w, true
	}
	return notWatched, true
}

// refWatch is watchOfCSV for the verb and the objectRef that starts rest
// (and runs to an unknown end in it), having read rest only as far as
// its answer needs. Where the objectRef breaks after what it read, gjson,
// which event falls back to, reads the same first members and gives the
// same answer; where it is whole, the answer is watchOfCSV's on it.
func refWatch(verb, rest []byte) (w *watched, ok bool) {
	vs, ok := plainStringCSV(verb)
	if !ok {
		return nil, false
	}
	if !isWriteVerb(vs) {
		return notWatched, true
	}
	// Most objectRefs open with a plain resource: read here without
	// the walk, as the walk would read it (watchOfCSV's first answer).
	if rs, ok := leadingResourceCSV(rest); ok && resourceNamed(rs) == nil {
		return notWatched, true
	}
	return watchOfCSV(verb, rest, true)
}

// refNotWatched reports whether t, the text after a member, goes on with
// an objectRef whose first member is a plain resource without a pod
// spec: the next Seek would stop at that objectRef, and refWatch would
// answer notWatched from that resource.
func refNotWatched(t []byte) bool {
	const key = `,""objectRef"":`
	if len(t) < len(key) || string(t[:len(key)]) != key {
		return false
	}
	rs, ok := leadingResourceCSV(t[len(key):])
	return ok && resourceNamed(rs) == nil
}

// leadingResource is how an objectRef's quoted text starts when its first
// member is the resource.
const leadingResource = `{""resource"":""`

// leadingResourceCSV returns the resource of a quoted objectRef that
// starts with leadingResource and a plain string: the text up to the
// first quote, when that is a "" pair and no backslash comes before it.
// ok is false for any other start, which the walk reads instead.
func leadingResourceCSV(ref []byte) (string, bool) {
	if len(ref) < len(leadingResource) || string(ref[:len(leadingResource)]) != leadingResource {
		return "", false
	}
	in := ref[len(leadingResource):]
	for k, c := range in {
		switch c {
		case '"':
			if k+1 < len(in) && in[k+1] == '"' {
				return view(in[:k]), true
			}
			return "", false
		case '\\':
			return "", false
		}
	}
	return "", false
}

// refStringCSV is refString on a quoted objectRef member.
func refStringCSV(raw []byte, have bool) (string, bool) {
	if !have || len(raw) == 0 || raw[0] != '"' {
		return "", true
	}
	return plainStringCSV(raw)
}

// looksLikeObject reports whether inner would route the event of a quoted
// cell to event, whose first step is quickWatch: braces and blanks are
// not quotes, so trimming and the shape test read the same on the cell
// as on the event.
func looksLikeObject(q []byte) bool {
	for len(q) > 0 && jsonscan.IsBlank(q[0]) {
		q = q[1:]
	}
	for len(q) > 0 && jsonscan.IsBlank(q[len(q)-1]) {
		q = q[:len(q)-1]
	}
	return len(q) >= 2 && q[0] == '{' && q[len(q)-1] == '}'
}

// mayFindCSV is true on the CSV-quoted text of every event for which
// mayFind or mayPatchCode is true: the names they look for hold no
// quote, and a \u escape's hex digits neither; runAsUser and runAsNonRoot
// are read with "" as the quote; any patch passes.
//
// Its searches are one (nextNeedle): it is true at the first of the
// names found, privileged, capabilities, host, patch, a runAs that
// mayRunAsRoot passes, or a \u that hasLetterEscape passes, as the OR of
// those five searches over the whole cell is.
func mayFindCSV(q string) bool {
	for i := 0; ; {
		at, kind := nextNeedle(q, i)
		switch kind {
		case needleNone:
			return false
		case needleName:
			return true
		case needleRunAs:
			i = at + len("runAs")
			if runAsMayBeRoot(q, i, `""`) {
				return true
			}
		default:
			i = at + len(`\u`)
			if letterEscapeAt(q, i) {
				return true
			}
		}
	}
}

// plainStringCSV is plainString on a CSV-quoted JSON string: the text
// between its "" pairs when that holds neither a quote nor a backslash.
func plainStringCSV(v []byte) (string, bool) {
	if len(v) < 4 || v[0] != '"' || v[1] != '"' || v[len(v)-2] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	in := v[2 : len(v)-2]
	for _, c := range in {
		if c == '"' || c == '\\' {
			return "", false
		}
	}
	return view(in), true
}
