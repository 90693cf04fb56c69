package escu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// A partial row is one line of tab-separated fields, of one of two kinds:
//
//	escu3 <TAB> g <TAB> count <TAB> m <TAB> 12 by-field values <TAB> user.groups{} values...
//	escu3 <TAB> s <TAB> nonjson <TAB> toomany <TAB> names of the present fields...
//
// The first is a group: its event count (a decimal of at least 1), m = 1
// when some event of the group lacked user.groups{} (else 0), its 12
// by-field values in the search's order, an empty one where the field was
// missing (fillnull has not run yet; an empty value is null anyway), then
// its distinct user.groups{} values, none empty. The second carries the
// state fillnull and Messages need across processes: the skip counters
// and which fields some passing event had, by their Splunk names.
//
// Values are their bytes, with a double quote written as a single quote
// ' and a backslash escape for the rest of what would break the row or
// cost the CSV cell around it: \' (a single quote), \\ \t \n \r, and \xHH
// for any other control byte, DEL and bytes that are not UTF-8. A reader
// takes any other byte as itself (a double quote too, which Flush never
// writes). "escu3" marks the rows of this version; rows of the former
// formats (escu2, JSON) and of other modes are refused.
//
// Why the swapped quote: a row holds no double quote, so the chunked
// protocol's CSV carries it without doubling quotes on the map side or
// undoubling them on the reduce side, and the quote-heavy annotation
// (kubectl's JSON) costs one byte-for-byte swap, done eight bytes at a
// time, instead of an escape per quote. escu2, which wrote quotes as they
// are, spent most of its map and reduce time on them; before it, one JSON
// object per row spent it in encoding/json.

// ErrPartial is wrapped by every error AddPartial returns.
var ErrPartial = errors.New("not a partial row of the escu detection")

// partialMagic starts every partial row and names the format's version.
const partialMagic = "escu3"

// The kinds of partial row.
const (
	kindGroup = 'g'
	kindState = 's'
)

// Flush writes the groups and state gathered since the last Flush as
// partial rows, groups first in the order they were made (merging does
// not depend on it), then forgets them.
func (d *Detector) Flush(emit func(p []byte) error) error {
	t := &d.groups
	buf := d.partial[:0]
	for i := range t.recs {
		g := &t.recs[i]
		buf = append(buf, partialMagic+"\t"+string(kindGroup)+"\t"...)
		buf = strconv.AppendInt(buf, g.count, 10)
		if g.noGroups {
			buf = append(buf, "\t1"...)
		} else {
			buf = append(buf, "\t0"...)
		}
		k := keyReader(t.key(i))
		for f := 0; f < nBy; f++ {
			buf = append(buf, '\t')
			if v, ok := k.next(); ok {
				buf = appendEscaped(buf, v)
			}
		}
		for _, v := range t.sets.list(g.set) {
			buf = append(buf, '\t')
			buf = appendEscaped(buf, unsafe.Slice(unsafe.StringData(v), len(v)))
		}
		if err := emit(buf); err != nil {
			d.partial = buf
			return err
		}
		buf = buf[:0]
	}
	if d.present != 0 || d.nonJSON != 0 || d.tooMany != 0 {
		buf = append(buf, partialMagic+"\t"+string(kindState)+"\t"...)
		buf = strconv.AppendInt(buf, d.nonJSON, 10)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, d.tooMany, 10)
		for f := 0; f < nFields; f++ {
			if d.present&(1<<f) != 0 {
				buf = append(buf, '\t')
				buf = append(buf, fieldNames[f]...)
			}
		}
		if err := emit(buf); err != nil {
			d.partial = buf
			return err
		}
	}
	d.partial = buf[:0]
	t.reset()
	d.present, d.nonJSON, d.tooMany = 0, 0, 0
	d.version++
	return nil
}

// Eight bytes at a time: the bytes of a word that stop a loop are found
// with the carry tricks of "determine if a word has a zero byte", which
// flag the lowest such byte exactly (a borrow starts only at a flagged
// byte and only moves up); quotes are swapped with a mask that is exact
// in every byte.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
	low = 0x7f7f7f7f7f7f7f7f
)

// firstZero flags (bit 7) the lowest zero byte of w exactly, and maybe
// bytes above it.
func firstZero(w uint64) uint64 { return (w - lsb) & ^w & msb }

