package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// The skippers find where a value ends in JSON that is valid or close to
// it; they decode nothing. Each returns the index just past the value, or
// -1 when the value does not end within b.

// Two string skippers sit side by side, each faster on its own input
// (instruction counts in BENCHMARKS.md): SkipString for the short keys
// and values, and escape-dense annotations, that audit events are made
// of; SkipLongString for documents whose strings run long without an
// escape (request bodies, large annotations, an EventList's items).

// SkipString returns the index after the string whose opening quote is at
// b[i], or -1 when it is not closed. It looks at eight bytes at a time for
// a quote or a backslash, which beats both a byte loop and a call to
// bytes.IndexByte on short strings.
func SkipString(b []byte, i int) int {
	i++
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(Ones*'"'), x^(Ones*'\\')
			if m := ((q-Ones)&^q | (bs-Ones)&^bs) & Highs; m != 0 { // HasByte twice, masked once
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return -1
		}
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the character it escapes
	}
}

// skipKey is SkipString that also reports whether the string holds an
// escape: the object walks use it for keys.
func skipKey(b []byte, i int) (end int, escaped bool) {
	i++
	for {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(Ones*'"'), x^(Ones*'\\')
			if m := ((q-Ones)&^q | (bs-Ones)&^bs) & Highs; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return -1, escaped
		}
		if b[i] == '"' {
			return i + 1, escaped
		}
		escaped = true
		i += 2
	}
}

// SkipLongString is SkipString for strings that may run long: the first
// 16 bytes after the quote or an escape are searched eight at a time, and
// a string still open after them goes to bytes.IndexByte, which is
// vectorised, with a look-back for escaping backslashes.
func SkipLongString(b []byte, i int) int {
	i++
	for {
		short := false
		for n := 0; n < 2 && i+8 <= len(b); n++ {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(Ones*'"'), x^(Ones*'\\')
			if m := ((q-Ones)&^q | (bs-Ones)&^bs) & Highs; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				short = true
				break
			}
			i += 8
		}
		if !short {
			return indexStringEnd(b, i)
		}
		if b[i] == '\\' {
			i += 2 // the escaped character, whatever it is
			continue
		}
		return i + 1
	}
}

// indexStringEnd finishes SkipLongString from b[i], inside the string.
func indexStringEnd(b []byte, i int) int {
	for {
		if i >= len(b) {
			return -1
		}
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
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

// SkipScalar returns the index after the number or literal at b[i]: the
// next byte that cannot be part of one.
func SkipScalar(b []byte, i int) int {
	for i < len(b) && !delimiter[b[i]] {
		i++
	}
	return i
}

// delimiter marks the bytes that end a number or literal.
var delimiter = [256]bool{',': true, '}': true, ']': true, ' ': true, '\t': true, '\n': true, '\r': true,
	':': true, '"': true, '{': true, '[': true}

// structural marks the bytes SkipValue must look at inside a container.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// SkipValue returns the index after the value that starts at b[i], or -1
// when it does not end within b (or there is no value at b[i]). Objects
// and arrays are crossed by bracket depth, looking only at brackets and
// quotes.
func SkipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			if !structural[b[i]] {
				i++
				continue
			}
			switch b[i] {
			case '"':
				if i = SkipString(b, i); i < 0 {
					return -1
				}
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
		return -1
	}
	if e := SkipScalar(b, i); e > i {
		return e
	}
	return -1
}

// SkipLongValue is SkipValue with strings skipped by SkipLongString: the
// variant for documents whose strings run long.
func SkipLongValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return SkipLongString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			if !structural[b[i]] {
				i++
				continue
			}
			switch b[i] {
			case '"':
				if i = SkipLongString(b, i); i < 0 {
					return -1
				}
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
		return -1
	}
	if e := SkipScalar(b, i); e > i {
		return e
	}
	return -1
}
