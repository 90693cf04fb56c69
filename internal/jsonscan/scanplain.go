package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// ScanPlain is ValidatePlain with a faster walk for documents that are
// valid, the webhook's usual case: same result, same errors, same Visitor
// calls. It only decides valid or not while it walks (no error is built,
// no position kept for one, the string checks return an index instead of
// updating a flag through a pointer); when the document turns out invalid
// it runs ValidatePlain's walk again for the positioned error, so a bad
// document costs two walks and a good one less than one.
func ScanPlain(doc []byte, v Visitor, depth int) (plain bool, err error) {
	plain, ok := scanPlain(doc, v, depth)
	if !ok {
		dirty := false
		if err := validate(doc, &dirty, nil, 0); err != nil {
			return false, err
		}
		// Unreachable while the two walks agree (FuzzScanPlain holds them
		// to it); refusing is the safe answer if they ever do not.
		return false, &SyntaxError{Offset: 0, Msg: "internal: the fast and the reference validator disagree"}
	}
	return plain, nil
}

// skipBlanks is SkipSpace that also clears plain at a CR. In a valid
// document a CR can only stand between tokens (in a string it is a
// control byte), so the walk's skips see every CR there is and no second
// search of the document for one is needed.
func skipBlanks(doc []byte, i int, plain bool) (int, bool) {
	for ; i < len(doc); i++ {
		switch doc[i] {
		case ' ', '\t', '\n':
		case '\r':
			plain = false
		default:
			return i, plain
		}
	}
	return i, plain
}

// scanPlain walks doc as validateAt does (same nesting limit, same
// Visitor calls up to the first fault) and reports whether it is one
// valid JSON value, and whether it is plain text (strings and blanks).
//
// The walk keeps the innermost container's kind in top (0 at the top
// level) rather than reading the stack for it, tests a byte for a blank
// with one comparison (anything up to ' ' goes to skipBlanks, which stops
// at a byte that is not one and leaves the refusal to the walk), and
// finds the end of a string or key through the block marks inline; the
// calls left are the Visitor's and the rare slow paths.
func scanPlain(doc []byte, v Visitor, depth int) (plain, ok bool) {
	var stackBuf [64]byte
	stack := stackBuf[:0] // '{' or '[' per open container
	var top byte          // stack's last element, 0 when empty
	plain = true
	bm := blockMask{blk: -1}
	n := len(doc)
	if v == nil {
		depth = -1 // no Visitor: no depth is shown
	}
	i, plain := skipBlanks(doc, 0, plain)
	for {
		// A value starts at i.
		if i >= n {
			return false, false
		}
		if len(stack) <= depth {
			v.Start(len(stack), doc, i)
		}
		c := doc[i]
		if c == '"' {
			j := i + 1
			if j >= n {
				return false, false
			}
			if b := j >> 6; b != bm.blk {
				bm.load(doc, b, plain) // the string starts in the next block
			}
			if m := bm.mask >> (j & 63); m != 0 && doc[j+bits.TrailingZeros64(m)] == '"' {
				i = j + bits.TrailingZeros64(m) + 1
			} else if i, plain = scanString(doc, i, plain, &bm); i < 0 {
				return false, false
			}
		} else if c == '{' || c == '[' {
			if len(stack) == MaxDepth {
				return false, false
			}
			stack = append(stack, c)
			top = c
			i++
			if i < n && doc[i] <= ' ' {
				i, plain = skipBlanks(doc, i, plain)
			}
			if i < n && doc[i] == c+2 { // '}' or ']'
				stack = stack[:len(stack)-1]
				top = 0
				if len(stack) > 0 {
					top = stack[len(stack)-1]
				}
				i++
			} else {
				if c == '{' {
					if i = scanMemberKey(doc, i, &plain, &bm, v, len(stack), depth); i < 0 {
						return false, false
					}
				}
				continue
			}
		} else if c == '-' || c-'0' <= 9 {
			var good bool
			if i, good = validNumber(doc, i); !good {
				return false, false
			}
		} else if c == 't' {
			if n-i < 4 || binary.LittleEndian.Uint32(doc[i:]) != 't'|'r'<<8|'u'<<16|'e'<<24 {
				return false, false
			}
			i += 4
		} else if c == 'n' {
			if n-i < 4 || binary.LittleEndian.Uint32(doc[i:]) != 'n'|'u'<<8|'l'<<16|'l'<<24 {
				return false, false
			}
			i += 4
		} else if c == 'f' {
			if n-i < 5 || binary.LittleEndian.Uint32(doc[i+1:]) != 'a'|'l'<<8|'s'<<16|'e'<<24 {
				return false, false
			}
			i += 5
		} else {
			return false, false
		}
		// After a value: a comma, the end of containers, or the end.
		for {
			// A value ends at i.
			if len(stack) <= depth {
				v.End(len(stack), doc, i)
			}
			if top == 0 {
				if i < n {
					i, plain = skipBlanks(doc, i, plain)
				}
				return plain, i == n
			}
			if i < n && doc[i] <= ' ' {
				i, plain = skipBlanks(doc, i, plain)
			}
			if i >= n {
				return false, false
			}
			if c := doc[i]; c == ',' {
				i++
				if i < n && doc[i] <= ' ' {
					i, plain = skipBlanks(doc, i, plain)
				}
				if top == '{' {
					if i = scanMemberKey(doc, i, &plain, &bm, v, len(stack), depth); i < 0 {
						return false, false
					}
				}
				break
			} else if c != top+2 {
				return false, false
			}
			stack = stack[:len(stack)-1]
			top = 0
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
			i++
		}
	}
}

