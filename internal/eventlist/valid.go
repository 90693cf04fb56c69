package eventlist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// MaxDepth is how deeply objects and arrays may nest in a document, as in
// encoding/json. Deeper documents are refused: a recursive validator
// (gjson's) would exhaust the stack on a body of 64 MiB of '['.
const MaxDepth = 10000

// syntaxError says where doc stops being JSON.
type syntaxError struct {
	Offset int
	Msg    string
	deep   bool // the nesting is the problem
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%s at byte %d: %s", ErrNotJSON, e.Offset, e.Msg)
}
func (e *syntaxError) Unwrap() []error {
	if e.deep {
		return []error{ErrNotJSON, ErrTooDeep}
	}
	return []error{ErrNotJSON}
}

// Validate checks that doc is exactly one JSON value (surrounding
// whitespace allowed). It accepts what gjson.ValidBytes and
// encoding/json's Valid accept (UTF-8 is not checked), but without
// recursion, so no input can exhaust the stack: documents nested deeper
// than MaxDepth are refused. Errors wrap ErrNotJSON (and ErrTooDeep for
// the nesting) and give the byte offset of the fault.
func Validate(doc []byte) error { return validate(doc) }

// validate checks that doc is exactly one JSON value (surrounding
// whitespace allowed), nested at most MaxDepth deep. It works without
// recursion, and checks strings eight bytes at a time. Like gjson and
// encoding/json it does not check UTF-8.
func validate(doc []byte) error {
	_, err := validatePlain(doc, nil)
	return err
}

// validatePlain is validate that also reports whether doc is plain text
// (see SplitFieldsPlain). Strings are the only place where other bytes
// can hide in valid JSON, so they are checked in the same eight-byte
// steps as for quotes and escapes; whitespace between tokens may hold a
// CR, which one vectorised search finds.
// When sp is not nil, it is shown the members and values at the top
// three levels as they are validated, to split an EventList in this pass.
func validatePlain(doc []byte, sp *splitter) (plain bool, err error) {
	dirty := false
	if err := validateText(doc, &dirty, sp); err != nil {
		return false, err
	}
	return !dirty && bytes.IndexByte(doc, '\r') < 0, nil
}

