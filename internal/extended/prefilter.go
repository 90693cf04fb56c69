package extended

import (
	"strings"
	"unsafe"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// mayFind reports whether an event's bytes can hold a field that yields a
// reason: every reason needs a key or JSON-patch path token spelling
// "privileged", "capabilities", starting with "host" (hostPID, hostIPC,
// hostNetwork, hostPath, hostProcess), or "runAsUser"/"runAsNonRoot"
// that may be root (see mayRunAsRoot). In JSON text such a name can only
// hide behind a \u escape of an ASCII letter, so an event with one of
// those also passes. It never rejects an event that could yield a
// finding; it passes some that cannot (a "hostname", "localhost").
func mayFind(s string) bool {
	return containsAt(s, "privileged", 3) || hasHostOrPatch(s, false) || containsAt(s, "capabilities", 4) ||
		mayRunAsRoot(s, `"`) || hasLetterEscape(s)
}

// containsAt is strings.Contains(s, needle), finding the candidates by
// the byte needle[at] instead of the first: in audit events 'p', 'c' or
// 'r' come every few dozen bytes, so strings.Contains falls back to
// comparing at every byte, where IndexByte on a rarer byte ('v' of
// privileged, 'b' of capabilities, 'A' of runAs) skips 16 bytes at a
// time between few candidates.
func containsAt(s, needle string, at int) bool { return indexAt(s, needle, at) >= 0 }

// indexAt is strings.Index(s, needle) by the byte needle[at], as
// containsAt.
func indexAt(s, needle string, at int) int {
	c := needle[at]
	for i := at; i < len(s); {
		j := strings.IndexByte(s[i:], c)
		if j < 0 {
			return -1
		}
		if p := i + j - at; p+len(needle) <= len(s) && s[p:p+len(needle)] == needle {
			return p
		}
		i += j + 1
	}
	return -1
}

// hasHostOrPatch reports whether s contains "host", or with patch also
// "patch": both found by their 'h'.
func hasHostOrPatch(s string, patch bool) bool {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], 'h')
		if j < 0 {
			return false
		}
		p := i + j
		if strings.HasPrefix(s[p:], "host") || patch && p >= 4 && s[p-4:p+1] == "patch" {
			return true
		}
		i = p + 1
	}
	return false
}

// mayRunAsRoot reports whether s holds a runAsUser or runAsNonRoot that
// is not plainly a non-root value. Most pods say "runAsNonRoot":true or
// a non-zero runAsUser, which cannot yield runAsRoot, and would
// otherwise all take the full parse. Only a key followed by plain
// whitespace, a colon and a value starting with t or n (runAsNonRoot)
// or 1-9 or n (runAsUser) is passed over, also inside a JSON string
// (the key's quotes escaped as \"); anything else (a value 0, -0
// or false, a JSON-patch path, an escape, unusual spacing) passes.
// Spelled with a letter escape the name is left to hasLetterEscape.
// quote is how a JSON quote is written in s: `"`, or `""` in the
// CSV-quoted form of an event, where a lone quote passes.
func mayRunAsRoot(s, quote string) bool {
	for i := 0; ; {
		j := indexAt(s[i:], "runAs", 3)
		if j < 0 {
			return false
		}
		i += j + len("runAs")
		if runAsMayBeRoot(s, i, quote) {
			return true
		}
	}
}

