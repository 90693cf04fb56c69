package extended

import (
	"bytes"
	"hash/maphash"
	"slices"
	"sort"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// The result is built from the groups in row order, once: the search
// command writes a large reply twice (to count its bytes, then to send
// it), and each row is made only while it is written, so the whole table
// never exists beside the groups it comes from.

// sortedRows is the result's groups in row order and, per column,
// whether some row holds more than one value in it.
type sortedRows struct {
	groups []*group
	mv     []bool
}

// Column positions of the cells that can hold several values.
const (
	colGroups     = 4
	colIPs        = 5
	colName       = 11
	colContainers = 17
	colImages     = 18
	colReasons    = 19
	colChanged    = 20
)

// keySeed hashes the group keys.
var keySeed = maphash.MakeSeed()

// sorted returns the groups in row order, building them on the first call
// after a finding was added.
func (d *Detector) sorted() *sortedRows {
	if d.rows == nil {
		d.rows = d.group()
	}
	return d.rows
}

// group aggregates the findings into one group per distinct finding: the
// same user and user agent doing the same verb to the same object with the
// same outcome, containers, images, reasons and explanation. A
// controller's writes for one owner with one spec are one group (see
// foldable); an update that restates the previous version of its object,
// when that version is in the search, is in no group at all.
func (d *Detector) group() *sortedRows {
	all := make([]request, 0, len(d.keyed)+len(d.unkeyed))
	for _, q := range d.keyed {
		all = append(all, q)
	}
	all = append(all, d.unkeyed...)
	reqs := make([]*request, len(all))
	for i := range all {
		reqs[i] = &all[i]
	}
	made := madeVersions(reqs)
	var versions versionIndex
	// The groups by the hash of their key: the keys, as long as a row's
	// text, are written into two scratch buffers when needed rather than
	// kept, since they would outweigh the groups while these are made.
	var ka, kb []byte
	key := func(buf []byte, g *group) []byte { return g.fin.appendGroupKey(buf[:0], g.folded) }
	groups := map[uint64]*group{}
	byFinding := map[*finding]*group{}
	var order []*group
	for _, q := range reqs {
		if q.fin.Pend {
			if versions == nil {
				versions = indexVersions(reqs)
			}
			f := versions.resolve(q)
			if f == nil {
				continue
			}
			r := *q
			r.fin = f
			q = &r
		}
		if restates(q, made) {
			continue
		}
		g := byFinding[q.fin]
		if g == nil {
			folded := q.fin.foldable()
			ka = q.fin.appendGroupKey(ka[:0], folded)
			h := maphash.Bytes(keySeed, ka)
			for g = groups[h]; g != nil; g = g.sameHash {
				if kb = key(kb, g); bytes.Equal(ka, kb) {
					break
				}
			}
			if g == nil {
				g = &group{fin: q.fin, folded: folded, sameHash: groups[h]}
				groups[h] = g
				order = append(order, g)
			}
			byFinding[q.fin] = g
		}
		g.merge(q)
	}
	countVariants(order)
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.fin.Risk != b.fin.Risk {
			return a.fin.Risk > b.fin.Risk
		}
		if a.first.nano != b.first.nano {
			return a.first.nano < b.first.nano
		}
		return compareKeys(a, b, &ka, &kb) < 0
	})
	mv := make([]bool, len(Columns))
	distinct := map[*origin][2]int{} // of an origin's groups and IPs
	for _, g := range order {
		g.sameHash = nil
		g.multivalue(mv, distinct)
	}
	return &sortedRows{groups: order, mv: mv}
}

