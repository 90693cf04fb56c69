package escu

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
)

// The aggregation is held compactly, because the reduce phase keeps one
// group per result row of the whole search and its memory should follow
// the reply's size: every group key lives in a few large byte chunks, a
// group is a fixed 32-byte record, the index is an open-addressing table
// of record numbers, and each distinct user.groups{} set is stored once
// (groups share a handful of sets in practice) and named by a number.

// chunkSize is the size of the key chunks. Keys are appended to the last
// chunk; a new one is started when a key does not fit, so existing keys
// never move and growing costs no copy.
const chunkSize = 1 << 20

// groupRec is one stats group: a combination of by-field values in which
// a value may still be missing (fillnull decides at the end).
type groupRec struct {
	chunk, off, n uint32 // the key: chunks[chunk][off:off+n]
	hash          uint32 // the key's hash, for the index and quick rejects
	set           uint32 // distinct user.groups{} values, a setTable id
	noGroups      bool   // some event of the group had no user.groups{}
	count         int64
}

// groupTable is the set of groups, keyed by their encoded by-field values
// (see Detector.aggregate for the encoding).
type groupTable struct {
	chunks [][]byte
	recs   []groupRec
	slots  []int32 // record number + 1; 0 is an empty slot
	seed   maphash.Seed
	sets   setTable
}

func (t *groupTable) len() int { return len(t.recs) }

// key returns group i's encoded key.
func (t *groupTable) key(i int) []byte {
	r := &t.recs[i]
	return t.chunks[r.chunk][r.off : r.off+r.n]
}

// get returns the record for key, adding an empty one (count 0) if the
// key is new.
func (t *groupTable) get(key []byte) *groupRec {
	if len(t.recs)*2 >= len(t.slots) {
		t.grow()
	}
	h := uint32(maphash.Bytes(t.seed, key))
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = int32(len(t.recs) + 1)
			t.recs = append(t.recs, t.store(key, h))
			return &t.recs[len(t.recs)-1]
		}
		if r := &t.recs[s-1]; r.hash == h && bytes.Equal(t.key(int(s-1)), key) {
			return r
		}
	}
}

// store copies key into the chunks and returns a record naming it.
func (t *groupTable) store(key []byte, h uint32) groupRec {
	last := len(t.chunks) - 1
	if last < 0 || cap(t.chunks[last])-len(t.chunks[last]) < len(key) {
		t.chunks = append(t.chunks, make([]byte, 0, max(chunkSize, len(key))))
		last++
	}
	c := t.chunks[last]
	r := groupRec{chunk: uint32(last), off: uint32(len(c)), n: uint32(len(key)), hash: h}
	t.chunks[last] = append(c, key...)
	return r
}

// grow doubles the index.
func (t *groupTable) grow() {
	if t.seed == (maphash.Seed{}) {
		t.seed = maphash.MakeSeed()
	}
	t.slots = make([]int32, max(64, 2*len(t.slots)))
	mask := len(t.slots) - 1
	for n := range t.recs {
		i := int(t.recs[n].hash) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(n + 1)
	}
}

// reset forgets every group, keeping the first chunk and the index's
// size for the next round of a map phase.
func (t *groupTable) reset() {
	if len(t.chunks) > 0 {
		t.chunks = append(t.chunks[:0], t.chunks[0][:0])
	}
	clear(t.slots)
	t.recs = t.recs[:0]
	t.sets.reset()
}

// setTable interns user.groups{} value sets. Set 0 is the empty set.
type setTable struct {
	vals   []string          // value id → value
	valIDs map[string]uint32 // value → id
	sets   [][]uint32        // set id → its value ids, ascending
	setIDs map[string]uint32 // encoded value ids → set id
	unions map[[2]uint32]uint32
	sorted [][]string // set id → its values in string order, filled on demand

	scratch []byte

	// The last partial row's user.groups{} fields as written, and their
	// set (Detector.rowSet).
	lastRaw []byte
	lastID  uint32
	lastOK  bool
}

func (s *setTable) reset() { *s = setTable{lastRaw: s.lastRaw[:0]} }

// value returns the id of v, interning it.
func (s *setTable) value(v []byte) uint32 {
	if id, ok := s.valIDs[string(v)]; ok {
		return id
	}
	if s.valIDs == nil {
		s.valIDs = make(map[string]uint32)
	}
	id := uint32(len(s.vals))
	s.vals = append(s.vals, string(v))
	s.valIDs[s.vals[id]] = id
	return id
}

// set returns the id of the set of value ids in ids, which must be
// ascending and distinct, interning it.
func (s *setTable) set(ids []uint32) uint32 {
	if len(ids) == 0 {
		return 0
	}
	if len(s.sets) == 0 {
		s.sets = append(s.sets, nil)
		s.setIDs = make(map[string]uint32)
	}
	b := s.scratch[:0]
	for _, id := range ids {
		b = binary.LittleEndian.AppendUint32(b, id)
	}
	s.scratch = b
	if id, ok := s.setIDs[string(b)]; ok {
		return id
	}
	id := uint32(len(s.sets))
	s.sets = append(s.sets, slices.Clone(ids))
	s.setIDs[string(b)] = id
	return id
}

// union returns the id of the union of sets a and b.
func (s *setTable) union(a, b uint32) uint32 {
	if a == b || b == 0 {
		return a
	}
	if a == 0 {
		return b
	}
	if a > b {
		a, b = b, a
	}
	if id, ok := s.unions[[2]uint32{a, b}]; ok {
		return id
	}
	x, y := s.sets[a], s.sets[b]
	merged := make([]uint32, 0, len(x)+len(y))
	for len(x) > 0 && len(y) > 0 {
		switch {
		case x[0] < y[0]:
			merged, x = append(merged, x[0]), x[1:]
		case x[0] > y[0]:
			merged, y = append(merged, y[0]), y[1:]
		default:
			merged, x, y = append(merged, x[0]), x[1:], y[1:]
		}
	}
	merged = append(append(merged, x...), y...)
	id := s.set(merged)
	if s.unions == nil {
		s.unions = make(map[[2]uint32]uint32)
	}
	s.unions[[2]uint32{a, b}] = id
	return id
}

// list returns set id's values in string order, as values() lists
// them. The slice is shared: callers must not change it.
func (s *setTable) list(id uint32) []string {
	if id == 0 {
		return nil
	}
	for len(s.sorted) <= int(id) {
		s.sorted = append(s.sorted, nil)
	}
	if s.sorted[id] == nil {
		vs := make([]string, len(s.sets[id]))
		for i, v := range s.sets[id] {
			vs[i] = s.vals[v]
		}
		slices.Sort(vs)
		s.sorted[id] = vs
	}
	return s.sorted[id]
}
