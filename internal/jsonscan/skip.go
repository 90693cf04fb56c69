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
// bytes.IndexByte on short strings; after a string's second escape it
// goes 64 bytes at a time (skipEscapedBlocks): escape-dense text —
// kubectl's last-applied-configuration, an object in a string — has an
// escape every few bytes.
func SkipString(b []byte, i int) int {
	i++
	for escapes := 0; ; {
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
		if escapes++; escapes == 2 && vectorMarks {
			var done bool
			if i, done = skipEscapedBlocks(b, i); done {
				return i
			}
		}
	}
}

// skipEscapedBlocks goes on with SkipString's walk of a string from
// b[i], which no backslash escapes, 64 bytes at a time while whole
// blocks are left: it returns the index after the closing quote and
// true, or where the walk is to go on byte by byte and false. A block's
// escaped bytes are found at once from its backslashes (the byte after a
// run of an odd number of them, as in blockEscapes), its first quote
// that is not one of them closes the string. A run of backslashes that
// reaches the block's end is left to the next block, which starts where
// the run does.
func skipEscapedBlocks(b []byte, i int) (int, bool) {
	for i+64 <= len(b) {
		q, bs := quoteBackslash((*[64]byte)(b[i : i+64]))
		starts := bs &^ (bs << 1)
		evenEnds := (bs + starts&evenBits) &^ bs
		oddEnds := (bs + starts&oddBits) &^ bs
		esc := evenEnds&oddBits | oddEnds&evenBits
		if u := q &^ esc; u != 0 {
			return i + bits.TrailingZeros64(u) + 1, true
		}
		if bs>>63 == 0 {
			i += 64
			continue
		}
		rest := ^bs
		if rest == 0 {
			break // 64 backslashes: the byte walk
		}
		i += 64 - bits.LeadingZeros64(rest)
	}
	return i, false
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
// quotes: 64 bytes at a time where the vector marks are
// (skipContainerBlocks), a byte at a time elsewhere and for the last
// bytes.
func SkipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return SkipString(b, i)
	case '{', '[':
		if vectorMarks && len(b)-i >= 64 {
			return skipContainerBlocks(b, i)
		}
		return skipContainerFrom(b, i, 0, false)
	}
	return skipScalarValue(b, i)
}

// skipScalarValue is SkipValue's answer for a number or literal at b[i].
func skipScalarValue(b []byte, i int) int {
	if e := SkipScalar(b, i); e > i {
		return e
	}
	return -1
}

// skipContainerFrom is the byte walk of a container from b[i], outside
// any string, depth brackets deep: SkipValue's, or with long
// SkipLongValue's, whose strings SkipLongString crosses.
func skipContainerFrom(b []byte, i, depth int, long bool) int {
	for i < len(b) {
		if !structural[b[i]] {
			i++
			continue
		}
		switch b[i] {
		case '"':
			if long {
				i = SkipLongString(b, i)
			} else {
				i = SkipString(b, i)
			}
			if i < 0 {
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

// skipContainerBlocks is SkipValue on the object or array opening at
// b[i], 64 bytes at a time while whole blocks are left, with the answer
// of the byte walk: a block's strings are found at once from its quotes
// that no backslash escapes (the escaped bytes as in skipEscapedBlocks,
// the bytes inside strings by a prefix XOR of those quotes), and its
// brackets outside strings are counted without a look at each unless
// they may close the container. That equals the byte walk, which only
// lets a backslash escape inside a string, as long as every backslash is
// inside one: a block with one outside (not JSON) sends the container
// back to the byte walk. So does a run of 64 backslashes; a shorter run
// that reaches the block's end is left to the next block.
func skipContainerBlocks(b []byte, i int) int {
	depth := 0
	var inString uint64 // all ones when the block starts inside a string
	p := i
	for p+64 <= len(b) {
		q, bs, opens, closes := structMarks((*[64]byte)(b[p : p+64]))
		n := 64
		if bs>>63 != 0 {
			rest := ^bs
			if rest == 0 {
				return skipContainerFrom(b, i, 0, false)
			}
			n = 64 - bits.LeadingZeros64(rest) // the run's first backslash starts the next block
		}
		keep := ^uint64(0) >> (64 - n)
		starts := bs &^ (bs << 1)
		evenEnds := (bs + starts&evenBits) &^ bs
		oddEnds := (bs + starts&oddBits) &^ bs
		esc := evenEnds&oddBits | oddEnds&evenBits
		str := prefixXOR(q&^esc&keep) ^ inString // set from an opening quote to the byte before its closing one
		if bs&keep&^str != 0 {
			return skipContainerFrom(b, i, 0, false)
		}
		opens &^= str
		closes = closes &^ str & keep
		opens &= keep
		if bits.OnesCount64(closes) < depth {
			depth += bits.OnesCount64(opens) - bits.OnesCount64(closes)
		} else {
			for m := opens | closes; m != 0; m &= m - 1 {
				k := bits.TrailingZeros64(m)
				if opens>>k&1 != 0 {
					depth++
				} else if depth--; depth == 0 {
					return p + k + 1
				}
			}
		}
		inString = -(str >> (n - 1) & 1)
		p += n
	}
	if inString != 0 {
		// p is inside a string, and no backslash escapes it: the string's
		// end as SkipString finds it from an opening quote before p.
		if p = SkipString(b, p-1); p < 0 {
			return -1
		}
	}
	return skipContainerFrom(b, p, depth, false)
}

// prefixXOR returns x with each bit the XOR of itself and the bits below
// it: set inside the runs that the set bits of x open and close.
func prefixXOR(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// structMarksBytes is structMarks byte by byte: the other architectures'
// version, and the tests' definition.
func structMarksBytes(p *[64]byte) (q, b, open, close uint64) {
	for k, c := range p {
		switch c {
		case '"':
			q |= 1 << k
		case '\\':
			b |= 1 << k
		case '{', '[':
			open |= 1 << k
		case '}', ']':
			close |= 1 << k
		}
	}
	return q, b, open, close
}

// SkipLongValue is SkipValue with strings skipped by SkipLongString: the
// variant for documents whose strings run long.
func SkipLongValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return SkipLongString(b, i)
	case '{', '[':
		return skipContainerFrom(b, i, 0, true)
	}
	return skipScalarValue(b, i)
}
