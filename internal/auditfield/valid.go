package auditfield

import (
	"encoding/binary"
	"math/bits"
)

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
	i := skipBlank(raw, 0)
	if i >= len(raw) {
		return false
	}
	var end int
	if raw[i] != '{' {
		end = validValue(raw, i) // Extract yields nothing for a non-object
	} else {
		x.stack = x.stack[:0]
		for f, n := range x.names {
			x.stack = append(x.stack, active{field: f, rest: n})
		}
		end = x.vobject(raw, i, x.stack, fn)
	}
	return end >= 0 && skipBlank(raw, end) == len(raw)
}

// vobject is object, validating: every key and every value it skips.
func (x *Extractor) vobject(raw []byte, i int, acts []active, fn func(int, []byte) bool) int {
	i = skipBlank(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return -1
		}
		end := validString(raw, i)
		if end < 0 {
			return -1
		}
		k := x.key(raw[i+1 : end-1])
		i = skipBlank(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return -1
		}
		i = skipBlank(raw, i+1)
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
			i = validValue(raw, i)
		}
		if i < 0 {
			return -1
		}
		i = skipBlank(raw, i)
		if i >= len(raw) {
			return -1
		}
		switch raw[i] {
		case ',':
			i = skipBlank(raw, i+1)
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
	return validValue(raw, i)
}

// varray is array, validating.
func (x *Extractor) varray(raw []byte, i int, acts []active, fn func(int, []byte) bool) int {
	i = skipBlank(raw, i+1)
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
			i = validValue(raw, i)
		}
		if i < 0 {
			return -1
		}
		i = skipBlank(raw, i)
		if i >= len(raw) {
			return -1
		}
		switch raw[i] {
		case ',':
			i = skipBlank(raw, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// validValue returns the index after the JSON value at raw[i], or -1 when
// it is not valid. Nesting is kept in a slice rather than on the call
// stack, so a deep event costs memory in proportion, never a deep
// recursion.
func validValue(raw []byte, i int) int {
	var buf [32]byte
	nest := buf[:0]
	for {
		// At the start of a value.
		if i >= len(raw) {
			return -1
		}
		switch c := raw[i]; c {
		case '{', '[':
			i = skipBlank(raw, i+1)
			if i < len(raw) && raw[i] == c+2 { // '}' and ']' are two past '{' and '['
				i++
				break
			}
			nest = append(nest, c+2)
			if c == '{' {
				if i = validKey(raw, i); i < 0 {
					return -1
				}
			}
			continue
		case '"':
			i = validString(raw, i)
		case 't':
			i = validLiteral(raw, i, "true")
		case 'f':
			i = validLiteral(raw, i, "false")
		case 'n':
			i = validLiteral(raw, i, "null")
		default:
			i = validNumber(raw, i)
		}
		if i < 0 {
			return -1
		}
		// After a value: close containers, or go on after a comma.
		for {
			if len(nest) == 0 {
				return i
			}
			i = skipBlank(raw, i)
			if i >= len(raw) {
				return -1
			}
			top := nest[len(nest)-1]
			if raw[i] == top {
				nest = nest[:len(nest)-1]
				i++
				continue
			}
			if raw[i] != ',' {
				return -1
			}
			i = skipBlank(raw, i+1)
			if top == '}' {
				if i = validKey(raw, i); i < 0 {
					return -1
				}
			}
			break
		}
	}
}

// validKey checks `"key"` blanks `:` blanks at raw[i] and returns the index
// of the value that follows, or -1.
func validKey(raw []byte, i int) int {
	if i >= len(raw) || raw[i] != '"' {
		return -1
	}
	if i = validString(raw, i); i < 0 {
		return -1
	}
	i = skipBlank(raw, i)
	if i >= len(raw) || raw[i] != ':' {
		return -1
	}
	return skipBlank(raw, i+1)
}

// validString returns the index after the string whose opening quote is
// at raw[i], or -1 when it is not closed or holds a control character or a
// bad escape.
func validString(raw []byte, i int) int {
	i++
	for {
		for i+8 <= len(raw) {
			w := binary.LittleEndian.Uint64(raw[i:])
			// The lowest flagged byte of each mask is exact, so the lowest
			// of their union is too.
			if m := hasByte(w, '"') | hasByte(w, '\\') | (w-ones*0x20)&^w&highs; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		if i >= len(raw) {
			return -1
		}
		switch c := raw[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(raw) {
				return -1
			}
			switch raw[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := Hex4(raw[i+2:]); !ok {
					return -1
				}
				i += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		default:
			i++
		}
	}
}

// validLiteral checks the literal lit at raw[i].
func validLiteral(raw []byte, i int, lit string) int {
	if len(raw)-i < len(lit) || string(raw[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// validNumber returns the index after the JSON number at raw[i], or -1.
func validNumber(raw []byte, i int) int {
	if raw[i] == '-' {
		i++
	}
	if i >= len(raw) || !isDigit(raw[i]) {
		return -1
	}
	if raw[i] == '0' {
		i++
	} else {
		for i < len(raw) && isDigit(raw[i]) {
			i++
		}
	}
	if i < len(raw) && raw[i] == '.' {
		i++
		if i >= len(raw) || !isDigit(raw[i]) {
			return -1
		}
		for i < len(raw) && isDigit(raw[i]) {
			i++
		}
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		if i >= len(raw) || !isDigit(raw[i]) {
			return -1
		}
		for i < len(raw) && isDigit(raw[i]) {
			i++
		}
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