// swapQuotes exchanges the bytes c of w for d: where a byte of w^c*lsb
// is zero (found exactly, without carries between bytes), c^d is xored in.
func swapQuotes(w uint64, c, d byte) uint64 {
	x := w ^ uint64(c)*lsb
	zero := ^((x&low + low) | x) & msb
	return w ^ (zero>>7)*uint64(c^d)
}

// escapeStops flags the bytes of w that appendEscaped does not copy or
// swap: bytes below 0x20 or above 0x7e, single quotes and backslashes.
func escapeStops(w uint64) uint64 {
	outside := (w-0x20*lsb)&^w | (w&low + lsb) | w
	return (outside | firstZero(w^'\''*lsb) | firstZero(w^'\\'*lsb)) & msb
}

// appendEscaped appends v with the partial format's escapes.
func appendEscaped(dst, v []byte) []byte {
	const hex = "0123456789abcdef"
	for len(v) > 0 {
		if len(v) >= runMin {
			n := len(dst)
			dst = slices.Grow(dst, len(v))[:n+len(v)]
			k := escapeRun(dst[n:], v)
			dst, v = dst[:n+k], v[k:]
		}
		if len(v) == 0 {
			break
		}
		var c byte
		if cap(v) >= 8 {
			// A word may reach past v into its spare capacity (keys sit in
			// large chunks): only the bytes before len(v) count.
			w := binary.LittleEndian.Uint64(v[:8])
			m := escapeStops(w)
			n := len(dst)
			dst = binary.LittleEndian.AppendUint64(dst, swapQuotes(w, '"', '\''))
			k := bits.TrailingZeros64(m) >> 3
			if k >= len(v) {
				return dst[:n+len(v)]
			}
			if k == 8 {
				v = v[8:]
				continue
			}
			dst, c, v = dst[:n+k], v[k], v[k:]
		} else {
			switch c = v[0]; {
			case c == '"':
				dst, v = append(dst, '\''), v[1:]
				continue
			case c >= 0x20 && c < 0x7f && c != '\'' && c != '\\':
				dst, v = append(dst, c), v[1:]
				continue
			}
		}
		// v[0] is c, which needs an escape, or starts a rune.
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRune(v); r != utf8.RuneError || size > 1 {
				dst, v = append(dst, v[:size]...), v[size:]
				continue
			}
		}
		switch c {
		case '\\', '\'':
			dst = append(dst, '\\', c)
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
		}
		v = v[1:]
	}
	return dst
}

// unescapeStops flags the bytes of w that end a run of appendPlain: tabs
// and backslashes.
func unescapeStops(w uint64) uint64 { return firstZero(w^'\t'*lsb) | firstZero(w^'\\'*lsb) }

// appendPlain appends src up to its first tab or backslash, single quotes
// turned back into double ones, and returns how many bytes it took.
func appendPlain(dst, src []byte) ([]byte, int) {
	n := 0
	// Most fields are short: one word first, a run only after it.
	if len(src) >= 8 {
		w := binary.LittleEndian.Uint64(src)
		m := unescapeStops(w)
		dst = binary.LittleEndian.AppendUint64(dst, swapQuotes(w, '\'', '"'))
		if m != 0 {
			k := bits.TrailingZeros64(m) >> 3
			return dst[:len(dst)-8+k], k
		}
		n = 8
		if len(src)-n >= runMin {
			l := len(dst)
			dst = slices.Grow(dst, len(src)-n)[:l+len(src)-n]
			k := plainRun(dst[l:], src[n:])
			dst, n = dst[:l+k], n+k
		}
	}
	// The words may reach past the field, into the row's next ones: the
	// tab that ends it stops them.
	for len(src)-n >= 8 {
		w := binary.LittleEndian.Uint64(src[n : n+8])
		m := unescapeStops(w)
		dst = binary.LittleEndian.AppendUint64(dst, swapQuotes(w, '\'', '"'))
		if m != 0 {
			k := bits.TrailingZeros64(m) >> 3
			return dst[:len(dst)-8+k], n + k
		}
		n += 8
	}
	for ; n < len(src); n++ {
		c := src[n]
		if c == '\t' || c == '\\' {
			break
		}
		if c == '\'' {
			c = '"'
		}
		dst = append(dst, c)
	}
	return dst, n
}

