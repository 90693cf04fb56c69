package extended

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// partialMagic marks the partial rows this mode writes; AddPartial rejects
// any other row, naming its version when it is one of this mode's.
// Version 4 is the text codec of partialcodec.go; versions 1 to 3 were
// one JSON object per row (3 keyed requests with the
// requestReceivedTimestamp, 2 without it, 1 by the key itself). None is
// read: a split run would merge differently, and indexers and search head
// run the same app version.
const partialMagic = "kubeprivpod/extended/4"

// ErrForeignPartial is returned (wrapped) by AddPartial for a row this mode
// did not write.
var ErrForeignPartial = errors.New("not a partial row of kubeprivpod mode=extended")

// Flush writes one partial row per finding, then one with the counters,
// and forgets them, so that each chunk's rows carry only what that chunk
// added. The bytes passed to emit are valid only during the call.
func (d *Detector) Flush(emit func(p []byte) error) error {
	keys := make([]reqKey, 0, len(d.keyed))
	for k := range d.keyed {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int { return bytes.Compare(a[:], b[:]) })
	d.buf.Reset()
	b := d.buf.AvailableBuffer()
	for _, k := range keys {
		q := d.keyed[k]
		b = appendRequestRow(b[:0], &k, &q)
		if err := emit(b); err != nil {
			return err
		}
	}
	for i := range d.unkeyed {
		b = appendRequestRow(b[:0], nil, &d.unkeyed[i])
		if err := emit(b); err != nil {
			return err
		}
	}
	if d.nonJSON > 0 || d.unknown > 0 || len(d.blind) > 0 || d.blindNoKey != [2]int{} {
		b = append(b[:0], partialMagic+" C"...)
		for _, n := range [...]int{d.nonJSON, d.blindNoKey[0], d.blindNoKey[1], d.unknown} {
			b = appendPartialInt(b, n)
		}
		b = appendPartialString(b, d.unknownKeys, true)
		blind := make([]reqKey, 0, len(d.blind))
		for k := range d.blind {
			blind = append(blind, k)
		}
		slices.SortFunc(blind, func(a, b reqKey) int { return bytes.Compare(a[:], b[:]) })
		b = appendPartialInt(b, len(blind))
		b[len(b)-1] = '*'
		for _, k := range blind {
			b = hex.AppendEncode(append(b, "32:"...), k[:])
			b = appendPartialInt(b, int(d.blind[k]))
		}
		if err := emit(b); err != nil {
			return err
		}
	}
	if cap(b) > d.buf.Cap() {
		// Kept for the next Flush: the rows of one chunk are alike in size.
		d.buf = *bytes.NewBuffer(b[:0])
	}
	d.reset()
	return nil
}

// AddPartial merges one partial row written by Flush. A row it rejects
// changes nothing.
func (d *Detector) AddPartial(p []byte) error {
	row := string(p) // one copy: the fields read below alias it
	rest, ok := strings.CutPrefix(row, partialMagic)
	if !ok || !strings.HasPrefix(rest, " R") && !strings.HasPrefix(rest, " C") {
		if v, ok := partialVersion(row); ok && v != partialMagic {
			return fmt.Errorf("extended: partial row: %w: version %q, want %q (indexers and search head must run the same app version)",
				ErrForeignPartial, v, partialMagic)
		}
		if ok {
			r := partialReader{s: row}
			return fmt.Errorf("extended: partial row: at byte %d: want \" R\" (record) or \" C\" (counters) after the version, found %s",
				len(partialMagic), r.next(len(partialMagic)))
		}
		head := row[:min(len(row), 24)]
		return fmt.Errorf("extended: partial row: %w: starts with %q, want %q", ErrForeignPartial, head, partialMagic)
	}
	r := partialReader{s: row, pos: len(partialMagic) + 2, safe: cellSafe(row)}
	switch rest[1] {
	case 'R':
		var rec record
		r.record(&rec)
		if r.err == nil && r.pos != len(row) {
			r.err = fmt.Errorf("at byte %d: data after the last field", r.pos)
		}
		if r.err != nil {
			return fmt.Errorf("extended: partial row: %w", r.err)
		}
		if err := rec.validate(); err != nil {
			return fmt.Errorf("extended: partial row: record: %w", err)
		}
		rec.Nano = parseTime(rec.Time)
		d.add(&rec, true)
	case 'C':
		var n [4]int
		for i, f := range [...]string{"nonjson", "nobody", "notrunc", "unknown"} {
			start := r.pos
			if n[i] = r.int(f); n[i] < 0 {
				r.pos = start
				r.fail(f, "negative count")
			}
		}
		ukeys := r.str("ukeys")
		var blind map[reqKey]uint8
		start := r.pos
		count, mark, ok := r.number("blind", false)
		switch {
		case !ok:
		case mark != '*':
			r.pos = start
			r.fail("blind", "count ends with %q, want '*'", mark)
		case count > (len(row)-r.pos)/36: // "32:" + key + flag + ";"
			r.pos = start
			r.fail("blind", "count %d runs past the end of the row", count)
		default:
			blind = make(map[reqKey]uint8, count)
			for range count {
				at := r.pos
				s := r.str("blind")
				f := r.int("blind")
				if r.err != nil {
					break
				}
				k, ok := parseReqKey(s)
				if !ok || f <= 0 || f&^int(blindNoBody|blindTruncated) != 0 {
					r.pos = at
					r.fail("blind", "bad entry %q: %d (want a 32-hex-digit key and flag 1 to 3)", s, f)
					break
				}
				blind[k] |= uint8(f)
			}
		}
		if r.err == nil && r.pos != len(row) {
			r.err = fmt.Errorf("at byte %d: data after the last field", r.pos)
		}
		if r.err != nil {
			return fmt.Errorf("extended: partial row: counters: %w", r.err)
		}
		d.nonJSON += n[0]
		d.noteUnknown(n[3], ukeys)
		d.blindNoKey[0] += n[1]
		d.blindNoKey[1] += n[2]
		for k, f := range blind {
			d.blind[k] |= f
		}
	}
	return nil
}

// validate checks a record read from a partial row.
func (r *record) validate() error {
	switch {
	case r.Key != "" && !validReqKey(r.Key):
		return fmt.Errorf("field \"k\" (request key) is %q, want 32 hex digits", r.Key)
	case r.Verb == "":
		return errors.New(`field "v" (verb) is empty`)
	case r.Resource == "":
		return errors.New(`field "res" (resource) is empty`)
	case r.Pend && (r.Verb != "patch" || len(r.Changed) == 0 || len(r.Reasons) != 0 || r.Risk != 0):
		return errors.New(`field "pend": a pending code patch has verb patch, changed fields, and no reasons or risk`)
	case r.Pend:
		// Judged at Result against the object's previous version.
	case len(r.Reasons) == 0:
		return errors.New(`field "rsn" (reasons) is empty`)
	case r.Rank < 0 || r.Rank > maxRank:
		return fmt.Errorf("field \"r\" (stage rank) is %d, want 0 to %d", r.Rank, maxRank)
	case r.Risk <= 0 && !r.Pend:
		return errors.New(`field "risk" is not positive`)
	case r.Outcome != OutcomeAllowed && r.Outcome != OutcomeDenied && r.Outcome != OutcomeFailed &&
		r.Outcome != OutcomeDryRun && r.Outcome != OutcomeUnknown:
		return fmt.Errorf("field \"o\" (outcome) is %q", r.Outcome)
	}
	return nil
}
