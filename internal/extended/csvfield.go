package extended

import (
	"encoding/binary"
	"math/bits"
	"slices"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// quotedPrefixes are how much of a quoted _raw cell is unquoted, in
// turn, to let the pre-filter read the verb (and a write's objectRef):
// the API server writes the verb within the first few hundred bytes of an
// event, and objectRef soon after the user.
var quotedPrefixes = [...]int{768}

// AddCSVField offers one event as the CSV field that holds its _raw
// (chunked.RecordReader.Cell in lazy mode): when quoted is true, field is
// the text between the field's quotes with every '"' written as "";
// otherwise it is _raw itself. The outcome is exactly AddEvent's on the
// unquoted _raw. Most audit events are reads, rejected from their verb:
// for those only a prefix of the cell is unquoted, and the eager decoding
// of the whole cell, which used to be half the mode's CPU, is never done.
func (d *Detector) AddCSVField(field []byte, quoted bool) {
	if !quoted {
		d.AddEvent(field)
		return
	}
	d.unquoted = d.unquoted[:0]
	i := 0
	if !d.exhaustive && looksLikeObject(field) {
		for _, limit := range quotedPrefixes {
			if limit >= len(field) {
				break
			}
			d.unquoted, i = unquoteCSV(d.unquoted, field, i, limit)
			if w, ok := quickWatch(view(d.unquoted)); ok && w == notWatched {
				return
			}
		}
	}
	d.unquoted, _ = unquoteCSV(d.unquoted, field, i, len(field))
	d.AddEvent(d.unquoted)
}

// looksLikeObject reports whether inner would route the event of a quoted
// cell to event: braces and blanks are not quotes, so trimming and the
// shape test read the same on the cell as on the event. For such an
// event quickWatch's notWatched is the end of AddEvent. quickWatch walks
// members in order and answers only from bytes it has read, so on a
// prefix of the event (unquoted up to a pair boundary) it answers
// exactly as on the whole event, or says ok=false when the prefix ends
// first.
func looksLikeObject(q []byte) bool {
	for len(q) > 0 && jsonscan.IsBlank(q[0]) {
		q = q[1:]
	}
	for len(q) > 0 && jsonscan.IsBlank(q[len(q)-1]) {
		q = q[:len(q)-1]
	}
	return len(q) >= 2 && q[0] == '{' && q[len(q)-1] == '}'
}

// unquoteCSV appends q[i:], with each "" turned into one quote, to dst,
// until it has read q up to limit or a little past it, and returns the
// index it stopped at: the end of a pair or of a byte that is no quote's
// first half, from where a later call goes on. A lone quote is kept. It
// copies a word at a time and stops only at quotes, which quoted JSON has
// every ten bytes or so.
func unquoteCSV(dst, q []byte, i, limit int) ([]byte, int) {
	n := len(dst)
	dst = slices.Grow(dst, len(q)-i+8)[:n+len(q)-i+8] // room for a whole word past the end
	for i < limit && i+8 <= len(q) {
		x := binary.LittleEndian.Uint64(q[i:])
		binary.LittleEndian.PutUint64(dst[n:], x) // the output never outruns the input
		m := jsonscan.HasByte(x, '"')
		if m == 0 {
			i, n = i+8, n+8
			continue
		}
		k := bits.TrailingZeros64(m)/8 + 1 // up to and including the first quote
		i, n = i+k, n+k
		if i < len(q) && q[i] == '"' {
			i++ // its pair
		}
	}
	for ; i < limit && i < len(q); i++ {
		dst[n] = q[i]
		n++
		if q[i] == '"' && i+1 < len(q) && q[i+1] == '"' {
			i++
		}
	}
	return dst[:n], i
}