// unescapeField appends to dst the value of the field that starts at
// row[i], its escapes undone, and returns the index where the field ends:
// the tab after it, or len(row). Errors name the byte (from 1) of the row.
func unescapeField(dst, row []byte, i int) ([]byte, int, error) {
	for {
		var n int
		dst, n = appendPlain(dst, row[i:])
		if i += n; i == len(row) || row[i] == '\t' {
			return dst, i, nil
		}
		// row[i] is a backslash.
		if i+1 == len(row) || row[i+1] == '\t' {
			return dst, i, fmt.Errorf("byte %d: a backslash ends the field", i+1)
		}
		switch row[i+1] {
		case '\\', '\'':
			dst = append(dst, row[i+1])
		case 't':
			dst = append(dst, '\t')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 'x':
			h, l := -1, -1
			if i+3 < len(row) {
				h, l = unhex(row[i+2]), unhex(row[i+3])
			}
			if h < 0 || l < 0 {
				return dst, i, fmt.Errorf(`byte %d: \x needs two lowercase hex digits`, i+1)
			}
			dst = append(dst, byte(h<<4|l))
			i += 2
		default:
			return dst, i, fmt.Errorf(`byte %d: unknown escape \%c`, i+1, row[i+1])
		}
		i += 2
	}
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

func partialErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrPartial}, a...)...)
}

// fieldEnd returns the index of the tab that ends the field starting at
// row[i], or len(row).
func fieldEnd(row []byte, i int) int {
	if j := bytes.IndexByte(row[i:], '\t'); j >= 0 {
		return i + j
	}
	return len(row)
}

// parseCount reads a non-negative decimal count as Flush writes it.
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// AddPartial merges one row written by Flush, in this or another process.
// A row of another shape, another mode or version, or a corrupt one is
// refused with an error naming the problem and where it is, and nothing
// of it is merged.
func (d *Detector) AddPartial(p []byte) error {
	const head = len(partialMagic) + 1
	if len(p) < head || string(p[:head]) != partialMagic+"\t" {
		switch {
		case bytes.HasPrefix(p, []byte(`{"escu":`)):
			return partialErr("a row of the former JSON partial format: the map processes run an older kubeprivpod than this reduce process; install the same version of the app on the indexers and the search head")
		case bytes.HasPrefix(p, []byte("escu2\t")):
			return partialErr("a row of the former escu2 partial format: the map processes run an older kubeprivpod than this reduce process; install the same version of the app on the indexers and the search head")
		case string(p) == partialMagic:
			return partialErr("no row kind after %q", partialMagic)
		}
		return partialErr("the row does not start with %q (written by another mode or version?)", partialMagic)
	}
	// Every field is counted first, so a short row is refused as such
	// whatever its fields hold.
	nf := bytes.Count(p[head:], []byte{'\t'}) // fields after the kind
	kindEnd := fieldEnd(p, head)
	if kindEnd == head+1 {
		switch p[head] {
		case kindGroup:
			return d.addGroupRow(p, kindEnd+1, nf)
		case kindState:
			return d.addStateRow(p, kindEnd+1, nf)
		}
	}
	return partialErr("byte %d: unknown row kind %q (want %c or %c)", head+1, p[head:kindEnd], kindGroup, kindState)
}

