package eventlist

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
)

// The scanners below walk JSON that has already been validated, so they
// only find boundaries: strings are crossed with bytes.IndexByte (which
// is vectorised), and nothing is decoded or copied. Audit events are
// mostly string bytes (request bodies, annotations), so this is several
// times faster than a byte-by-byte walk.

// Fields calls fn with the key (the text between its quotes, still
// escaped) and the raw value of each member of the JSON object obj, in
// order, until fn returns false. obj must be valid JSON; for anything
// else Fields stops early, without panicking.
func Fields(obj []byte, fn func(key, value []byte) bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return
	}
	fields(obj, i, fn)
}

// fields walks the object that opens at b[i] like Fields and returns the
// index after it (or where it stopped).
func fields(b []byte, i int, fn func(key, value []byte) bool) int {
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return i
		}
		if b[i] != '"' {
			if b[i] == '}' {
				i++
			}
			return i
		}
		ks := i + 1
		i = skipString(b, i)
		if i-1 < ks || b[i-1] != '"' {
			return len(b) // unterminated key: not valid JSON
		}
		key := b[ks : i-1]
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return i
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return i
		}
		vs := i
		i = skipValue(b, i)
		if !fn(key, b[vs:i]) {
			return i
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i
		}
		if b[i] != ',' {
			if b[i] == '}' {
				i++
			}
			return i
		}
		i++
	}
}

// elementsAt calls fn with the start index of each element of the array
// that opens at b[i]; fn returns the index after the element, or -1 to
// stop. elementsAt returns the index after the array (or where it stopped).
func elementsAt(b []byte, i int, fn func(start int) int) int {
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return i
		}
		if b[i] == ']' {
			return i + 1
		}
		if i = fn(i); i < 0 {
			return i
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			if i < len(b) && b[i] == ']' {
				i++
			}
			return i
		}
		i++
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
	var s string
	q := make([]byte, 0, len(key)+2)
	q = append(append(append(q, '"'), key...), '"')
	return json.Unmarshal(q, &s) == nil && s == name
}

// StringIs reports whether the raw JSON value v is a string equal to s.
func StringIs(v []byte, s string) bool {
	if len(v) < 2 || v[0] != '"' {
		return false
	}
	return KeyIs(v[1:len(v)-1], s)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// skipString returns the index after the string that opens at b[i].
// Most strings in audit events are short: the first 16 bytes are checked
// eight at a time for a quote or backslash, where a call to
// bytes.IndexByte would cost more than it saves; longer strings go to
// bytes.IndexByte (vectorised) with a look-back for escaping backslashes.
func skipString(b []byte, i int) int {
	i++
	for {
		short := false
		for n := 0; n < 2 && i+8 <= len(b); n++ {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(ones*'"'), x^(ones*'\\')
			if m := ((q-ones) & ^q | (bs-ones) & ^bs) & highs; m != 0 {
				// The lowest marked byte is exact (borrows only run upwards).
				i += bits.TrailingZeros64(m) / 8
				short = true
				break
			}
			i += 8
		}
		if !short {
			return skipLongString(b, i)
		}
		if b[i] == '\\' {
			i += 2 // the escaped character, whatever it is
			continue
		}
		return i + 1
	}
}

// skipLongString continues skipString from b[i], inside the string.
func skipLongString(b []byte, i int) int {
	for {
		if i >= len(b) {
			return len(b) // unterminated: not valid JSON
		}
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		i += j
		// The quote ends the string unless an odd number of backslashes
		// precede it. The opening quote bounds this look-back.
		n := 0
		for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	// number, true, false or null
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
