package auditlog

import (
	"encoding/binary"
	"math/bits"
)

// maxDepth bounds the nesting of a document. gjson's validator and
// parser recurse once per level, so a line of a few million '[' would
// overflow the stack and kill the process; real audit events nest a few
// dozen levels. encoding/json uses the same limit.
const maxDepth = 10000

// validity is the verdict of validJSON.
type validity int

const (
	valid   validity = iota
	invalid          // not JSON
	tooDeep          // JSON nested deeper than maxDepth
)

// validJSON checks that data is one JSON value with optional whitespace
// around it. It accepts exactly what gjson.ValidBytes accepts (RFC 8259
// syntax, strings not checked for UTF-8), so the reader and the
// detections agree on what is JSON, but it is iterative, bounded in
// depth, and skips string contents eight bytes at a time: most of an
// audit event is strings. stack is scratch space, returned for reuse.
func validJSON(data []byte, stack []byte) (validity, []byte) {
	const (
		expectValue = iota
		expectKey
		afterValue
	)
	stack = stack[:0]
	i := skipSpace(data, 0)
	state := expectValue
	for {
		switch state {
		case expectValue:
			if i >= len(data) {
				return invalid, stack
			}
			switch c := data[i]; c {
			case '{', '[':
				if len(stack) == maxDepth {
					return tooDeep, stack
				}
				stack = append(stack, c)
				i = skipSpace(data, i+1)
				if i < len(data) && data[i] == c+2 { // '}' is '{'+2, ']' is '['+2
					stack = stack[:len(stack)-1]
					i++
					state = afterValue
				} else if c == '{' {
					state = expectKey
				}
				continue
			case '"':
				var ok bool
				if i, ok = skipString(data, i+1); !ok {
					return invalid, stack
				}
			case 't':
				if !hasPrefix(data[i:], "true") {
					return invalid, stack
				}
				i += 4
			case 'f':
				if !hasPrefix(data[i:], "false") {
					return invalid, stack
				}
				i += 5
			case 'n':
				if !hasPrefix(data[i:], "null") {
					return invalid, stack
				}
				i += 4
			default:
				var ok bool
				if i, ok = skipNumber(data, i); !ok {
					return invalid, stack
				}
			}
			state = afterValue
		case expectKey:
			if i >= len(data) || data[i] != '"' {
				return invalid, stack
			}
			var ok bool
			if i, ok = skipString(data, i+1); !ok {
				return invalid, stack
			}
			i = skipSpace(data, i)
			if i >= len(data) || data[i] != ':' {
				return invalid, stack
			}
			i = skipSpace(data, i+1)
			state = expectValue
		case afterValue:
			i = skipSpace(data, i)
			if len(stack) == 0 {
				if i == len(data) {
					return valid, stack
				}
				return invalid, stack
			}
			if i >= len(data) {
				return invalid, stack
			}
			open := stack[len(stack)-1]
			switch data[i] {
			case ',':
				i = skipSpace(data, i+1)
				if open == '{' {
					state = expectKey
				} else {
					state = expectValue
				}
			case open + 2:
				stack = stack[:len(stack)-1]
				i++
			default:
				return invalid, stack
			}
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

// Bit tricks to find, in eight bytes at once, the first byte that ends
// the plain part of a string: a quote, a backslash or a control byte.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special has the high bit set in the first byte of x (little-endian)
// that is '"', '\\' or below 0x20. Bytes after the first match may be
// flagged falsely (borrows run upwards), so only the lowest bit counts.
func special(x uint64) uint64 {
	q := x ^ (ones * '"')
	b := x ^ (ones * '\\')
	return ((q - ones) &^ q & highs) | ((b - ones) &^ b & highs) | ((x - ones*0x20) &^ x & highs)
}

// skipString returns the index after the closing quote of the string
// whose content starts at i.
func skipString(data []byte, i int) (int, bool) {
	for {
		for i+8 <= len(data) {
			if m := special(binary.LittleEndian.Uint64(data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(data) {
			return i, false
		}
		switch c := data[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(data) {
				return i, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		default:
			i++ // the tail of fewer than eight bytes, one at a time
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// skipNumber returns the index after the number starting at i:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(data []byte, i int) (int, bool) {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return i, false
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		i = skipDigits(data, i+1)
	default:
		return i, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return i, false
		}
		i = skipDigits(data, i+1)
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || data[i] < '0' || data[i] > '9' {
			return i, false
		}
		i = skipDigits(data, i+1)
	}
	return i, true
}

func skipDigits(data []byte, i int) int {
	for i < len(data) && '0' <= data[i] && data[i] <= '9' {
		i++
	}
	return i
}
