package escu

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// A partial row is one line of tab-separated fields, of one of two kinds:
//
//	escu2 <TAB> g <TAB> count <TAB> m <TAB> 12 by-field values <TAB> user.groups{} values...
//	escu2 <TAB> s <TAB> nonjson <TAB> toomany <TAB> names of the present fields...
//
// The first is a group: its event count (a decimal of at least 1), m = 1
// when some event of the group lacked user.groups{} (else 0), its 12
// by-field values in the search's order, an empty one where the field was
// missing (fillnull has not run yet; an empty value is null anyway), then
// its distinct user.groups{} values, none empty. The second carries the
// state fillnull and Messages need across processes: the skip counters
// and which fields some passing event had, by their Splunk names.
//
// Values are their bytes, with a backslash escape for what would break
// the row or the CSV cell around it: \\ \t \n \r, and \xHH for any other
// control byte, DEL and bytes that are not UTF-8. "escu2" marks the rows
// of this version; rows of the former JSON format ({"escu":1,...}) and of
// other modes are refused.
//
// It replaced the JSON format because encoding/json, per row, was most of
// the cost of a map phase and of its reduce.

// ErrPartial is wrapped by every error AddPartial returns.
var ErrPartial = errors.New("not a partial row of the escu detection")

// partialMagic starts every partial row and names the format's version.
const partialMagic = "escu2"

// The kinds of partial row.
const (
	kindGroup = "g"
	kindState = "s"
)

// Flush writes the groups and state gathered since the last Flush as
// partial rows, groups first in key order, then forgets them.
func (d *Detector) Flush(emit func(p []byte) error) error {
	t := &d.groups
	order := make([]int32, t.len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(t.key(int(a)), t.key(int(b))) })
	buf := d.partial[:0]
	for _, i := range order {
		g := &t.recs[i]
		buf = append(buf, partialMagic+"\t"+kindGroup+"\t"...)
		buf = strconv.AppendInt(buf, g.count, 10)
		if g.noGroups {
			buf = append(buf, "\t1"...)
		} else {
			buf = append(buf, "\t0"...)
		}
		k := keyReader(t.key(int(i)))
		for f := 0; f < nBy; f++ {
			buf = append(buf, '\t')
			if v, ok := k.next(); ok {
				buf = appendEscaped(buf, v)
			}
		}
		for _, v := range t.sets.list(g.set) {
			buf = append(buf, '\t')
			buf = appendEscaped(buf, []byte(v))
		}
		if err := emit(buf); err != nil {
			d.partial = buf
			return err
		}
		buf = buf[:0]
	}
	if d.present != 0 || d.nonJSON != 0 || d.tooMany != 0 {
		buf = append(buf, partialMagic+"\t"+kindState+"\t"...)
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

// appendEscaped appends v with the partial format's escapes.
func appendEscaped(dst, v []byte) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(v); {
		// Copy the run of bytes that need no escape in one go.
		j := i
		for j < len(v) && v[j] >= 0x20 && v[j] < utf8.RuneSelf && v[j] != '\\' && v[j] != 0x7f {
			j++
		}
		dst = append(dst, v[i:j]...)
		if i = j; i == len(v) {
			break
		}
		c := v[i]
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRune(v[i:]); r != utf8.RuneError || size > 1 {
				dst = append(dst, v[i:i+size]...)
				i += size
				continue
			}
		}
		switch c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
		}
		i++
	}
	return dst
}

