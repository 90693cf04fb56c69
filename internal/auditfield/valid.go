package auditfield

import "github.com/kubeprivpod/kubeprivpod/internal/jsonscan"

// ExtractValid is Extract fused with validation: one pass over raw both
// checks that it is JSON and hands out the fields' values. It reports
// whether raw is valid JSON by the grammar gjson.ValidBytes checks (RFC
// 8259, blanks around the value allowed, UTF-8 not checked). When it is,
// fn has been called exactly as Extract would call it; when it is not, fn
// may have been called for some values, which the caller should discard.
// fn should not stop the walk early: a walk cut short reports false.
//
// Values that no field follows are still read through (strings eight
// bytes at a time), so the cost is one scan of the event instead of a
// walk and a separate validation.
func (x *Extractor) ExtractValid(raw []byte, fn func(field int, v []byte) bool) bool {
	i := jsonscan.SkipSpace(raw, 0)
	if i >= len(raw) {
		return false
	}
	var end int
	if raw[i] != '{' {
		end = jsonscan.ValidValueAt(raw, i) // Extract yields nothing for a non-object
	} else {
		x.stack = x.stack[:0]
		for f, n := range x.names {
			x.stack = append(x.stack, active{field: f, rest: n})
		}
		end = x.vobject(raw, i, x.stack, fn)
	}
	return end >= 0 && jsonscan.SkipSpace(raw, end) == len(raw)
}

// vobject is object, validating: every key and every value it skips.
func (x *Extractor) vobject(raw []byte, i int, acts []active, fn func(int, []byte) bool) int {
	i = jsonscan.SkipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return -1
		}
		end := jsonscan.ValidStringAt(raw, i)
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
			i = x.vvalue(raw, i, x.stack[base:], fn)
			x.stack = x.stack[:base]
		} else {
			i = jsonscan.ValidValueAt(raw, i)
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

// vvalue is value, validating.
func (x *Extractor) vvalue(raw []byte, i int, acts []active, fn func(int, []byte) bool) int {
	base := len(x.stack)
	switch raw[i] {
	case '{':
		for _, a := range acts {
			if a.rest[0] == '.' {
				x.stack = append(x.stack, active{field: a.field, rest: a.rest[1:]})
			}
		}
		if len(x.stack) > base {
			return x.vobject(raw, i, x.stack[base:], fn)
		}
	case '[':
		for _, a := range acts {
			if len(a.rest) >= 2 && a.rest[:2] == "{}" {
				x.stack = append(x.stack, active{field: a.field, rest: a.rest[2:]})
			}
		}
		if len(x.stack) > base {
			return x.varray(raw, i, x.stack[base:], fn)
		}
	}
	return jsonscan.ValidValueAt(raw, i)
}

// varray is array, validating.
func (x *Extractor) varray(raw []byte, i int, acts []active, fn func(int, []byte) bool) int {
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
			i = x.vvalue(raw, i, x.stack[base:], fn)
			x.stack = x.stack[:base]
		} else {
			i = jsonscan.ValidValueAt(raw, i)
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
