package escu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// A partial row is one compact JSON object, of one of two shapes:
//
//	{"escu":1,"k":["Event",null,...],"n":3,"g":["dev","system:authenticated"],"m":true}
//	{"escu":1,"present":["kind","objectRef.name",...],"nonjson":2,"toomany":0}
//
// The first is a group: its 12 by-field values in the search's order, null
// where the field was missing (fillnull has not run yet), the event count,
// the distinct user.groups{} values and whether some event lacked them.
// The second carries the state fillnull and Messages need across
// processes: which fields some passing event had, and the skip counters.
// "escu":1 marks rows this mode wrote; other rows are refused.

// ErrPartial is wrapped by every error AddPartial returns.
var ErrPartial = errors.New("not a partial row of the escu detection")

type groupRow struct {
	Escu     int       `json:"escu"`
	Key      []*string `json:"k"`
	Count    int64     `json:"n"`
	Groups   []string  `json:"g,omitempty"`
	NoGroups bool      `json:"m,omitempty"`
}

type stateRow struct {
	Escu    int      `json:"escu"`
	Present []string `json:"present"`
	NonJSON int64    `json:"nonjson"`
	TooMany int64    `json:"toomany"`
}

// anyRow is what AddPartial decodes: the union of both shapes, with
// pointers where absence must be told apart from a zero.
type anyRow struct {
	Escu     *int      `json:"escu"`
	Key      []*string `json:"k"`
	Count    *int64    `json:"n"`
	Groups   []string  `json:"g"`
	NoGroups *bool     `json:"m"`
	Present  []string  `json:"present"`
	NonJSON  *int64    `json:"nonjson"`
	TooMany  *int64    `json:"toomany"`
}

// Flush writes the groups and state gathered since the last Flush as
// partial rows, groups first in key order, then forgets them.
func (d *Detector) Flush(emit func(p []byte) error) error {
	t := &d.groups
	order := make([]int32, t.len())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(t.key(int(a)), t.key(int(b))) })
	for _, i := range order {
		g := &t.recs[i]
		vals, ok := decodeKey(t.key(int(i)))
		row := groupRow{Escu: 1, Key: make([]*string, nBy), Count: g.count, NoGroups: g.noGroups}
		for f := 0; f < nBy; f++ {
			if ok[f] {
				row.Key[f] = &vals[f]
			}
		}
		row.Groups = t.sets.strings(g.set)
		if err := emitJSON(emit, row); err != nil {
			return err
		}
	}
	if d.present != 0 || d.nonJSON != 0 || d.tooMany != 0 {
		row := stateRow{Escu: 1, Present: []string{}, NonJSON: d.nonJSON, TooMany: d.tooMany}
		for f := 0; f < nFields; f++ {
			if d.present&(1<<f) != 0 {
				row.Present = append(row.Present, fieldNames[f])
			}
		}
		if err := emitJSON(emit, row); err != nil {
			return err
		}
	}
	t.reset()
	d.present, d.nonJSON, d.tooMany = 0, 0, 0
	d.version++
	return nil
}

func emitJSON(emit func([]byte) error, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err // not expected: the rows hold only strings and numbers
	}
	return emit(b)
}

func partialErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrPartial}, a...)...)
}

// AddPartial merges one row written by Flush, in this or another process.
// A row of another shape, another mode or a corrupt one is refused with an
// error naming the problem, and nothing of it is merged.
func (d *Detector) AddPartial(p []byte) error {
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	var r anyRow
	if err := dec.Decode(&r); err != nil {
		return partialErr("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return partialErr("data after the JSON object")
	}
	if r.Escu == nil || *r.Escu != 1 {
		return partialErr(`missing the "escu":1 mark (written by another mode or version?)`)
	}
	if r.Key != nil {
		return d.addGroupRow(&r)
	}
	return d.addStateRow(&r)
}

func (d *Detector) addGroupRow(r *anyRow) error {
	if r.Present != nil || r.NonJSON != nil || r.TooMany != nil {
		return partialErr(`a group row ("k") cannot carry "present", "nonjson" or "toomany"`)
	}
	if len(r.Key) != nBy {
		return partialErr(`"k" has %d values, want %d`, len(r.Key), nBy)
	}
	if r.Count == nil || *r.Count < 1 {
		return partialErr(`"n" must be a count of at least 1`)
	}
	d.key = d.key[:0]
	for f, v := range r.Key {
		if v == nil {
			d.key = append(d.key, 0)
			continue
		}
		if *v == "" {
			return partialErr(`"k"[%d] (%s) is an empty string; a missing value is null`, f, fieldNames[f])
		}
		d.key = append(d.key, 1)
		d.key = appendUvarint(d.key, len(*v))
		d.key = append(d.key, *v...)
	}
	for i, v := range r.Groups {
		if v == "" {
			return partialErr(`"g"[%d] is an empty string`, i)
		}
	}
	ids := d.ids[:0]
	for _, v := range r.Groups {
		ids = append(ids, d.groups.sets.value([]byte(v)))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	d.ids = ids
	set := d.groups.sets.set(ids)
	g := d.groups.get(d.key)
	g.count += *r.Count
	g.set = d.groups.sets.union(g.set, set)
	d.version++
	if r.NoGroups != nil && *r.NoGroups {
		g.noGroups = true
	}
	return nil
}

func (d *Detector) addStateRow(r *anyRow) error {
	if r.Count != nil || r.Groups != nil || r.NoGroups != nil {
		return partialErr(`a row without "k" cannot carry "n", "g" or "m"`)
	}
	if r.Present == nil || r.NonJSON == nil || r.TooMany == nil {
		return partialErr(`a state row needs "present", "nonjson" and "toomany"`)
	}
	if *r.NonJSON < 0 || *r.TooMany < 0 {
		return partialErr(`"nonjson" and "toomany" must not be negative`)
	}
	var present uint16
	for i, name := range r.Present {
		f := slices.Index(fieldNames[:], name)
		if f < 0 {
			return partialErr(`"present"[%d]: unknown field %q`, i, name)
		}
		present |= 1 << f
	}
	d.present |= present
	d.version++
	d.nonJSON += *r.NonJSON
	d.tooMany += *r.TooMany
	return nil
}
