package jsonscan

import (
	"encoding/binary"
	"unsafe"
)

// A walk's members often repeat byte for byte from one cell to the next:
// between an audit event's verb and its objectRef stand the user, the
// source IPs and the user agent, which a client sends alike with every
// request. A walk crosses them a member at a time, a few hundred
// instructions; a RunCache keeps the runs of members walks crossed
// (Since) and passes a later walk over the same bytes with one
// comparison (Skip). The reading of a run of whole members joined by
// commas does not depend on what stands before or after it, so the walk
// ends where crossing it member by member would have left it.

// Mark is where a walk stood after a value, before the run of members
// Since takes once the walk has crossed them.
type Mark struct{ i int }

// Mark returns where the walk stands; ok is false unless it stands after
// a value, where a run of members starts with its comma.
func (w *CSVMembers) Mark() (m Mark, ok bool) {
	return Mark{w.i}, w.st == walkAfter
}

// Since returns the members the walk crossed from m up to key, the key
// Key or Seek returned last, as Members that Skip passes over: the text
// from m's comma to the comma before key. ok is false when that is not a
// run Skip can compare: m not followed by a comma at once, a blank before
// key's comma, no member, or a last value whose end the byte after it
// decides (a number or a literal). The Members' text is the walk's (the
// cell's buffer) until RunCache.Add copies it.
func (w *CSVMembers) Since(m Mark, key []byte) (run Members, ok bool) {
	if w.st != walkValue || len(key) == 0 {
		return Members{}, false
	}
	ks := int(uintptr(unsafe.Pointer(unsafe.SliceData(key))) - uintptr(unsafe.Pointer(unsafe.SliceData(w.q))))
	// The run: q[m.i] is its comma, q[m.i+1:end] its members, q[end:ks]
	// the `,""` before key.
	end := ks - 3
	if ks < 0 || ks > len(w.q) || m.i < 0 || end <= m.i+1 || w.q[m.i] != ',' || string(w.q[end:ks]) != `,""` {
		return Members{}, false
	}
	switch w.q[end-1] {
	case '"', '}', ']':
	default:
		return Members{}, false
	}
	return Members{text: unsafe.String(&w.q[m.i+1], end-m.i-1)}, true
}

// RunCache keeps up to runSlots runs of members, each up to runMax bytes,
// by a hash of their first bytes: runSlots*runMax bytes at most, however
// many distinct runs the cells hold. A run a cell does not start with
// costs a hash and a comparison that stops at the first bytes that
// differ. Its runs are for walks that seek the same keys: a run Seek
// crossed holds none of the keys it sought, and a walk that skips it must
// not be seeking any of its other keys either. A RunCache is used in
// place (Add reuses its slots' bytes): it must not be copied after first
// use.
type RunCache struct {
	slots [runSlots][]byte
}

const (
	runSlots   = 256
	runMax     = 2048
	runHashAt  = 16 // the bytes hashed: most runs open alike (`""user"":{""username"":""`)
	runHashLen = 32
)

// runSlot is the slot of the run that starts t, which holds at least
// runHashAt+runHashLen bytes.
func runSlot(t []byte) int {
	t = t[runHashAt : runHashAt+runHashLen]
	h := binary.LittleEndian.Uint64(t) ^ binary.LittleEndian.Uint64(t[8:])*0x9E3779B97F4A7C15 ^
		binary.LittleEndian.Uint64(t[16:])*0xC2B2AE3D27D4EB4F ^ binary.LittleEndian.Uint64(t[24:])*0x165667B19E3779F9
	return int((h * 0xFF51AFD7ED558CCD) >> (64 - 8))
}

// Skip passes the walk over the kept run that the text where it stands
// starts with (after a value, at the run's comma), and reports whether
// it did. The walk then stands after the run's last value, as crossing
// its members one by one would have left it.
func (c *RunCache) Skip(w *CSVMembers) bool {
	i := w.i
	if w.st != walkAfter || len(w.q)-i < 1+runHashAt+runHashLen || w.q[i] != ',' {
		return false
	}
	t := w.q[i+1:]
	r := c.slots[runSlot(t)]
	if len(r) == 0 || len(t) < len(r) || string(t[:len(r)]) != string(r) {
		return false
	}
	w.i = i + 1 + len(r)
	return true
}

// Add keeps a copy of run, from Since, in place of the run in its slot.
// Runs too short to hash or longer than runMax are not kept.
func (c *RunCache) Add(run Members) {
	if len(run.text) < runHashAt+runHashLen || len(run.text) > runMax {
		return
	}
	t := unsafe.Slice(unsafe.StringData(run.text), len(run.text))
	s := &c.slots[runSlot(t)]
	*s = append((*s)[:0], run.text...)
}
