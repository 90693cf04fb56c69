package jsonscan

import "testing"

// TestUnquoteShuffles checks each PSHUFB control against the bytes it
// must keep.
func TestUnquoteShuffles(t *testing.T) {
	for m, e := range unquoteShuffles {
		var kept []byte
		for j := range 8 {
			if m>>j&1 == 0 {
				kept = append(kept, byte(j))
			}
		}
		if int(e[1]) != len(kept) {
			t.Fatalf("mask %#x: %d kept, want %d", m, e[1], len(kept))
		}
		for k := range 8 {
			c := byte(e[0] >> (8 * k))
			if k < len(kept) && c != kept[k] || k >= len(kept) && c&0x80 == 0 {
				t.Fatalf("mask %#x: control %#x", m, e[0])
			}
		}
	}
}