func validateText(doc []byte, dirty *bool, sp *splitter) error {
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	i := skipSpace(doc, 0)
	fail := func(msg string) error {
		if i >= len(doc) {
			return &syntaxError{Offset: len(doc), Msg: "unexpected end of input"}
		}
		return &syntaxError{Offset: i, Msg: msg}
	}
	for {
		// A value starts at i.
		if i >= len(doc) {
			return fail("")
		}
		if sp != nil && len(stack) <= 3 {
			sp.start(len(stack), doc, i)
		}
		switch c := doc[i]; {
		case c == '{' || c == '[':
			if len(stack) == MaxDepth {
				return &syntaxError{Offset: i, Msg: fmt.Sprintf("nested deeper than %d", MaxDepth), deep: true}
			}
			stack = append(stack, c)
			i = skipSpace(doc, i+1)
			if i < len(doc) && doc[i] == c+2 { // '}' or ']'
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				ks := i + 1
				var ke int
				var err error
				if i, ke, err = validKey(doc, i, dirty); err != nil {
					return err
				}
				if sp != nil && len(stack) <= 3 {
					sp.key(len(stack), doc[ks:ke])
				}
			}
			continue
		case c == '"':
			j, err := validString(doc, i, dirty)
			if err != nil {
				return err
			}
			i = j
		case c == '-' || c >= '0' && c <= '9':
			j, ok := validNumber(doc, i)
			if !ok {
				i = j
				return fail("malformed number")
			}
			i = j
		case c == 't' || c == 'f' || c == 'n':
			lit := "null"
			if c == 't' {
				lit = "true"
			} else if c == 'f' {
				lit = "false"
			}
			if len(doc)-i < len(lit) || string(doc[i:i+len(lit)]) != lit {
				return fail("invalid literal")
			}
			i += len(lit)
		default:
			return fail(fmt.Sprintf("unexpected %q where a value belongs", c))
		}
		// After a value: a comma, the end of containers, or the end.
		for {
			// A value ends at i.
			if sp != nil && len(stack) <= 3 {
				sp.end(len(stack), doc, i)
			}
			i = skipSpace(doc, i)
			if len(stack) == 0 {
				if i != len(doc) {
					return fail("data after the top-level value")
				}
				return nil
			}
			if i >= len(doc) {
				return fail("")
			}
			top := stack[len(stack)-1]
			if doc[i] == top+2 {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if doc[i] != ',' {
				return fail(fmt.Sprintf("unexpected %q after a value", doc[i]))
			}
			i = skipSpace(doc, i+1)
			if top == '{' {
				ks := i + 1
				var ke int
				var err error
				if i, ke, err = validKey(doc, i, dirty); err != nil {
					return err
				}
				if sp != nil && len(stack) <= 3 {
					sp.key(len(stack), doc[ks:ke])
				}
			}
			break
		}
	}
}

// validKey checks `"key" :` at doc[i] and returns the index of the value
// and that of the key's closing quote.
func validKey(doc []byte, i int, dirty *bool) (int, int, error) {
	if i >= len(doc) {
		return i, 0, &syntaxError{Offset: len(doc), Msg: "unexpected end of input"}
	}
	if doc[i] != '"' {
		return i, 0, &syntaxError{Offset: i, Msg: fmt.Sprintf("unexpected %q where an object key belongs", doc[i])}
	}
	i, err := validString(doc, i, dirty)
	if err != nil {
		return i, 0, err
	}
	ke := i - 1
	i = skipSpace(doc, i)
	if i >= len(doc) {
		return i, 0, &syntaxError{Offset: len(doc), Msg: "unexpected end of input"}
	}
	if doc[i] != ':' {
		return i, 0, &syntaxError{Offset: i, Msg: "missing ':' after object key"}
	}
	return skipSpace(doc, i+1), ke, nil
}

// validString checks the string opening at doc[i] and returns the index
// after it. It sets *dirty when the string holds a byte that is not plain
// text: '<', '>', '&' or one above 0x7F (control characters are invalid).
func validString(doc []byte, i int, dirty *bool) (int, error) {
	start := i
	i++
	for {
		if !*dirty {
			// Until a byte that is not plain text turns up, stop at those
			// too: '"' and '&', '<' and '>' differ in one bit each, and
			// one subtraction finds both control bytes and those above 0x7F.
			for i+8 <= len(doc) {
				x := binary.LittleEndian.Uint64(doc[i:])
				qa, lg, bs := x&(ones*0xFB)^(ones*'"'), x&(ones*0xFD)^(ones*'<'), x^(ones*'\\')
				m := ((qa-ones)&^qa | (lg-ones)&^lg | (bs-ones)&^bs | (x - ones*0x20) | x) & highs
				if m != 0 {
					i += bits.TrailingZeros64(m) / 8
					break
				}
				i += 8
			}
		} else {
			for i+8 <= len(doc) {
				x := binary.LittleEndian.Uint64(doc[i:])
				q, bs := x^(ones*'"'), x^(ones*'\\')
				m := ((q-ones)&^q | (bs-ones)&^bs | (x-ones*0x20)&^x) & highs
				if m != 0 {
					i += bits.TrailingZeros64(m) / 8
					break
				}
				i += 8
			}
		}
		if i >= len(doc) {
			return len(doc), &syntaxError{Offset: start, Msg: "unterminated string"}
		}
		switch c := doc[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(doc) {
				return len(doc), &syntaxError{Offset: start, Msg: "unterminated string"}
			}
			switch doc[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(doc)-i < 6 || !isHex(doc[i+2]) || !isHex(doc[i+3]) || !isHex(doc[i+4]) || !isHex(doc[i+5]) {
					return i, &syntaxError{Offset: i, Msg: `malformed \u escape`}
				}
				i += 6
			default:
				return i, &syntaxError{Offset: i, Msg: fmt.Sprintf("invalid escape \\%c", doc[i+1])}
			}
		case c < 0x20:
			return i, &syntaxError{Offset: i, Msg: fmt.Sprintf("control character %#02x in string", c)}
		default:
			if c >= 0x80 || c == '<' || c == '>' || c == '&' {
				*dirty = true
			}
			i++
		}
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// validNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at
// doc[i] and returns the index after it.
func validNumber(doc []byte, i int) (int, bool) {
	digits := func() bool {
		s := i
		for i < len(doc) && doc[i] >= '0' && doc[i] <= '9' {
			i++
		}
		return i > s
	}
	if doc[i] == '-' {
		i++
	}
	if i < len(doc) && doc[i] == '0' {
		i++
	} else if !digits() {
		return i, false
	}
	if i < len(doc) && doc[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}
