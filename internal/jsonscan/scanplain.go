package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"
	"unsafe"
)

// ScanPlain is ValidatePlain with a faster walk for documents that are
// valid, the webhook's usual case: same result, same errors, same Visitor
// calls. It only decides valid or not while it walks (no error is built,
// no position kept for one, the string checks return an index instead of
// updating a flag through a pointer); when the document turns out invalid
// it runs ValidatePlain's walk again for the positioned error, so a bad
// document costs two walks and a good one less than one.
//
// A v that is a MemberVisitor is shown each member of an object at depth
// itself in one Member call instead of Key, Start and End.
func ScanPlain(doc []byte, v Visitor, depth int) (plain bool, err error) {
	mb := marksPool.Get().(*[]uint64)
	nb := (len(doc) + 63) >> 6
	marks := slices.Grow((*mb)[:0], nb)[:nb]
	fillMarks(doc, marks)
	plain, ok := scanPlain(doc, v, depth, marks)
	if cap(marks) <= maxPooledMarks {
		*mb = marks
		marksPool.Put(mb)
	}
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

// marksPool holds the walk's block marks between documents: one word
// per 64 bytes, an eighth of the document.
var marksPool = sync.Pool{New: func() any { return new([]uint64) }}

// maxPooledMarks bounds the marks kept for the next document (a 4 MiB
// document's): a rare huge one is not held on to.
const maxPooledMarks = 64 << 10

// fillMarks sets marks[b] to the plain marks of block b of doc, for every
// block. The walk then reads a block's marks with one load: before, it
// made them as it entered each block, and tested at every string and key
// whether it had.
func fillMarks(doc []byte, marks []uint64) {
	full := len(doc) >> 6
	if full > 0 {
		marksPlainBlocks(unsafe.SliceData(doc), full, unsafe.SliceData(marks))
	}
	if full < len(marks) {
		marks[full] = marksOf(doc, full, true)
	}
}

// remarkAny replaces the marks of the blocks from b on with marksAny's,
// once the document is found not plain: '<', '>', '&' and bytes above
// 0x7F then no longer stop a string's scan. The plain marks would give
// the same answers, with a stop at each of those bytes.
func remarkAny(doc []byte, marks []uint64, b int) {
	for ; b < len(marks); b++ {
		marks[b] = marksOf(doc, b, false)
	}
}

// markAt is marks[b] for mp the start of marks and 0 <= b < len(marks),
// which the caller has made sure of (b<<6 < len(doc)).
func markAt(mp unsafe.Pointer, b int) uint64 { return *(*uint64)(unsafe.Add(mp, b<<3)) }

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
// It is written for few instructions per token, the webhook's cost: one
// loop whose states (a value starts, a value ended, a key starts) are
// labels, so that no token costs a call unless the Visitor is shown it
// or a slow path (an escape, a string across a block's end, blanks) is
// taken; a byte up to ' ' goes to skipBlanks with one comparison (it
// stops at one that is not a blank, which the walk then refuses); every
// block's marks are made before the walk (fillMarks, in one vector loop)
// and read with one load where a string or key starts. Bytes are read
// through byteAt, without a bounds check, only at indexes just compared
// with n.
//
// Go keeps no register across a call, and the walk's state is larger
// than the registers: left to the compiler, it was spilled and reloaded
// where the states meet, on every token. Some of it is therefore held in
// arrays of two, which the compiler keeps in memory, read where used
// (callgrind counts 1,100 fewer instructions per webhook event): the
// Visitors, the plain flag and the innermost container's kind.
func scanPlain(doc []byte, v Visitor, depth int, marks []uint64) (plain, ok bool) {
	// The open containers: d of them, bit k of kinds set when the k-th
	// is an object; tp[0] is the innermost's '{' or '[', 0 when none.
	var kinds [MaxDepth/64 + 1]uint64
	var d int
	var c byte
	var tp [2]byte
	mp := unsafe.Pointer(unsafe.SliceData(marks)) // the block marks (see marksOf), one per block of doc
	var m uint64
	var b int
	var j, e int
	n := len(doc)
	doc = doc[:n:n] // one register less: the capacity is the length
	p := unsafe.Pointer(unsafe.SliceData(doc))
	if v == nil {
		depth = -1 // no Visitor: no depth is shown
	}
	// A MemberVisitor's members at depth md are kept in member (key
	// start, key end, value start) until the value ends.
	mv, _ := v.(MemberVisitor)
	md := -1
	if mv != nil {
		md = depth
	}
	vs := [2]Visitor{v}
	mvs := [2]MemberVisitor{mv}
	var member [3]int
	var pl [2]bool // pl[0]: the document is plain text so far
	var i int
	i, pl[0] = skipBlanks(doc, 0, true)

value: // a value starts at i
	if i >= n {
		return false, false
	}
	if d <= depth {
		if d == md && tp[0] == '{' {
			member[2] = i
		} else {
			vs[0].Start(d, doc, i)
		}
	}
valueIn: // the value at i < n, shown to the Visitor already
	c = byteAt(p, i)
	switch {
	case c == '"':
		if j = i + 1; j >= n {
			return false, false
		}
		// The usual string: nothing to look at before its end, in this
		// block or the next (marks at or after j, then the next block's).
		if b = j >> 6; true {
			if m = markAt(mp, b) >> (j & 63) << (j & 63); m == 0 && (b+1)<<6 < n {
				b++
				m = markAt(mp, b)
			}
		}
		if m != 0 {
			if e = b<<6 + bits.TrailingZeros64(m); byteAt(p, e) == '"' {
				i = e + 1
				goto after
			}
		}
		if i, pl[0] = scanString(doc, i, pl[0], marks); i < 0 {
			return false, false
		}
	case c == '{' || c == '[':
		if d == MaxDepth {
			return false, false
		}
		if c == '{' {
			kinds[d>>6] |= 1 << (d & 63)
		} else {
			kinds[d>>6] &^= 1 << (d & 63)
		}
		d++
		tp[0] = c
		i++
		if i < n && byteAt(p, i) <= ' ' {
			i, pl[0] = skipBlanks(doc, i, pl[0])
		}
		if i < n && byteAt(p, i) == c+2 { // '}' or ']'
			d--
			tp[0] = kindOf(&kinds, d)
			i++
			goto after
		}
		if c == '{' {
			goto key
		}
		goto value
	case c == '-' || c-'0' <= 9:
		// The usual number, an integer without sign, fraction or
		// exponent (a 0 may have no digit after it): validNumber takes
		// the rest, from the start.
		if j = i + 1; c != '0' {
			for j < n && byteAt(p, j)-'0' <= 9 {
				j++
			}
		}
		if c != '-' && (j == n || byteAt(p, j) != '.' && byteAt(p, j)|0x20 != 'e' && byteAt(p, j)-'0' > 9) {
			i = j
			goto after
		}
		var good bool
		if i, good = validNumber(doc, i); !good {
			return false, false
		}
	case c == 't':
		if n-i < 4 || binary.LittleEndian.Uint32(doc[i:]) != 't'|'r'<<8|'u'<<16|'e'<<24 {
			return false, false
		}
		i += 4
	case c == 'n':
		if n-i < 4 || binary.LittleEndian.Uint32(doc[i:]) != 'n'|'u'<<8|'l'<<16|'l'<<24 {
			return false, false
		}
		i += 4
	case c == 'f':
		if n-i < 5 || binary.LittleEndian.Uint32(doc[i+1:]) != 'a'|'l'<<8|'s'<<16|'e'<<24 {
			return false, false
		}
		i += 5
	default:
		return false, false
	}

after: // a value ended at i: a comma, the end of containers, or the end
	if d <= depth {
		if d == md && tp[0] == '{' {
			// The walk set member[0] <= member[1] <= member[2] <= i <= n
			// itself: slices made without the bounds checks.
			mvs[0].Member(d, unsafe.Slice((*byte)(unsafe.Add(p, member[0])), member[1]-member[0]),
				unsafe.Slice((*byte)(unsafe.Add(p, member[2])), i-member[2]))
		} else {
			vs[0].End(d, doc, i)
		}
	}
	if tp[0] == 0 {
		if i < n {
			i, pl[0] = skipBlanks(doc, i, pl[0])
		}
		return pl[0], i == n
	}
	if i < n && byteAt(p, i) == ',' { // the usual next byte, first
		goto comma
	}
	if i < n && byteAt(p, i) <= ' ' {
		i, pl[0] = skipBlanks(doc, i, pl[0])
	}
	if i >= n {
		return false, false
	}
	if c = byteAt(p, i); c == ',' {
		goto comma
	}
	if c != tp[0]+2 {
		return false, false
	}
	d--
	tp[0] = kindOf(&kinds, d)
	i++
	goto after

comma: // a comma at i, in a container
	i++
	// A quote right after the comma in an object is the usual key
	// (compact JSON): no blanks to look for.
	if j = i + 1; tp[0] == '{' && j < n && byteAt(p, i) == '"' {
		goto keyQuote
	}
	if i < n && byteAt(p, i) <= ' ' {
		i, pl[0] = skipBlanks(doc, i, pl[0])
	}
	if tp[0] == '{' {
		goto key
	}
	goto value

key: // an object's key starts at i
	// The usual key: its closing quote is the next mark, and a colon and
	// the value follow at once (compact JSON, as the API server writes).
	if j = i + 1; j >= n || byteAt(p, i) != '"' {
		goto keySlow
	}
keyQuote: // the key's opening quote at i, j = i+1 < n
	{
		b = j >> 6
		if m = markAt(mp, b) >> (j & 63) << (j & 63); m == 0 && (b+1)<<6 < n {
			b++
			m = markAt(mp, b)
		}
		if m != 0 {
			e = b<<6 + bits.TrailingZeros64(m)
			// `":` compared as one array of two bytes: one 16-bit
			// compare where two bytes took two loads and two branches.
			if e+2 < n && *(*[2]byte)(unsafe.Add(p, e)) == [2]byte{'"', ':'} && byteAt(p, e+2) > ' ' {
				// The value starts at e+2 < n in an object: value's
				// checks are answered here, where d's place against
				// depth and md is known, and valueIn skips them.
				i = e + 2
				if d > depth {
					goto valueIn
				}
				if d == md {
					member[0], member[1], member[2] = j, e, i
					goto valueIn
				}
				vs[0].Key(d, doc[j:e])
				vs[0].Start(d, doc, i)
				goto valueIn
			}
		}
	}
keySlow: // a key with blanks, escapes, or not a string
	j = i + 1
	if i, e, pl[0] = scanKey(doc, i, pl[0], marks); i < 0 {
		return false, false
	}
	if d == md {
		member[0], member[1] = j, e
	} else if d <= depth {
		vs[0].Key(d, doc[j:e])
	}
	goto value
}

// kindOf returns '{' or '[' for the innermost of the d containers open
// whose kinds are bits of kinds (see scanPlain), or 0 when d is 0.
func kindOf(kinds *[MaxDepth/64 + 1]uint64, d int) byte {
	if d == 0 {
		return 0
	}
	d--
	if kinds[d>>6]>>(d&63)&1 != 0 {
		return '{'
	}
	return '['
}

// byteAt is doc[k] for p the start of doc and 0 <= k < len(doc), which
// the caller has checked.
func byteAt(p unsafe.Pointer, k int) byte { return *(*byte)(unsafe.Add(p, k)) }

// scanKey checks `"key" :` at doc[i] and returns the index where the
// member's value starts, or -1, that of the key's closing quote, and the
// plain flag as scanString leaves it.
func scanKey(doc []byte, i int, plain bool, marks []uint64) (int, int, bool) {
	if i >= len(doc) || doc[i] != '"' {
		return -1, 0, false
	}
	if i, plain = scanString(doc, i, plain, marks); i < 0 {
		return -1, 0, false
	}
	ke := i - 1
	if i < len(doc) && doc[i] <= ' ' {
		i, plain = skipBlanks(doc, i, plain)
	}
	if i >= len(doc) || doc[i] != ':' {
		return -1, 0, false
	}
	i++
	if i < len(doc) && doc[i] <= ' ' {
		i, plain = skipBlanks(doc, i, plain)
	}
	return i, ke, plain
}

// The block marks: in one 64-byte block of the document (block b covers
// doc[64*b:64*b+64]), bit k marks doc[64*b+k] when a string scan must
// stop there: quotes, backslashes, control bytes and, while the document
// is still plain text, '<', '>', '&' and bytes above 0x7F. A string's
// end is then one shift and one trailing-zero count away, with no loop
// whose exit the branch predictor has to guess per string. The vector
// marks (amd64) are exact; with the SWAR ones, marks past a real one in
// the same eight bytes may be false (a borrow of the SWAR tests).
// scanString looks at each marked byte, so a false mark costs a step,
// never a wrong answer.

// blockEscapes' outcomes.
const (
	escEnd    int8 = iota // the string ended: i is the index after its closing quote
	escBad                // not a valid string
	escNext               // nothing left to look at in the block: go on at i, the next block's start
	escScalar             // i is a backslash at the block's end whose escape runs into the next block
)

// Masks of the even and odd bit positions.
const (
	evenBits = 0x5555555555555555
	oddBits  = 0xAAAAAAAAAAAAAAAA
)

// blockEscapes goes on with scanString's walk of a string at i, a
// backslash that is not itself escaped, to the end of i's block (a whole
// one), finding every escaped byte at once from the block's backslashes
// instead of one escape after another: the byte after a run of an odd
// number of backslashes is escaped, the backslashes of a run are an
// escape's or escaped. What is left to look at are the escaped bytes
// other than quotes (validated as scanString does), the marks that are
// neither backslashes nor escaped quotes (the closing quote, control
// bytes, bytes that end plain text), and a backslash run of odd length
// at the block's end, left to the byte walk.
func blockEscapes(doc []byte, i int, marks []uint64, plain bool) (int, int8, bool) {
	blk := i >> 6
	base := blk << 6
	q, b := quoteBackslash((*[64]byte)(doc[base : base+64]))
	lo := uint(i & 63)
	b = b >> lo << lo // i-1 is not a backslash of this run: the walk took it
	// The escaped bytes (simdjson's odd-backslash-sequence method): a run
	// starting at an even position ends on an odd one when its length is
	// odd, and the other way round; the carry out of the top is dropped,
	// the escape it stands for is the byte walk's.
	starts := b &^ (b << 1)
	evenEnds := (b + starts&evenBits) &^ b
	oddEnds := (b + starts&oddBits) &^ b
	esc := evenEnds&oddBits | oddEnds&evenBits
	stops := marks[blk]>>lo<<lo&^b&^(esc&q) | esc&^q
	if b>>63 != 0 && bits.LeadingZeros64(^b)&1 != 0 {
		stops |= 1 << 63 // an odd run ends the block
	}
	for ; stops != 0; stops &= stops - 1 {
		k := bits.TrailingZeros64(stops)
		p := base + k
		c := doc[p]
		switch {
		case esc>>k&1 != 0:
			if c == 'u' {
				if _, ok := Hex4(doc[min(p+1, len(doc)):]); !ok {
					return -1, escBad, false
				}
			} else if simpleEscapes[c] == 0 {
				return -1, escBad, false
			}
		case c == '"':
			return p + 1, escEnd, plain
		case c == '\\':
			return p, escScalar, plain
		case c < 0x20:
			return -1, escBad, false
		default:
			if plain && (c >= 0x80 || c == '<' || c == '>' || c == '&') {
				plain = false
				remarkAny(doc, marks, blk+1)
			}
		}
	}
	return base + 64, escNext, plain
}

// quoteBackslashBytes is quoteBackslash byte by byte: the other
// architectures' version, and the tests' definition.
func quoteBackslashBytes(p *[64]byte) (q, b uint64) {
	q, b, _, _ = structMarksBytes(p)
	return q, b
}

// marksOf returns the marks of block blk of doc.
func marksOf(doc []byte, blk int, plain bool) uint64 {
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
	return m
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

// scanString is validString returning -1 instead of an error, and
// whether the text is still plain (plain in, and no '<', '>', '&' or byte
// above 0x7F in this string). It finds the bytes to look at through the
// block marks; when it finds the document not plain, it remarks the
// blocks after this one (remarkAny).
func scanString(doc []byte, i int, plain bool, marks []uint64) (int, bool) {
	i++
	for {
		if i >= len(doc) {
			return -1, false
		}
		blk := i >> 6
		m := marks[blk] >> (i & 63)
		if m == 0 {
			i = (blk + 1) << 6
			continue
		}
		i += bits.TrailingZeros64(m)
		// Marks in this block are taken one after another here, an
		// escape's (such as kubectl's last-applied-configuration, an
		// object in a string, is full of) without the checks above.
	mark: // i is a marked byte
		switch c := doc[i]; {
		case c == '"':
			return i + 1, plain
		case c == '\\':
			// Several marks left in a whole block: most are escapes
			// (kubectl's last-applied-configuration, an object in a
			// string), taken together from the block's backslashes.
			if base := blk << 6; base+64 <= len(doc) && i&63 < 63 && bits.OnesCount64(marks[blk]>>(i&63)) >= 4 {
				var st int8
				switch i, st, plain = blockEscapes(doc, i, marks, plain); st {
				case escEnd:
					return i, plain
				case escBad:
					return -1, false
				case escNext:
					continue
				}
				// escScalar: i is a backslash at the block's end
			}
			if i+1 >= len(doc) {
				return -1, false
			}
			if e := doc[i+1]; simpleEscapes[e] != 0 {
				if i += 2; i>>6 == blk {
					if m = marks[blk] >> (i & 63); m != 0 {
						i += bits.TrailingZeros64(m)
						goto mark
					}
				}
				continue
			}
			switch doc[i+1] {
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
			// A plain block's mark: the document is not plain text. (A
			// block marked before the walk found that out may still stop
			// at such a byte; it is passed over.)
			if plain && (c >= 0x80 || c == '<' || c == '>' || c == '&') {
				plain = false
				remarkAny(doc, marks, blk+1)
			}
			if i++; i>>6 == blk {
				if m = marks[blk] >> (i & 63); m != 0 {
					i += bits.TrailingZeros64(m)
					goto mark
				}
			}
		}
	}
}