// compareKeys orders two groups by their keys, as bytes.Compare would
// order the keys written out. Field by field, the first pair that differs
// decides, unless one is a prefix of the other: then what follows it in
// the key (a separator, the next field) does, and the keys are written
// into ka and kb and compared whole.
func compareKeys(a, b *group, ka, kb *[]byte) int {
	fa, fb := a.fin, b.fin
	na, nb := fa.Name, fb.Name
	if a.folded {
		na = "\x02folded"
	}
	if b.folded {
		nb = "\x02folded"
	}
	whole := func() int {
		*ka = fa.appendGroupKey((*ka)[:0], a.folded)
		*kb = fb.appendGroupKey((*kb)[:0], b.folded)
		return bytes.Compare(*ka, *kb)
	}
	for _, p := range [...][2]string{{fa.User, fb.User}, {fa.UserAgent, fb.UserAgent}, {fa.Verb, fb.Verb},
		{fa.Resource, fb.Resource}, {fa.Sub, fb.Sub}, {fa.Namespace, fb.Namespace}, {na, nb}, {fa.Outcome, fb.Outcome},
		{fa.Owner, fb.Owner}} {
		if c, ok := compareField(p[0], p[1]); !ok {
			return whole()
		} else if c != 0 {
			return c
		}
	}
	for _, p := range [...][2][]string{{fa.Containers, fb.Containers}, {fa.Images, fb.Images},
		{fa.Reasons, fb.Reasons}, {fa.Changed, fb.Changed}} {
		if !slices.Equal(p[0], p[1]) {
			return whole()
		}
	}
	for _, p := range [...][2]string{{fa.Spec, fb.Spec}, {fa.Detail, fb.Detail}} {
		if c, ok := compareField(p[0], p[1]); !ok {
			return whole()
		} else if c != 0 {
			return c
		}
	}
	return 0
}

// compareField compares two fields of a key; ok is false when they differ
// and one is a prefix of the other, so that the rest of the key decides.
func compareField(x, y string) (c int, ok bool) {
	if x == y {
		return 0, true
	}
	if strings.HasPrefix(x, y) || strings.HasPrefix(y, x) {
		return 0, false
	}
	return strings.Compare(x, y), true
}

// multivalue sets mv's entry of each column in which g's row holds more
// than one value, as detect.Table.Multivalue would find it. distinct
// caches the number of distinct groups and IPs of each origin.
func (g *group) multivalue(mv []bool, distinct map[*origin][2]int) {
	f := g.fin
	for _, c := range [...]struct {
		col int
		n   int
	}{{colContainers, len(f.Containers)}, {colImages, len(f.Images)}, {colReasons, len(f.Reasons)}, {colChanged, len(f.Changed)}} {
		if c.n > 1 {
			mv[c.col] = true
		}
	}
	if g.folded && len(g.names) > 1 {
		mv[colName] = true
	}
	if mv[colGroups] && mv[colIPs] {
		return
	}
	if len(g.origins) == 1 {
		o := g.origins[0]
		n, ok := distinct[o]
		if !ok {
			n = [2]int{len(sortedSet(o.groups)), len(sortedSet(o.ips))}
			distinct[o] = n
		}
		mv[colGroups] = mv[colGroups] || n[0] > 1
		mv[colIPs] = mv[colIPs] || n[1] > 1
		return
	}
	groups, ips := g.originValues()
	mv[colGroups] = mv[colGroups] || len(groups) > 1
	mv[colIPs] = mv[colIPs] || len(ips) > 1
}

// Result returns the findings as a table, one row per group (see group),
// most risky first, then by first time. count is the number of distinct
// requests; user_groups and src_ip are the union over them.
func (d *Detector) Result() detect.Table {
	s := d.sorted()
	t := detect.Table{Columns: Columns, Rows: make([]detect.Row, 0, len(s.groups))}
	for _, g := range s.groups {
		t.Rows = append(t.Rows, g.row())
	}
	return t
}

// WriteRows writes what Result returns, row by row, each row made only
// while it is written (detect.RowsWriter). It writes nothing when there
// is no row; the groups are sorted once and kept for the next call.
func (d *Detector) WriteRows(w detect.RowWriter) error {
	s := d.sorted()
	if len(s.groups) == 0 {
		return nil
	}
	if err := w.WriteHeader(Columns, s.mv); err != nil {
		return err
	}
	c := rowCells{reuse: true, row: make(detect.Row, 0, len(Columns)), single: make([]string, len(Columns))}
	for _, g := range s.groups {
		if err := w.Write(g.makeRow(&c)); err != nil {
			return err
		}
	}
	return nil
}

var _ detect.RowsWriter = (*Detector)(nil)