// appendUnescaped appends field with the partial format's escapes undone;
// at is the field's offset in its row, for the error.
func appendUnescaped(dst, field []byte, at int) ([]byte, error) {
	for {
		i := bytes.IndexByte(field, '\\')
		if i < 0 {
			return append(dst, field...), nil
		}
		dst = append(dst, field[:i]...)
		if i+1 == len(field) {
			return dst, fmt.Errorf("byte %d: a backslash ends the field", at+i+1)
		}
		switch field[i+1] {
		case '\\':
			dst = append(dst, '\\')
		case 't':
			dst = append(dst, '\t')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 'x':
			h, l := -1, -1
			if i+3 < len(field) {
				h, l = unhex(field[i+2]), unhex(field[i+3])
			}
			if h < 0 || l < 0 {
				return dst, fmt.Errorf(`byte %d: \x needs two lowercase hex digits`, at+i+1)
			}
			dst = append(dst, byte(h<<4|l))
			field = field[i+4:]
			at += i + 4
			continue
		default:
			return dst, fmt.Errorf(`byte %d: unknown escape \%c`, at+i+1, field[i+1])
		}
		field = field[i+2:]
		at += i + 2
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

// partialFields splits a row into its tab-separated fields and the byte
// offset of each.
func (d *Detector) partialFields(p []byte) ([][]byte, []int) {
	fields, offs := d.fields[:0], d.offs[:0]
	at := 0
	for {
		i := bytes.IndexByte(p[at:], '\t')
		if i < 0 {
			fields, offs = append(fields, p[at:]), append(offs, at)
			break
		}
		fields, offs = append(fields, p[at:at+i]), append(offs, at)
		at += i + 1
	}
	d.fields, d.offs = fields, offs
	return fields, offs
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
	if bytes.HasPrefix(p, []byte(`{"escu":`)) {
		return partialErr("a row of the former JSON partial format: the map processes run an older kubeprivpod than this reduce process; install the same version of the app on the indexers and the search head")
	}
	fields, offs := d.partialFields(p)
	if string(fields[0]) != partialMagic {
		return partialErr("the row does not start with %q (written by another mode or version?)", partialMagic)
	}
	if len(fields) < 2 {
		return partialErr("no row kind after %q", partialMagic)
	}
	switch string(fields[1]) {
	case kindGroup:
		return d.addGroupRow(fields[2:], offs[2:])
	case kindState:
		return d.addStateRow(fields[2:], offs[2:])
	}
	return partialErr("byte %d: unknown row kind %q (want %s or %s)", offs[1]+1, fields[1], kindGroup, kindState)
}

// addGroupRow merges a group row's fields after its kind.
func (d *Detector) addGroupRow(fields [][]byte, offs []int) error {
	if len(fields) < 2+nBy {
		return partialErr("a group row has %d fields after its kind, want at least %d (count, m, %d by-field values)", len(fields), 2+nBy, nBy)
	}
	count, ok := parseCount(fields[0])
	if !ok || count < 1 {
		return partialErr("byte %d: the count %q is not a decimal of at least 1", offs[0]+1, fields[0])
	}
	m := string(fields[1])
	if m != "0" && m != "1" {
		return partialErr("byte %d: the m flag is %q, want 0 or 1", offs[1]+1, m)
	}
	key := d.key[:0]
	for f := 0; f < nBy; f++ {
		v, at := fields[2+f], offs[2+f]
		if len(v) == 0 {
			key = append(key, 0)
			continue
		}
		var err error
		d.unescaped, err = appendUnescaped(d.unescaped[:0], v, at)
		if err != nil {
			d.key = key
			return partialErr("%s: %v", fieldNames[f], err)
		}
		key = append(key, 1)
		key = appendUvarint(key, len(d.unescaped))
		key = append(key, d.unescaped...)
	}
	d.key = key
	// Check every value before merging anything.
	groups, goffs := fields[2+nBy:], offs[2+nBy:]
	for i, v := range groups {
		if len(v) == 0 {
			return partialErr("byte %d: user.groups{} value %d is empty", goffs[i]+1, i+1)
		}
		var err error
		if d.unescaped, err = appendUnescaped(d.unescaped[:0], v, goffs[i]); err != nil {
			return partialErr("user.groups{} value %d: %v", i+1, err)
		}
	}
	ids := d.ids[:0]
	for i, v := range groups {
		d.unescaped, _ = appendUnescaped(d.unescaped[:0], v, goffs[i])
		ids = append(ids, d.groups.sets.value(d.unescaped))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	d.ids = ids
	set := d.groups.sets.set(ids)
	g := d.groups.get(d.key)
	g.count += count
	g.set = d.groups.sets.union(g.set, set)
	if m == "1" {
		g.noGroups = true
	}
	d.version++
	return nil
}

// addStateRow merges a state row's fields after its kind.
func (d *Detector) addStateRow(fields [][]byte, offs []int) error {
	if len(fields) < 2 {
		return partialErr("a state row has %d fields after its kind, want at least 2 (nonjson, toomany)", len(fields))
	}
	nonJSON, ok := parseCount(fields[0])
	if !ok {
		return partialErr("byte %d: nonjson %q is not a decimal count", offs[0]+1, fields[0])
	}
	tooMany, ok := parseCount(fields[1])
	if !ok {
		return partialErr("byte %d: toomany %q is not a decimal count", offs[1]+1, fields[1])
	}
	var present uint16
	for i, name := range fields[2:] {
		f := slices.Index(fieldNames[:], string(name))
		if f < 0 {
			return partialErr("byte %d: unknown field %q", offs[2+i]+1, name)
		}
		present |= 1 << f
	}
	d.present |= present
	d.nonJSON += nonJSON
	d.tooMany += tooMany
	d.version++
	return nil
}