// scanMemberKey checks `"key" :` at doc[i], shows the key to v when d <=
// depth, and returns the index where the member's value starts, or -1.
// The usual key, compact and within the block marked or the next, is
// found inline; scanKey takes the rest.
func scanMemberKey(doc []byte, i int, plain *bool, bm *blockMask, v Visitor, d, depth int) int {
	j := i + 1
	if j < len(doc) && doc[i] == '"' {
		if b := j >> 6; b != bm.blk {
			bm.load(doc, b, *plain)
		}
		if m := bm.mask >> (j & 63); m != 0 {
			e := j + bits.TrailingZeros64(m) // the first mark after the quote
			if e+2 < len(doc) && doc[e] == '"' && doc[e+1] == ':' && doc[e+2] > ' ' {
				if d <= depth {
					v.Key(d, doc[j:e])
				}
				return e + 2
			}
		}
	}
	return scanKey(doc, i, plain, bm, v, d, depth)
}

// scanKey checks `"key" :` at doc[i], shows the key to v when d <= depth,
// and returns the index where the member's value starts, or -1.
func scanKey(doc []byte, i int, plain *bool, bm *blockMask, v Visitor, d, depth int) int {
	if i >= len(doc) || doc[i] != '"' {
		return -1
	}
	ks := i + 1
	if i, *plain = scanString(doc, i, *plain, bm); i < 0 {
		return -1
	}
	ke := i - 1
	if i < len(doc) && doc[i] <= ' ' {
		i, *plain = skipBlanks(doc, i, *plain)
	}
	if i >= len(doc) || doc[i] != ':' {
		return -1
	}
	i++
	if i < len(doc) && doc[i] <= ' ' {
		i, *plain = skipBlanks(doc, i, *plain)
	}
	if v != nil && d <= depth {
		v.Key(d, doc[ks:ke])
	}
	return i
}

// blockMask marks, in one 64-byte block of the document, the bytes a
// string scan must stop at: quotes, backslashes, control bytes and, while
// the document is still plain text, '<', '>', '&' and bytes above 0x7F.
// A string's end is then one shift and one trailing-zero count away, with
// no loop whose exit the branch predictor has to guess per string; the
// walk moves forward, so the block it is in is the only one kept. The
// vector marks (amd64) are exact; with the SWAR ones, marks past a real
// one in the same eight bytes may be false (a borrow of the SWAR tests).
// scanString looks at each marked byte, so a false mark costs a step,
// never a wrong answer.
type blockMask struct {
	blk  int    // index of the block described (-1: none yet)
	mask uint64 // bit k: doc[64*blk+k] is marked
}

// load computes the marks of block blk of doc.
func (bm *blockMask) load(doc []byte, blk int, plain bool) {
	base := blk * 64
	var m uint64
	switch {
	case base+64 <= len(doc) && plain:
		m = marksPlain((*[64]byte)(doc[base : base+64]))
	case base+64 <= len(doc):
		m = marksAny((*[64]byte)(doc[base : base+64]))
	default:
		for k, c := range doc[base:] {
			if c == '"' || c == '\\' || c < 0x20 || plain && (c >= 0x80 || c == '<' || c == '>' || c == '&') {
				m |= 1 << k
			}
		}
	}
	bm.blk, bm.mask = blk, m
}

