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
	"unsafe"

	"github.com/tidwall/gjson"
)

// MaxNames is how many names one Extractor reads in a single pass.
const MaxNames = 32

// Extractor reads a fixed list of fields from events in one pass over each
// event. It keeps a scratch buffer for unescaped strings, so it is not safe
// for concurrent use; values it hands out are valid only during the callback.
type Extractor struct {
	names   []string
	scratch []byte // unescaped value
	keybuf  []byte // unescaped key
}

// NewExtractor compiles the field names to read. It panics when given more
// than MaxNames names, a programming error.
func NewExtractor(names ...string) *Extractor {
	if len(names) > MaxNames {
		panic("auditfield: too many field names")
	}
	return &Extractor{names: append([]string(nil), names...)}
}

// Names returns the field names, in the order their indexes refer to.
func (x *Extractor) Names() []string { return x.names }

// Values calls fn with each value Splunk's JSON extraction gives the field
// name in raw, in document order, until fn returns false. raw should be a
// valid JSON object; for anything else it yields nothing or, for broken
// JSON, some of the values before the break, and never panics.
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
func (x *Extractor) Extract(raw []byte, fn func(field int, v []byte) bool) {
	if len(raw) == 0 {
		return
	}
	// A zero-copy view: gjson works on strings, and neither it nor we
	// keep the string beyond this call.
	doc := unsafe.String(unsafe.SliceData(raw), len(raw))
	start := 0
	for start < len(doc) && doc[start] <= ' ' {
		start++
	}
	if start == len(doc) || doc[start] != '{' {
		return
	}
	var acts [MaxNames]active
	for i, n := range x.names {
		acts[i] = active{field: i, rest: n}
	}
	root := gjson.Result{Type: gjson.JSON, Raw: doc[start:], Index: start}
	x.object(raw, root, acts[:len(x.names)], fn)
}

// object walks the keys of obj, following the names in acts that the keys
// start. It returns false once fn has asked to stop.
func (x *Extractor) object(raw []byte, obj gjson.Result, acts []active, fn func(int, []byte) bool) bool {
	more := true
	obj.ForEach(func(key, val gjson.Result) bool {
		var next [MaxNames]active
		n := 0
		k := x.key(key)
		for _, a := range acts {
			if len(a.rest) < len(k) || a.rest[:len(k)] != string(k) {
				continue
			}
			rest := a.rest[len(k):]
			if rest == "" {
				if !x.leaf(raw, val, a.field, fn) {
					more = false
					return false
				}
				continue
			}
			next[n] = active{field: a.field, rest: rest}
			n++
		}
		if n > 0 && !x.value(raw, val, next[:n], fn) {
			more = false
		}
		return more
	})
	return more
}

// key returns the text of an object key, decoded and made valid UTF-8 the
// same way as values, without allocating in the usual plain-ASCII case.
func (x *Extractor) key(k gjson.Result) []byte {
	raw := k.Raw
	if len(raw) < 2 {
		return nil
	}
	body := unsafe.Slice(unsafe.StringData(raw), len(raw))[1 : len(raw)-1]
	if !hasEscapeOrBadUTF8(body) {
		return body
	}
	x.keybuf = AppendUnescaped(x.keybuf[:0], body)
	return x.keybuf
}

// value continues the names in acts, each of which has something left
// after the key that led to val: ".name" for an object, "{}" for an array.
func (x *Extractor) value(raw []byte, val gjson.Result, acts []active, fn func(int, []byte) bool) bool {
	var next [MaxNames]active
	n := 0
	switch {
	case val.IsObject():
		for _, a := range acts {
			if a.rest[0] == '.' {
				next[n] = active{field: a.field, rest: a.rest[1:]}
				n++
			}
		}
		if n == 0 {
			return true
		}
		return x.object(raw, val, next[:n], fn)
	case val.IsArray():
		for _, a := range acts {
			if len(a.rest) >= 2 && a.rest[:2] == "{}" {
				next[n] = active{field: a.field, rest: a.rest[2:]}
				n++
			}
		}
		if n == 0 {
			return true
		}
		return x.array(raw, val, next[:n], fn)
	}
	return true
}

// array walks the elements of arr for names whose "{}" has been consumed.
func (x *Extractor) array(raw []byte, arr gjson.Result, acts []active, fn func(int, []byte) bool) bool {
	more := true
	arr.ForEach(func(_, el gjson.Result) bool {
		var deeper [MaxNames]active
		n := 0
		for _, a := range acts {
			if a.rest == "" {
				if !x.leaf(raw, el, a.field, fn) {
					more = false
					return false
				}
				continue
			}
			deeper[n] = a
			n++
		}
		if n > 0 && !x.value(raw, el, deeper[:n], fn) {
			more = false
		}
		return more
	})
	return more
}

// leaf hands a scalar to fn; objects, arrays and empty strings are not values.
func (x *Extractor) leaf(raw []byte, v gjson.Result, field int, fn func(int, []byte) bool) bool {
	switch v.Type {
	case gjson.JSON:
		return true
	case gjson.String:
		body := slice(raw, v)
		if len(body) < 2 {
			return true
		}
		body = body[1 : len(body)-1] // drop the quotes
		if len(body) == 0 {
			return true
		}
		if !hasEscapeOrBadUTF8(body) {
			return fn(field, body)
		}
		x.scratch = AppendUnescaped(x.scratch[:0], body)
		if len(x.scratch) == 0 {
			return true
		}
		return fn(field, x.scratch)
	default: // numbers, true, false, null: their JSON text
		t := slice(raw, v)
		if len(t) == 0 {
			return true
		}
		if !utf8.Valid(t) { // only in broken JSON, where gjson's token may run into garbage
			x.scratch = AppendUnescaped(x.scratch[:0], t)
			return fn(field, x.scratch)
		}
		return fn(field, t)
	}
}

// slice returns v's text as a part of raw; gjson records its offset.
func slice(raw []byte, v gjson.Result) []byte {
	if v.Index >= 0 && v.Index+len(v.Raw) <= len(raw) && v.Index+len(v.Raw) > v.Index {
		return raw[v.Index : v.Index+len(v.Raw)]
	}
	return []byte(v.Raw) // not expected: gjson always sets Index in ForEach
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