// addGroupRow merges a group row whose fields after its kind, nf of them,
// start at p[at].
func (d *Detector) addGroupRow(p []byte, at, nf int) error {
	if nf < 2+nBy {
		return partialErr("a group row has %d fields after its kind, want at least %d (count, m, %d by-field values)", nf, 2+nBy, nBy)
	}
	end := fieldEnd(p, at)
	count, ok := parseCount(p[at:end])
	if !ok || count < 1 {
		return partialErr("byte %d: the count %q is not a decimal of at least 1", at+1, p[at:end])
	}
	countAt := at
	at = end + 1
	end = fieldEnd(p, at)
	if m := p[at:end]; len(m) != 1 || (m[0] != '0' && m[0] != '1') {
		return partialErr("byte %d: the m flag is %q, want 0 or 1", at+1, m)
	}
	noGroups := p[at] == '1'
	at = end + 1
	key := d.key[:0]
	for f := 0; f < nBy; f++ {
		// The count above leaves at least one more field, so at <= len(p).
		if at == len(p) || p[at] == '\t' {
			key = append(key, 0)
			at++
			continue
		}
		// The value goes straight into the key after a one-byte length,
		// and moves up when its length needs a longer varint (128 bytes
		// or more: an annotation).
		h := len(key)
		key = append(key, 1, 0)
		var err error
		key, end, err = unescapeField(key, p, at)
		if err != nil {
			d.key = key
			return partialErr("%s: %v", fieldNames[f], err)
		}
		if n := len(key) - h - 2; n < 0x80 {
			key[h+1] = byte(n)
		} else {
			var l [binary.MaxVarintLen64]byte
			w := binary.PutUvarint(l[:], uint64(n))
			key = slices.Grow(key, w-1)[:len(key)+w-1]
			copy(key[h+1+w:], key[h+2:h+2+n])
			copy(key[h+1:], l[:w])
		}
		at = end + 1
	}
	d.key = key
	// Check every user.groups{} value before merging anything: they go
	// one after the other into d.unescaped, their ends into d.ends.
	groupsAt := min(at, len(p))
	vals, ends := d.unescaped[:0], d.ends[:0]
	for i := 0; at <= len(p); i++ {
		if at == len(p) || p[at] == '\t' {
			d.unescaped, d.ends = vals, ends
			return partialErr("byte %d: user.groups{} value %d is empty", at+1, i+1)
		}
		var err error
		if vals, end, err = unescapeField(vals, p, at); err != nil {
			d.unescaped, d.ends = vals, ends
			return partialErr("user.groups{} value %d: %v", i+1, err)
		}
		ends = append(ends, len(vals))
		at = end + 1
	}
	d.unescaped, d.ends = vals, ends
	g := d.groups.get(key)
	if g.count > math.MaxInt64-count {
		// Only a group merged before can overflow: nothing new was added.
		return partialErr("byte %d: the count %d would take the group's count past %d", countAt+1, count, int64(math.MaxInt64))
	}
	g.set = d.groups.sets.union(g.set, d.rowSet(p[groupsAt:], vals, ends))
	g.count += count
	g.noGroups = g.noGroups || noGroups
	d.version++
	return nil
}

// rowSet returns the set id of a group row's user.groups{} values, given
// as written (raw) and unescaped (vals, ending at ends). Rows of one map
// process mostly carry the same few sets, so the last one is remembered
// by its written bytes and not interned again.
func (d *Detector) rowSet(raw, vals []byte, ends []int) uint32 {
	s := &d.groups.sets
	if s.lastOK && bytes.Equal(raw, s.lastRaw) {
		return s.lastID
	}
	ids := d.ids[:0]
	start := 0
	for _, e := range ends {
		ids = append(ids, s.value(vals[start:e]))
		start = e
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	d.ids = ids
	id := s.set(ids)
	s.lastRaw, s.lastID, s.lastOK = append(s.lastRaw[:0], raw...), id, true
	return id
}

// addStateRow merges a state row whose fields after its kind, nf of them,
// start at p[at].
func (d *Detector) addStateRow(p []byte, at, nf int) error {
	if nf < 2 {
		return partialErr("a state row has %d fields after its kind, want at least 2 (nonjson, toomany)", nf)
	}
	end := fieldEnd(p, at)
	countAt := at
	nonJSON, ok := parseCount(p[at:end])
	if !ok {
		return partialErr("byte %d: nonjson %q is not a decimal count", at+1, p[at:end])
	}
	at = end + 1
	end = fieldEnd(p, at)
	tooMany, ok := parseCount(p[at:end])
	if !ok {
		return partialErr("byte %d: toomany %q is not a decimal count", at+1, p[at:end])
	}
	var present uint16
	for at = end + 1; at <= len(p); at = end + 1 {
		end = fieldEnd(p, at)
		f := slices.Index(fieldNames[:], string(p[at:end]))
		if f < 0 {
			return partialErr("byte %d: unknown field %q", at+1, p[at:end])
		}
		present |= 1 << f
	}
	if d.nonJSON > math.MaxInt64-nonJSON || d.tooMany > math.MaxInt64-tooMany {
		return partialErr("byte %d: the counters %d and %d would take the skipped events' counts past %d", countAt+1, nonJSON, tooMany, int64(math.MaxInt64))
	}
	d.present |= present
	d.nonJSON += nonJSON
	d.tooMany += tooMany
	d.version++
	return nil
}