// marksPlainSWAR is marksPlain eight bytes at a time in plain Go: the
// same lowest mark in every eight bytes, possibly more marks above it.
// It serves where there is no vector version, and as the tests' oracle.
func marksPlainSWAR(d *[64]byte) uint64 {
	var m uint64
	for w := 0; w < 64; w += 8 {
		x := binary.LittleEndian.Uint64(d[w:])
		// '"' and '&', '<' and '>' differ in one bit each. y - Ones
		// sets a byte's high bit when y is 0 (a match) or above 0x80,
		// which only a byte of x above 0x7F gives, and those are
		// marked anyway: no "&^ y" is needed, and the lowest mark is
		// still exact.
		qa, lg, bs := x&(Ones*0xFB)^(Ones*'"'), x&(Ones*0xFD)^(Ones*'<'), x^(Ones*'\\')
		h := ((qa - Ones) | (lg - Ones) | (bs - Ones) | (x - Ones*0x20) | x) & Highs
		// Gather the eight high bits into one byte: byte k's bit, at
		// 8k after the shift, lands at 56+k, and no two partial
		// products meet, so nothing carries.
		m |= (h >> 7) * 0x0102040810204080 >> 56 << w
	}
	return m
}

// marksAnySWAR is marksAny eight bytes at a time in plain Go, with the
// same lowest mark in every eight bytes (see marksPlainSWAR).
func marksAnySWAR(d *[64]byte) uint64 {
	var m uint64
	for w := 0; w < 64; w += 8 {
		x := binary.LittleEndian.Uint64(d[w:])
		q, bs := x^(Ones*'"'), x^(Ones*'\\')
		h := ((q-Ones)&^q | (bs-Ones)&^bs | (x-Ones*0x20)&^x) & Highs
		m |= (h >> 7) * 0x0102040810204080 >> 56 << w
	}
	return m
}

// quick returns the index after the string whose opening quote is at
// doc[i] when the block in bm holds its closing quote and nothing else is
// marked before it (the usual short key or value), else 0: then
// scanString must look. Small enough to be inlined into the walk.
func (bm *blockMask) quick(doc []byte, i int) int {
	j := i + 1
	if j>>6 != bm.blk {
		return 0
	}
	m := bm.mask >> (j & 63)
	if m == 0 {
		return 0
	}
	j += bits.TrailingZeros64(m)
	if doc[j] != '"' {
		return 0
	}
	return j + 1
}

// quickKey returns the index after `"key":` at doc[i] when the block in
// bm holds the key's closing quote with nothing else marked before it,
// and a colon follows right after it with neither a blank nor a control
// byte after that (compact JSON, as the API server writes), else 0: then
// scanKey must look. Small enough to be inlined into the walk.
func (bm *blockMask) quickKey(doc []byte, i int) int {
	j := i + 1
	if j>>6 != bm.blk {
		return 0
	}
	m := bm.mask >> (j & 63)
	if m == 0 {
		return 0
	}
	j += bits.TrailingZeros64(m)
	if j+2 >= len(doc) || doc[i] != '"' || doc[j] != '"' || doc[j+1] != ':' || doc[j+2] <= ' ' {
		return 0
	}
	return j + 2
}

// scanString is validString returning -1 instead of an error, and
// whether the text is still plain (plain in, and no '<', '>', '&' or byte
// above 0x7F in this string). It finds the bytes to look at through bm.
func scanString(doc []byte, i int, plain bool, bm *blockMask) (int, bool) {
	i++
	for {
		if i >= len(doc) {
			return -1, false
		}
		blk := i >> 6
		if blk != bm.blk {
			bm.load(doc, blk, plain)
		}
		m := bm.mask >> (i & 63)
		if m == 0 {
			i = (blk + 1) << 6
			continue
		}
		i += bits.TrailingZeros64(m)
		switch c := doc[i]; {
		case c == '"':
			return i + 1, plain
		case c == '\\':
			if i+1 >= len(doc) {
				return -1, false
			}
			switch doc[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := Hex4(doc[min(i+2, len(doc)):]); !ok {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		case c < 0x20:
			return -1, false
		default:
			if c >= 0x80 || c == '<' || c == '>' || c == '&' {
				plain = false
			}
			i++
		}
	}
}
