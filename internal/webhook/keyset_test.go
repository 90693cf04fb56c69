package webhook

import (
	"math/rand/v2"
	"testing"
)

// TestKeySet drives keySet and a map with the same random adds and
// removes, over keys crowded into few home slots (long runs that wrap
// around the table's end, so removal has to move keys back), and the
// zero key; the two must agree after every step.
func TestKeySet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, homes := range []uint64{3, 40, 1 << 40} {
		var s keySet
		ref := map[key]bool{}
		var held []key
		for step := 0; step < 60000; step++ {
			// Homes near the end of the first table (1024 slots), so
			// runs wrap around it.
			k := key{1016 + r.Uint64()%homes, r.Uint64() % 16}
			if r.IntN(50) == 0 {
				k = key{}
			}
			if r.IntN(3) == 0 && len(held) > 0 {
				j := r.IntN(len(held))
				k = held[j]
				held[j] = held[len(held)-1]
				held = held[:len(held)-1]
				s.remove(k)
				delete(ref, k)
			} else {
				added := s.add(k)
				if added == ref[k] {
					t.Fatalf("homes %d step %d: add(%v) = %v, but held = %v", homes, step, k, added, ref[k])
				}
				if added {
					ref[k] = true
					held = append(held, k)
				}
			}
			if s.len() != len(ref) {
				t.Fatalf("homes %d step %d: len %d, want %d", homes, step, s.len(), len(ref))
			}
			if step%997 == 0 {
				for k := range ref {
					if !s.has(k) {
						t.Fatalf("homes %d step %d: lost %v", homes, step, k)
					}
				}
				for i := 0; i < 100; i++ {
					k := key{1016 + r.Uint64()%homes, 16 + r.Uint64()%4}
					if s.has(k) {
						t.Fatalf("homes %d step %d: holds %v, never added", homes, step, k)
					}
				}
			}
			if 8*s.n > 7*len(s.slots) {
				t.Fatalf("homes %d step %d: %d keys in %d slots", homes, step, s.n, len(s.slots))
			}
		}
		s.remove(key{99, 99}) // not held: nothing happens
		if s.len() != len(ref) {
			t.Fatalf("removing a key not held changed the length")
		}
	}
}

// BenchmarkKeySet measures the duplicate filter's set at a full window of
// 2²⁰ keys: one add of a new key and one removal of the oldest per op.
func BenchmarkKeySet(b *testing.B) {
	var s keySet
	r := rand.New(rand.NewPCG(3, 4))
	ring := make([]key, 1<<20)
	for i := range ring {
		ring[i] = key{r.Uint64(), r.Uint64()}
		s.add(ring[i])
	}
	i := 0
	for b.Loop() {
		s.remove(ring[i])
		ring[i] = key{r.Uint64(), r.Uint64()}
		if !s.add(ring[i]) {
			b.Fatal("a new key was held")
		}
		i = (i + 1) % len(ring)
	}
}