// runAsMayBeRoot is mayRunAsRoot's answer for the "runAs" that ends at
// s[i]: false for another name, text, or a plainly non-root value.
func runAsMayBeRoot(s string, i int, quote string) bool {
	var nonRoot bool
	switch rest := s[i:]; {
	case strings.HasPrefix(rest, "User"):
		i += len("User")
	case strings.HasPrefix(rest, "NonRoot"):
		i += len("NonRoot")
		nonRoot = true
	default:
		return false // another name (runAsGroup) or text
	}
	// The key's closing quote, plain or escaped once (a document
	// inside a string: the AKS envelope, the last-applied
	// annotation, whose escapes map one to one onto its text).
	switch {
	case strings.HasPrefix(s[i:], quote):
		i += len(quote)
	case strings.HasPrefix(s[i:], `\`) && strings.HasPrefix(s[i+1:], quote):
		i += 1 + len(quote)
	case i < len(s) && s[i] != '\\' && s[i] != '"':
		return false // a longer name (runAsUserName) or text
	default:
		return true // another escape
	}
	k := jsonscan.SkipSpace(bytesOf(s), i)
	if k >= len(s) || s[k] != ':' {
		return true // not a member: a JSON-patch path, or unusual
	}
	k = jsonscan.SkipSpace(bytesOf(s), k+1)
	if k >= len(s) {
		return true
	}
	switch c := s[k]; {
	case c == 'n': // null: unset
	case nonRoot && c == 't':
	case !nonRoot && '1' <= c && c <= '9':
	default:
		return true
	}
	return false
}

// hasLetterEscape reports a \u escape that decodes to an ASCII letter, or
// a malformed one (left for the JSON validation to judge).
func hasLetterEscape(s string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], `\u`)
		if j < 0 {
			return false
		}
		p := i + j + 2
		if letterEscapeAt(s, p) {
			return true
		}
		i = p
	}
}

// letterEscapeAt is hasLetterEscape's answer for the \u that ends at s[p].
func letterEscapeAt(s string, p int) bool {
	r, ok := jsonscan.Hex4(s[p:])
	return !ok || r < 0x80 && 'a' <= r|0x20 && r|0x20 <= 'z'
}

// The fast paths below read the first few members of an event with
// jsonscan.FieldsPlain, several times faster than gjson's byte loop. They
// answer only when they read the event exactly: a key with an escape
// (which might spell a name they look for), or broken structure, makes
// them give up, and the caller falls back to gjson.

// bytesOf is view's inverse: the bytes of s, to be read, never written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// plainString returns the text of a raw JSON string value without escapes.
func plainString(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || strings.IndexByte(raw, '\\') >= 0 {
		return "", false
	}
	return raw[1 : len(raw)-1], true
}

// notWatched is quickWatch's answer for an audit event that cannot change
// a pod spec.
var notWatched = &watched{}

// quickWatch is the pre-filter's fast path for audit events: from the
// first top-level verb and objectRef it returns the watched resource of a
// pod-spec write, or notWatched. ok is false when the event is not in the
// plain shape it reads exactly (escapes in the keys or values it needs,
// no verb, broken structure); the caller then asks gjson, whose answer is
// the same for every event quickWatch does answer.
func quickWatch(s string) (w *watched, ok bool) {
	var verb, ref []byte
	var haveVerb, haveRef bool
	if !jsonscan.FieldsPlain(bytesOf(s), func(k, v []byte) bool {
		switch {
		case string(k) == "verb" && !haveVerb:
			verb, haveVerb = v, true
			// A read (most audit events) needs no objectRef: stop
			// before the user and sourceIPs that follow the verb.
			if s, ok := plainString(view(v)); ok && !isWriteVerb(s) {
				return false
			}
		case string(k) == "objectRef" && !haveRef:
			ref, haveRef = v, true
		}
		return !haveVerb || !haveRef
	}) || !haveVerb {
		return nil, false
	}
	return watchOf(verb, ref, haveRef)
}

// watchOf is quickWatch's answer from the raw verb and objectRef it found.
func watchOf(verb, ref []byte, haveRef bool) (w *watched, ok bool) {
	vs, ok := plainString(view(verb))
	if !ok {
		return nil, false
	}
	if !isWriteVerb(vs) {
		return notWatched, true
	}
	if !haveRef {
		return notWatched, true
	}
	var res, sub, group []byte
	var haveRes, haveSub, haveGroup bool
	if !jsonscan.FieldsPlain(ref, func(k, v []byte) bool {
		switch {
		case string(k) == "resource" && !haveRes:
			res, haveRes = v, true
		case string(k) == "subresource" && !haveSub:
			sub, haveSub = v, true
		case string(k) == "apiGroup" && !haveGroup:
			group, haveGroup = v, true
		}
		return !haveRes || !haveSub || !haveGroup
	}) {
		return nil, false
	}
	rs, ok1 := refString(view(res), haveRes)
	ss, ok2 := refString(view(sub), haveSub)
	gs, ok3 := refString(view(group), haveGroup)
	if !ok1 || !ok2 || !ok3 {
		return nil, false
	}
	if w := lookupResource(rs, ss, gs); w != nil {
		return w, true
	}
	return notWatched, true
}

// quickHasBody answers, for an audit event that cannot yield a finding
// (mayFind is false), the one question left: does it carry a body, so
// that it is not a write the detection was blind to? It stops at the
// request object, before the bulk of the event. ok is false when the
// answer needs the full parse (no request object, or an unusual shape).
func quickHasBody(s string) (has, ok bool) {
	var req []byte
	seen := false
	if !jsonscan.FieldsPlain(bytesOf(s), func(k, v []byte) bool {
		if string(k) == "requestObject" {
			req, seen = v, true
			return false
		}
		return true
	}) || !seen {
		return false, false
	}
	// An object request body is the body for every verb (body's first
	// choice); anything else is left to the full parse.
	if len(req) > 0 && req[0] == '{' {
		return true, true
	}
	return false, false
}

// refString reads one objectRef member as gjson's .Str would: the text of
// a string, "" for a missing member or one of another type. ok is false
// for a string with escapes.
func refString(raw string, have bool) (string, bool) {
	if !have || raw == "" || raw[0] != '"' {
		return "", true
	}
	return plainString(raw)
}
