package jsonscan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// MaxDepth is how deeply objects and arrays may nest in a document, as in
// encoding/json. Deeper documents are refused: a recursive validator
// (gjson's) would exhaust the stack on a body of 64 MiB of '['.
const MaxDepth = 10000

// Errors wrapped by *SyntaxError, for errors.Is.
var (
	ErrSyntax  = errors.New("not valid JSON")
	ErrTooDeep = errors.New("nested deeper than MaxDepth") // wrapped together with ErrSyntax
)

// SyntaxError says where a document stops being JSON.
type SyntaxError struct {
	Offset int    // byte offset of the fault: the bad byte, the start of a bad string, or len(doc) at an early end
	Msg    string // what is wrong there
	deep   bool   // the nesting is the problem
}

// Error returns "not valid JSON at byte N: what".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at byte %d: %s", ErrSyntax, e.Offset, e.Msg)
}

// Unwrap returns ErrSyntax, and ErrTooDeep when the nesting is the fault.
func (e *SyntaxError) Unwrap() []error {
	if e.deep {
		return []error{ErrSyntax, ErrTooDeep}
	}
	return []error{ErrSyntax}
}

// Validate checks that doc is exactly one JSON value (surrounding
// whitespace allowed). It accepts what gjson.ValidBytes and
// encoding/json's Valid accept (UTF-8 is not checked), but without
// recursion, so no input can exhaust the stack: documents nested deeper
// than MaxDepth are refused. The error is a *SyntaxError.
func Validate(doc []byte) error {
	dirty := true // plain text is not asked for: strings take the shorter check
	return validate(doc, &dirty, nil, 0)
}

// A Visitor is shown the keys and values near the top of a document while
// ValidatePlain checks it, so a caller can split the document in the same
// pass. Depth is the number of containers open around a key or value: 1
// for the members or elements of the top-level value, 2 for theirs.
// Calls arrive in document order, up to the point where the document
// turns out invalid.
type Visitor interface {
	// Key is called with the text between the quotes of an object key
	// (still escaped) before the member's value starts.
	Key(depth int, key []byte)
	// Start is called when a value starts at doc[i].
	Start(depth int, doc []byte, i int)
	// End is called when the value that started last at this depth ends
	// just before doc[i].
	End(depth int, doc []byte, i int)
}

// A MemberVisitor is a Visitor that ScanPlain shows each member of an
// object at the deepest depth it shows in one call, Member, instead of
// three (Key, Start, End): a caller reading many small members saves two
// calls a member. The other functions that take a Visitor call Key,
// Start and End as for any Visitor. Member is called only for a member
// whose value ended; elements of an array at that depth, and values at
// lesser depths, still get Start and End.
type MemberVisitor interface {
	Visitor
	// Member is called with the text between the quotes of the key
	// (still escaped), as Key has it, and the value's bytes, when the
	// value ends.
	Member(depth int, key, value []byte)
}

// ValidatePlain is Validate that also reports whether doc is plain text:
// nothing but printable ASCII (0x20 to 0x7F) other than '<', '>' and
// '&', and tab and LF. Such bytes stand for themselves in XML character
// data. Strings are the only place where other bytes can hide in valid
// JSON, so they are checked in the same eight-byte steps as for quotes
// and escapes; whitespace between tokens may hold a CR, which one
// vectorised search finds. When v is not nil it is shown the keys and
// values at depths 0 to depth as they are validated. plain is false when
// err is not nil.
func ValidatePlain(doc []byte, v Visitor, depth int) (plain bool, err error) {
	dirty := false
	if err := validate(doc, &dirty, v, depth); err != nil {
		return false, err
	}
	return !dirty && bytes.IndexByte(doc, '\r') < 0, nil
}

func validate(doc []byte, dirty *bool, v Visitor, depth int) error {
	end, err := validateAt(doc, SkipSpace(doc, 0), dirty, v, depth, MaxDepth)
	if err != nil {
		return err
	}
	if end = SkipSpace(doc, end); end != len(doc) {
		return &SyntaxError{Offset: end, Msg: "data after the top-level value"}
	}
	return nil
}

// ValidValueAt returns the index just after the one JSON value that starts
// at doc[i], checking it as Validate would, or -1 when it is not valid.
// Field access uses it to validate, in the same walk, the values it skips.
// Unlike Validate it sets no nesting limit, because it stands in for
// gjson.ValidBytes, which sets none; the nesting costs one byte a level.
func ValidValueAt(doc []byte, i int) int {
	dirty := true
	end, err := validateAt(doc, i, &dirty, nil, 0, -1)
	if err != nil {
		return -1
	}
	return end
}

