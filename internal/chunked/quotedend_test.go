package chunked

import (
	"bytes"
	"testing"
)

// quotedEndRef is quotedEnd byte by byte.
func quotedEndRef(b []byte, p int) (int, bool) {
	for p < len(b) {
		switch {
		case b[p] != '"':
			p++
		case p+1 == len(b):
			return p, false
		case b[p+1] != '"':
			return p, true
		default:
			p += 2
		}
	}
	return p, false
}

func checkQuotedEnd(t *testing.T, b []byte) {
	t.Helper()
	for p := range min(len(b)+1, 3) {
		wp, wok := quotedEndRef(b, p)
		if gp, gok := quotedEnd(b, p); gp != wp || gok != wok {
			t.Fatalf("quotedEnd(%q, %d) = %d, %v; want %d, %v", b, p, gp, gok, wp, wok)
		}
	}
}

// TestQuotedEnd: runs of every length up to 130 quotes, ending at every
// offset around the 64-byte blocks, among pairs and other bytes; blocks
// of nothing but quotes; random fields.
func TestQuotedEnd(t *testing.T) {
	for run := range 131 {
		for off := range 140 {
			b := append(bytes.Repeat([]byte(`a""`), off/3), bytes.Repeat([]byte("x"), off%3)...)
			b = append(b, bytes.Repeat([]byte{'"'}, run)...)
			b = append(b, `,next""field`...)
			checkQuotedEnd(t, b)
			checkQuotedEnd(t, b[:len(b)-11]) // the run at the end of the input
		}
	}
	checkQuotedEnd(t, bytes.Repeat([]byte{'"'}, 64))
	checkQuotedEnd(t, bytes.Repeat([]byte{'"'}, 200))
	checkQuotedEnd(t, append(bytes.Repeat([]byte{'"'}, 129), 'x'))
	seed := uint64(3)
	for range 20000 {
		seed = seed*6364136223846793005 + 1442695040888963407
		b := make([]byte, seed>>55)
		for i := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			b[i] = `"""""a\,`[seed>>61]
		}
		checkQuotedEnd(t, b)
	}
}

func FuzzQuotedEnd(f *testing.F) {
	f.Add([]byte(`{""kind"":""Event""}",next`))
	f.Add(bytes.Repeat([]byte(`""`), 40))
	f.Add(append(bytes.Repeat([]byte{'"'}, 63), 'a'))
	f.Fuzz(func(t *testing.T, b []byte) { checkQuotedEnd(t, b) })
}
