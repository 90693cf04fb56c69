// Package auditfield reads fields out of one audit event's JSON the way
// Splunk's automatic JSON extraction names them, so a detection written in
// SPL can be reproduced field for field without asking Splunk for its
// extracted columns.
//
// Splunk flattens a JSON document into fields by joining object keys with
// "." and marking every array level with "{}": {"user":{"groups":["a"]}}
// gives user.groups{}=a, an array of objects gives a{}.b, an array of
// arrays a{}{}. Keys may themselves contain dots (Kubernetes annotation
// keys do), so a field name can be reached by several paths; every path
// that flattens to the name contributes values, in document order.
//
// Only leaves are fields: a name that ends on an object or an array has no
// value. Strings are JSON-unescaped, other scalars are given as their JSON
// text (true, 201, null). An empty string is no value, because Splunk
// treats an empty field as null. Invalid UTF-8 and lone surrogate escapes
// become U+FFFD, so every value is valid UTF-8.
//
// This package knows nothing about Kubernetes policy; it is field access.
package auditfield

import (
	"unicode/utf8"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// Extractor reads a fixed list of fields from events in one pass over each
// event. It keeps a scratch buffer for unescaped strings, so it is not safe
// for concurrent use; values it hands out are valid only during the callback.
type Extractor struct {
	names   []string
	scratch []byte   // unescaped value
	keybuf  []byte   // unescaped key
	stack   []active // the names being followed, one run per open level
}

// NewExtractor returns an Extractor for the given field names.
func NewExtractor(names ...string) *Extractor {
	return &Extractor{names: append([]string(nil), names...)}
}

// Names returns the field names, in the order their indexes refer to.
func (x *Extractor) Names() []string { return x.names }

// Values calls fn with each value Splunk's JSON extraction gives the field
// name in raw, in document order, until fn returns false. raw should be a
// valid JSON object (validate it first, e.g. with gjson.ValidBytes); for
// anything else it yields nothing or, for broken JSON, some values before
// the break, and never panics.
func Values(raw []byte, name string, fn func(v []byte) bool) {
	NewExtractor(name).Extract(raw, func(_ int, v []byte) bool { return fn(v) })
}

// active is a field still being matched: the part of its name not yet
// consumed by the keys walked so far.
type active struct {
	field int
	rest  string
}

// Extract calls fn(i, v) for each value v of the field Names()[i] in raw,
// in document order, until fn returns false. The same rules as Values hold.
//
// The walk descends only into values whose key starts one of the names and
// skips everything else (with jsonscan's skippers), so its cost is a
// little more than one scan of the event.
func (x *Extractor) Extract(raw []byte, fn func(field int, v []byte) bool) {
	i := jsonscan.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return
	}
	x.stack = x.stack[:0]
	for f, n := range x.names {
		x.stack = append(x.stack, active{field: f, rest: n})
	}
	x.object(raw, i, x.stack, fn)
}

// The names followed into a value are appended to x.stack and dropped when
// the value is done, so walking needs no allocation once the stack has
// grown. A parent's slice stays valid when append moves the stack: the
// entries it sees are never written again.