// ValidStringAt returns the index just after the JSON string whose opening
// quote is at doc[i], or -1 when it is not closed or holds a control
// character or a bad escape.
func ValidStringAt(doc []byte, i int) int {
	dirty := true
	end, err := validString(doc, i, &dirty)
	if err != nil {
		return -1
	}
	return end
}

// ValidKeyAt checks `"key" :` at doc[i] (blanks allowed around the colon)
// and returns the index where the member's value starts, or -1.
func ValidKeyAt(doc []byte, i int) int {
	dirty := true
	end, _, err := validKey(doc, i, &dirty)
	if err != nil {
		return -1
	}
	return end
}

// validateAt checks the one value that starts at doc[i] and returns the
// index just after it. Containers may nest limit deep (-1: any depth).
func validateAt(doc []byte, i int, dirty *bool, v Visitor, depth, limit int) (int, error) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	fail := func(msg string) (int, error) {
		if i >= len(doc) {
			return i, &SyntaxError{Offset: len(doc), Msg: "unexpected end of input"}
		}
		return i, &SyntaxError{Offset: i, Msg: msg}
	}
	for {
		// A value starts at i.
		if i >= len(doc) {
			return fail("")
		}
		if v != nil && len(stack) <= depth {
			v.Start(len(stack), doc, i)
		}
		switch c := doc[i]; {
		case c == '{' || c == '[':
			if len(stack) == limit {
				return i, &SyntaxError{Offset: i, Msg: fmt.Sprintf("nested deeper than %d", limit), deep: true}
			}
			stack = append(stack, c)
			i = SkipSpace(doc, i+1)
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
					return i, err
				}
				if v != nil && len(stack) <= depth {
					v.Key(len(stack), doc[ks:ke])
				}
			}
			continue
		case c == '"':
			j, err := validString(doc, i, dirty)
			if err != nil {
				return i, err
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
			if v != nil && len(stack) <= depth {
				v.End(len(stack), doc, i)
			}
			if len(stack) == 0 {
				return i, nil
			}
			i = SkipSpace(doc, i)
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
			i = SkipSpace(doc, i+1)
			if top == '{' {
				ks := i + 1
				var ke int
				var err error
				if i, ke, err = validKey(doc, i, dirty); err != nil {
					return i, err
				}
				if v != nil && len(stack) <= depth {
					v.Key(len(stack), doc[ks:ke])
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
		return i, 0, &SyntaxError{Offset: len(doc), Msg: "unexpected end of input"}
	}
	if doc[i] != '"' {
		return i, 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("unexpected %q where an object key belongs", doc[i])}
	}
	i, err := validString(doc, i, dirty)
	if err != nil {
		return i, 0, err
	}
	ke := i - 1
	i = SkipSpace(doc, i)
	if i >= len(doc) {
		return i, 0, &SyntaxError{Offset: len(doc), Msg: "unexpected end of input"}
	}
	if doc[i] != ':' {
		return i, 0, &SyntaxError{Offset: i, Msg: "missing ':' after object key"}
	}
	return SkipSpace(doc, i+1), ke, nil
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
				// The high-bit mask is applied once, to the union.
				qa, lg, bs := x&(Ones*0xFB)^(Ones*'"'), x&(Ones*0xFD)^(Ones*'<'), x^(Ones*'\\')
				m := ((qa-Ones)&^qa | (lg-Ones)&^lg | (bs-Ones)&^bs | (x - Ones*0x20) | x) & Highs
				if m != 0 {
					i += bits.TrailingZeros64(m) / 8
					break
				}
				i += 8
			}
		} else {
			for i+8 <= len(doc) {
				x := binary.LittleEndian.Uint64(doc[i:])
				q, bs := x^(Ones*'"'), x^(Ones*'\\')
				if m := ((q-Ones)&^q | (bs-Ones)&^bs | (x-Ones*0x20)&^x) & Highs; m != 0 {
					i += bits.TrailingZeros64(m) / 8
					break
				}
				i += 8
			}
		}
		if i >= len(doc) {
			return len(doc), &SyntaxError{Offset: start, Msg: "unterminated string"}
		}
		switch c := doc[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(doc) {
				return len(doc), &SyntaxError{Offset: start, Msg: "unterminated string"}
			}
			switch doc[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := Hex4(doc[min(i+2, len(doc)):]); !ok {
					return i, &SyntaxError{Offset: i, Msg: `malformed \u escape`}
				}
				i += 6
			default:
				return i, &SyntaxError{Offset: i, Msg: fmt.Sprintf("invalid escape \\%c", doc[i+1])}
			}
		case c < 0x20:
			return i, &SyntaxError{Offset: i, Msg: fmt.Sprintf("control character %#02x in string", c)}
		default:
			if c >= 0x80 || c == '<' || c == '>' || c == '&' {
				*dirty = true
			}
			i++
		}
	}
}

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
