package extended

import (
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// AddCSVField offers one event as the CSV field that holds its _raw
// (chunked.RecordReader.Cell in lazy mode): when quoted is true, field is
// the text between the field's quotes with every '"' written as "";
// otherwise it is _raw itself. The outcome is exactly AddEvent's on the
// unquoted _raw. Most audit events are reads, or writes to objects that
// hold no pod spec: quickWatchCSV rejects them on the quoted bytes, so
// only the rest are unquoted, where decoding every cell used to be half
// of the mode's CPU.
func (d *Detector) AddCSVField(field []byte, quoted bool) {
	if !quoted {
		d.AddEvent(field)
		return
	}
	if !d.exhaustive && looksLikeObject(field) {
		var w *watched
		var ok bool
		w, ok, d.unquoted = quickWatchCSV(field, d.unquoted[:0])
		switch {
		case !ok:
		case w == notWatched:
			return
		case !mayFindCSV(view(field)) && quickHasBodyCSV(field):
			// A pod-spec write with a body and no sign of a node-escape
			// field: event's next return, for most pod writes.
			return
		}
	}
	d.unquoted = jsonscan.UnquoteCSV(d.unquoted[:0], field)
	d.AddEvent(d.unquoted)
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

// quickWatchCSV is quickWatch on the CSV-quoted form of an event: it
// walks the quoted bytes (jsonscan.FieldsPlainCSV reads each "" as one
// quote, as the unquoted text has it), unquotes only the verb and
// objectRef it finds into buf, and answers from them as quickWatch does.
// Where it answers, quickWatch on the unquoted event gives the same
// answer. It returns buf for reuse.
func quickWatchCSV(q, buf []byte) (w *watched, ok bool, _ []byte) {
	var verb, ref []byte
	var haveVerb, haveRef bool
	if !jsonscan.FieldsPlainCSV(q, func(k, v []byte) bool {
		switch {
		case string(k) == "verb" && !haveVerb:
			verb, haveVerb = v, true
			if s, ok := plainStringCSV(v); ok && !isWriteVerb(s) {
				return false
			}
		case string(k) == "objectRef" && !haveRef:
			ref, haveRef = v, true
		}
		return !haveVerb || !haveRef
	}) || !haveVerb {
		return nil, false, buf
	}
	buf = jsonscan.UnquoteCSV(buf, verb)
	nv := len(buf)
	buf = jsonscan.UnquoteCSV(buf, ref)
	w, ok = watchOf(buf[:nv], buf[nv:], haveRef)
	return w, ok, buf
}

// mayFindCSV is true on the CSV-quoted text of every event for which
// mayFind or mayPatchCode is true: the names they look for hold no
// quote, and a \u escape's hex digits neither; runAsUser and runAsNonRoot
// are read with "" as the quote; any patch passes.
func mayFindCSV(q string) bool {
	return strings.Contains(q, "privileged") || strings.Contains(q, "host") ||
		strings.Contains(q, "capabilities") || strings.Contains(q, "patch") ||
		mayRunAsRoot(q, `""`) || hasLetterEscape(q)
}

// quickHasBodyCSV is quickHasBody's "has a body" answer on the
// CSV-quoted text of an event: the first top-level requestObject is an
// object.
func quickHasBodyCSV(q []byte) bool {
	var req []byte
	seen := false
	if !jsonscan.FieldsPlainCSV(q, func(k, v []byte) bool {
		if string(k) == "requestObject" {
			req, seen = v, true
			return false
		}
		return true
	}) || !seen {
		return false
	}
	return len(req) > 0 && req[0] == '{'
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
