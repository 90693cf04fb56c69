package webhook

// keySet is the set of keys the duplicate filter remembers: an open
// addressing table with linear probing, indexed by the key's own bits
// (a keyed hash already, so it needs no hashing again), 16 bytes a slot. It replaces a map[key]struct{} whose insertions were 8% of the
// input's CPU at a full window: each one hashed the key again and touched
// a control word and a slot, where this touches one slot, usually in the
// cache line the probe starts in.
//
// The table is kept at most seven eighths full, as Go's maps are: 18 bytes
// a key just before it grows, 37 just after, 55 during the rehash while the
// old table is still there. With random keys the probe runs stay short at
// that load, and a batch's 400 probes are a small part of its cost.
type keySet struct {
	slots []key // len is 0 or a power of two; the zero key marks a free slot
	n     int   // keys held in slots
	zero  bool  // the zero key is held (outside slots)
}

// len reports the number of keys held.
func (s *keySet) len() int {
	if s.zero {
		return s.n + 1
	}
	return s.n
}

// has reports whether k is held.
func (s *keySet) has(k key) bool {
	if k == (key{}) {
		return s.zero
	}
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := home(k, mask); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return true
		case key{}:
			return false
		}
	}
}

// touch reads k's home slot and returns a word of it, for nothing but to
// bring its cache line in: the duplicate filter touches a batch's slots
// in a loop of independent loads, which the CPU overlaps, before its adds
// and removes, each of which would otherwise wait for its own miss.
func (s *keySet) touch(k key) uint64 {
	if len(s.slots) == 0 {
		return 0
	}
	return s.slots[home(k, uint64(len(s.slots)-1))].a
}

// add holds k and reports whether it was new.
func (s *keySet) add(k key) bool {
	if k == (key{}) {
		was := s.zero
		s.zero = true
		return !was
	}
	if 8*(s.n+1) > 7*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := home(k, mask); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return false
		case key{}:
			s.slots[i] = k
			s.n++
			return true
		}
	}
}

// remove forgets k if held. The keys after it in its run move back into
// the gap when their home slot allows, so lookups never stop early at a
// slot that was emptied under them (no tombstones either).
func (s *keySet) remove(k key) {
	if k == (key{}) {
		s.zero = false
		return
	}
	if len(s.slots) == 0 {
		return
	}
	mask := uint64(len(s.slots) - 1)
	i := home(k, mask)
	for s.slots[i] != k {
		if s.slots[i] == (key{}) {
			return
		}
		i = (i + 1) & mask
	}
	s.n--
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		m := s.slots[j]
		if m == (key{}) {
			break
		}
		// m may fill the gap at i unless its home slot lies after i and
		// at or before j (cyclically): then i is before its home.
		if h := home(m, mask); (j-h)&mask >= (j-i)&mask {
			s.slots[i] = m
			i = j
		}
	}
	s.slots[i] = key{}
}

// grow doubles the table (1024 slots at first) and puts every key back.
func (s *keySet) grow() {
	old := s.slots
	s.slots = make([]key, max(2*len(old), 1024))
	s.n = 0
	mask := uint64(len(s.slots) - 1)
	for _, k := range old {
		if k == (key{}) {
			continue
		}
		i := home(k, mask)
		for s.slots[i] != (key{}) {
			i = (i + 1) & mask
		}
		s.slots[i] = k
		s.n++
	}
}

// home is k's first slot: the key's two halves xored, so a key whose
// halves are random in either one spreads evenly.
func home(k key, mask uint64) uint64 { return (k.a ^ k.b) & mask }
