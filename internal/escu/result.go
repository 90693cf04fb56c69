package escu

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"unsafe"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

var _ detect.RowsWriter = (*Detector)(nil)

// plan is the result's shape, worked out once for the groups as they are
// and reused while no event or partial is added (the search command
// writes the rows twice, once to count their bytes).
type plan struct {
	version uint64
	order   []int32   // the groups that survive fillnull, in result order
	rows    []planRow // result rows; row i merges order[rows[i-1].end:rows[i].end]
	mv      bool      // some row has several user_groups values
}

// planRow is one result row: one or more groups that fillnull made equal.
type planRow struct {
	end   int32
	set   uint32 // user_groups, a setTable id
	count int64
}

// keyReader walks the fields of an encoded group key.
type keyReader []byte

// next returns the next field's value and false when it is missing.
func (k *keyReader) next() ([]byte, bool) {
	b := *k
	if b[0] == 0 {
		*k = b[1:]
		return nil, false
	}
	n, w := binary.Uvarint(b[1:])
	v := b[1+w : 1+w+int(n)]
	*k = b[1+w+int(n):]
	return v, true
}

// fillnullZero is the value fillnull gives a missing field.
var fillnullZero = []byte("0")

// compareFilled orders two keys as stats orders its results: field by
// field, after fillnull (a missing field reads "0"; only keys whose
// missing fields fillnull fills are compared).
func compareFilled(a, b keyReader) int {
	for f := 0; f < nBy; f++ {
		x, okx := a.next()
		y, oky := b.next()
		if !okx {
			x = fillnullZero
		}
		if !oky {
			y = fillnullZero
		}
		if c := bytes.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// prepare returns the plan for the current groups.
func (d *Detector) prepare() *plan {
	if d.plan != nil && d.plan.version == d.version {
		return d.plan
	}
	t := &d.groups
	p := &plan{version: d.version, order: make([]int32, 0, t.len())}
	for i := range t.recs {
		k := keyReader(t.key(i))
		kept := true
		for f := 0; f < nBy; f++ {
			if _, ok := k.next(); !ok && d.present&(1<<f) == 0 {
				// No passing event had this field, so fillnull did not
				// create it and stats drops every result lacking it.
				kept = false
				break
			}
		}
		if kept {
			p.order = append(p.order, int32(i))
		}
	}
	slices.SortFunc(p.order, func(a, b int32) int {
		return compareFilled(t.key(int(a)), t.key(int(b)))
	})
	var zero uint32 // the set {"0"} that fillnull gives a group without user.groups{}
	if d.present&(1<<fGroups) != 0 {
		zero = t.sets.set([]uint32{t.sets.value(fillnullZero)})
	}
	for i := 0; i < len(p.order); {
		r := planRow{}
		start := i
		first := t.key(int(p.order[i]))
		for ; i < len(p.order); i++ {
			g := &t.recs[p.order[i]]
			if i > start && compareFilled(first, t.key(int(p.order[i]))) != 0 {
				break
			}
			r.count += g.count
			r.set = t.sets.union(r.set, g.set)
			if g.noGroups {
				r.set = t.sets.union(r.set, zero)
			}
		}
		r.end = int32(i)
		if len(t.sets.list(r.set)) > 1 {
			p.mv = true
		}
		p.rows = append(p.rows, r)
	}
	d.plan = p
	return p
}

// WriteRows writes what Result returns, row by row, straight from the
// groups: the search command streams a large result this way without
// building it. It writes nothing when there is no row.
func (d *Detector) WriteRows(w detect.RowWriter) error {
	p := d.prepare()
	if len(p.rows) == 0 {
		return nil
	}
	mv := make([]bool, len(Columns))
	mv[nBy+1] = p.mv
	if err := w.WriteHeader(Columns, mv); err != nil {
		return err
	}
	row := make([][]string, len(Columns))
	single := make([]string, nBy+1)
	for f := range single {
		row[f] = single[f : f+1 : f+1]
	}
	var count []byte
	start := int32(0)
	for _, r := range p.rows {
		k := keyReader(d.groups.key(int(p.order[start])))
		for f := 0; f < nBy; f++ {
			v, ok := k.next()
			if !ok {
				v = fillnullZero
			}
			single[f] = view(v)
		}
		count = strconv.AppendInt(count[:0], r.count, 10)
		single[nBy] = view(count)
		row[nBy+1] = d.groups.sets.list(r.set)
		if err := w.Write(row); err != nil {
			return err
		}
		start = r.end
	}
	return nil
}

// view returns b as a string without copying. The strings WriteRows passes
// live only during the RowWriter's Write call (detect.RowWriter's
// contract), and the bytes under them, group keys and a scratch buffer,
// are not changed during it.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// Result applies fillnull, stats' final grouping and ordering, and rename
// to everything added so far. It does not change the detector.
func (d *Detector) Result() detect.Table {
	var tw detect.TableWriter
	_ = d.WriteRows(&tw) // a TableWriter does not fail
	t := tw.Table
	if t.Columns == nil {
		t.Columns = slices.Clone(Columns)
	}
	if t.Rows == nil {
		t.Rows = []detect.Row{}
	}
	return t
}

// decodeKey splits a group key into its by-field values; ok[f] is false
// for a missing field.
func decodeKey(key []byte) (vals [nBy]string, ok [nBy]bool) {
	k := keyReader(key)
	for f := 0; f < nBy; f++ {
		var v []byte
		if v, ok[f] = k.next(); ok[f] {
			vals[f] = string(v)
		}
	}
	return vals, ok
}
