package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Walks over the CSV-quoted form of a JSON text: the bytes between a CSV
// field's quotes, where each '"' of the text is written "" (splunkd's
// _raw, read as a lazy cell). They read the text as FieldsPlain and
// SkipValue read it unquoted, taking each "" pair as one quote, so a
// caller can reject an event without unquoting it. A lone quote, which a
// well-formed cell does not hold, makes them give up (-1 or false).

// pairAt reports whether b[i:] starts with a "" pair.
func pairAt(b []byte, i int) bool { return i+1 < len(b) && b[i] == '"' && b[i+1] == '"' }

// paired is pairAt(b, i) where b[i] is known to be a quote: only the
// byte after it is left to test.
func paired(b []byte, i int) bool { return i+1 < len(b) && b[i+1] == '"' }

// quoteOrBackslash returns the index of the first '"' or '\\' at or after
// b[i], or len(b); eight bytes at a time, as SkipString.
func quoteOrBackslash(b []byte, i int) int {
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs := x^(Ones*'"'), x^(Ones*'\\')
		if m := ((q-Ones)&^q | (bs-Ones)&^bs) & Highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	for i < len(b) && b[i] != '"' && b[i] != '\\' {
		i++
	}
	return i
}

// SkipStringCSV is SkipString on CSV-quoted text: the string's opening
// "" pair is at b[i]; it returns the index after its closing pair, or -1
// when the string is not closed within b or holds a lone quote.
//
// It searches by IndexByte, which looks at 16 or 32 bytes at a time: the
// strings of an audit event's top level (URIs, user agents, user names,
// IDs) run to dozens of bytes, where a search eight bytes at a time took
// most of a walk. The quote
// found closes the string unless an odd run of backslashes stands before
// it (an escaped quote, \"" in the cell); backslashes elsewhere escape
// bytes that are not quotes, which do not matter here.
func SkipStringCSV(b []byte, i int) int {
	i += 2
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		j += i
		if !paired(b, j) {
			return -1 // a lone quote, escaped or not
		}
		if j == i || b[j-1] != '\\' {
			return j + 2 // no backslash before it: the common case
		}
		n := 0
		for k := j - 1; k >= i && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j + 2
		}
		i = j + 2
	}
}

// SkipValueCSV is SkipValue on CSV-quoted text.
func SkipValueCSV(b []byte, i int) int {
	switch b[i] {
	case '"':
		if !paired(b, i) {
			return -1
		}
		return SkipStringCSV(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			c := b[i]
			if !structural[c] {
				i++
				continue
			}
			switch c {
			case '"':
				if !paired(b, i) {
					return -1
				}
				if i = SkipStringCSV(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			default: // '}' or ']', the other structural bytes
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	// Scalars stop at a quote, and hold none, in both forms.
	if e := SkipScalar(b, i); e > i {
		return e
	}
	return -1
}

// FieldsPlainCSV is FieldsPlain on the CSV-quoted form of a JSON text:
// fn gets each key (the text between its quotes, which in a plain key
// holds no quote) and raw value as they stand in the quoted text, and it
// reports false, like FieldsPlain, on broken structure, at the first key
// holding an escape, and also at a lone quote.
func FieldsPlainCSV(q []byte, fn func(key, value []byte) bool) bool {
	i := SkipSpace(q, 0)
	if i >= len(q) || q[i] != '{' {
		return false
	}
	i = SkipSpace(q, i+1)
	if i < len(q) && q[i] == '}' {
		return true
	}
	for {
		if !pairAt(q, i) {
			return false
		}
		// A plain key ends at its first quote; a backslash is an escape.
		end := quoteOrBackslash(q, i+2)
		if end >= len(q) || q[end] != '"' || !pairAt(q, end) {
			return false
		}
		key := q[i+2 : end]
		i = SkipSpace(q, end+2)
		if i >= len(q) || q[i] != ':' {
			return false
		}
		if i = SkipSpace(q, i+1); i >= len(q) {
			return false
		}
		vs := i
		if i = SkipValueCSV(q, i); i < 0 {
			return false
		}
		if !fn(key, q[vs:i]) {
			return true
		}
		if i = SkipSpace(q, i); i >= len(q) {
			return false
		}
		switch q[i] {
		case ',':
			i = SkipSpace(q, i+1)
		case '}':
			return true
		default:
			return false
		}
	}
}
