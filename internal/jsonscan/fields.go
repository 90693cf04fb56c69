package jsonscan

import "bytes"

// Fields calls fn with the key (the text between its quotes, still
// escaped) and the raw value of each member of the JSON object obj, in
// order, until fn returns false. It reports whether obj is an object read
// to its end or to where fn stopped; false means broken JSON, after fn
// may have seen some members.
func Fields(obj []byte, fn func(key, value []byte) bool) bool {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return false
	}
	return fieldsAt(obj, i, fn, false) >= 0
}

// FieldsPlain is Fields for callers that compare keys byte for byte, as
// a fast path with a fallback: it also reports false at the first key
// holding an escape (which might spell a name they look for), before fn
// sees it. Finding the escape costs nothing: the key's bytes are
// searched for a backslash anyway.
func FieldsPlain(obj []byte, fn func(key, value []byte) bool) bool {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return false
	}
	return fieldsAt(obj, i, fn, true) >= 0
}

// FieldsAt walks the object that opens at b[i] like Fields and returns
// the index after it, or after the value where fn stopped the walk, or -1
// when the object is broken or not closed within b.
func FieldsAt(b []byte, i int, fn func(key, value []byte) bool) int {
	return fieldsAt(b, i, fn, false)
}

func fieldsAt(b []byte, i int, fn func(key, value []byte) bool, plain bool) int {
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		end, escaped := skipKey(b, i)
		if end < 0 || plain && escaped {
			return -1
		}
		key := b[i+1 : end-1]
		i = SkipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = SkipSpace(b, i+1); i >= len(b) {
			return -1
		}
		vs := i
		if i = SkipValue(b, i); i < 0 {
			return -1
		}
		if !fn(key, b[vs:i]) {
			return i
		}
		if i = SkipSpace(b, i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// MembersAt walks the object that opens at b[i] like FieldsAt, but
// leaves each value to fn: fn gets the key and the index where the value
// starts and returns the index after the value, or -1 to stop. A caller
// uses it to walk into a value instead of skipping it (to split an
// EventList's items in the same pass). MembersAt returns the index after
// the object, or -1 when fn stopped or the object is broken.
func MembersAt(b []byte, i int, fn func(key []byte, start int) int) int {
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return -1
		}
		end := SkipString(b, i)
		if end < 0 {
			return -1
		}
		key := b[i+1 : end-1]
		i = SkipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return -1
		}
		if i = SkipSpace(b, i+1); i >= len(b) {
			return -1
		}
		if i = fn(key, i); i < 0 {
			return -1
		}
		if i = SkipSpace(b, i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// ElementsAt calls fn with the start index of each element of the array
// that opens at b[i]; fn returns the index after the element, or -1 to
// stop. ElementsAt returns the index after the array, or -1 when fn
// stopped or the array is broken or not closed within b.
func ElementsAt(b []byte, i int, fn func(start int) int) int {
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	for {
		if i >= len(b) {
			return -1
		}
		if i = fn(i); i < 0 {
			return -1
		}
		if i = SkipSpace(b, i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// KeyIs reports whether a key as passed by Fields spells name, decoding
// JSON escapes when the key has any.
func KeyIs(key []byte, name string) bool {
	// An escape spells one character with at least two bytes: a key with
	// one is longer than the name it decodes to.
	if len(key) <= len(name) {
		return string(key) == name
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return false
	}
	return escapedKeyIs(key, name)
}

// escapedKeyIs is KeyIs's rare case, apart so that KeyIs stays small
// enough to inline and zeroes no buffer on the common path.
//
//go:noinline
func escapedKeyIs(key []byte, name string) bool {
	var buf [64]byte
	return string(AppendUnescaped(buf[:0], key)) == name
}

// StringIs reports whether the raw JSON value v is a string equal to s.
func StringIs(v []byte, s string) bool {
	if len(v) < 2 || v[0] != '"' {
		return false
	}
	return KeyIs(v[1:len(v)-1], s)
}