// object walks the object starting at raw[i] ('{') and returns the index
// after it, or -1 when the input is broken or fn asked to stop.
func (x *Extractor) object(raw []byte, i int, acts []active, fn func(int, []byte) bool) int {
	i = jsonscan.SkipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return -1
		}
		end := jsonscan.SkipString(raw, i)
		if end < 0 {
			return -1
		}
		k := x.key(raw[i+1 : end-1])
		i = jsonscan.SkipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return -1
		}
		i = jsonscan.SkipSpace(raw, i+1)
		if i >= len(raw) {
			return -1
		}
		base := len(x.stack)
		for _, a := range acts {
			if len(a.rest) < len(k) || a.rest[:len(k)] != string(k) {
				continue
			}
			rest := a.rest[len(k):]
			if rest == "" {
				if !x.leaf(raw, i, a.field, fn) {
					return -1
				}
				continue
			}
			x.stack = append(x.stack, active{field: a.field, rest: rest})
		}
		if len(x.stack) > base {
			i = x.value(raw, i, x.stack[base:], fn)
			x.stack = x.stack[:base]
		} else {
			i = jsonscan.SkipValue(raw, i)
		}
		if i < 0 {
			return -1
		}
		i = jsonscan.SkipSpace(raw, i)
		if i >= len(raw) {
			return -1
		}
		switch raw[i] {
		case ',':
			i = jsonscan.SkipSpace(raw, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// key returns the text of an object key body, decoded and made valid UTF-8
// the same way as values, without copying in the usual plain-ASCII case.
func (x *Extractor) key(body []byte) []byte {
	if !hasEscapeOrBadUTF8(body) {
		return body
	}
	x.keybuf = jsonscan.AppendUnescaped(x.keybuf[:0], body)
	return x.keybuf
}

// value continues the names in acts into the value at raw[i], each of them
// having something left after the key that led here: ".name" for an
// object, "{}" for an array. It returns the index after the value or -1.
func (x *Extractor) value(raw []byte, i int, acts []active, fn func(int, []byte) bool) int {
	// The caller drops what is appended here when the value is done.
	base := len(x.stack)
	switch raw[i] {
	case '{':
		for _, a := range acts {
			if a.rest[0] == '.' {
				x.stack = append(x.stack, active{field: a.field, rest: a.rest[1:]})
			}
		}
		if len(x.stack) > base {
			return x.object(raw, i, x.stack[base:], fn)
		}
	case '[':
		for _, a := range acts {
			if len(a.rest) >= 2 && a.rest[:2] == "{}" {
				x.stack = append(x.stack, active{field: a.field, rest: a.rest[2:]})
			}
		}
		if len(x.stack) > base {
			return x.array(raw, i, x.stack[base:], fn)
		}
	}
	return jsonscan.SkipValue(raw, i)
}

// array walks the elements of the array at raw[i] for names whose "{}"
// has been consumed, and returns the index after it or -1.
func (x *Extractor) array(raw []byte, i int, acts []active, fn func(int, []byte) bool) int {
	i = jsonscan.SkipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return i + 1
	}
	for {
		if i >= len(raw) {
			return -1
		}
		base := len(x.stack)
		for _, a := range acts {
			if a.rest == "" {
				if !x.leaf(raw, i, a.field, fn) {
					return -1
				}
				continue
			}
			x.stack = append(x.stack, a)
		}
		if len(x.stack) > base {
			i = x.value(raw, i, x.stack[base:], fn)
			x.stack = x.stack[:base]
		} else {
			i = jsonscan.SkipValue(raw, i)
		}
		if i < 0 {
			return -1
		}
		i = jsonscan.SkipSpace(raw, i)
		if i >= len(raw) {
			return -1
		}
		switch raw[i] {
		case ',':
			i = jsonscan.SkipSpace(raw, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// leaf hands the scalar at raw[i] to fn; objects, arrays and empty
// strings are not values. It returns false once fn has asked to stop.
func (x *Extractor) leaf(raw []byte, i int, field int, fn func(int, []byte) bool) bool {
	switch raw[i] {
	case '{', '[':
		return true
	case '"':
		end := jsonscan.SkipString(raw, i)
		if end < 0 || end-i == 2 {
			return true
		}
		body := raw[i+1 : end-1]
		if !hasEscapeOrBadUTF8(body) {
			return fn(field, body)
		}
		x.scratch = jsonscan.AppendUnescaped(x.scratch[:0], body)
		if len(x.scratch) == 0 {
			return true
		}
		return fn(field, x.scratch)
	}
	// numbers, true, false, null: their JSON text
	t := raw[i:jsonscan.SkipScalar(raw, i)]
	if len(t) == 0 {
		return true
	}
	if !utf8.Valid(t) { // only in broken JSON
		x.scratch = jsonscan.AppendUnescaped(x.scratch[:0], t)
		return fn(field, x.scratch)
	}
	return fn(field, t)
}

func hasEscapeOrBadUTF8(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= utf8.RuneSelf {
			// Non-ASCII is rare in audit events; let the slow path check it.
			return true
		}
	}
	return false
}
