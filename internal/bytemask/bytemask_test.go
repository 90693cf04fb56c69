package bytemask

import (
	"bytes"
	"testing"
)

// quotesRef is Quotes byte by byte.
func quotesRef(p *[64]byte) uint64 {
	var m uint64
	for k, c := range p {
		if c == '"' {
			m |= 1 << k
		}
	}
	return m
}

func checkQuotes(t *testing.T, p *[64]byte) {
	t.Helper()
	want := quotesRef(p)
	if got := Quotes(p); got != want {
		t.Fatalf("Quotes(%q) = %064b, want %064b", p, got, want)
	}
	if got := quotesSWAR(p); got != want {
		t.Fatalf("quotesSWAR(%q) = %064b, want %064b", p, got, want)
	}
}

// TestQuotes puts a quote at every position, beside the bytes a SWAR
// test could confuse with it ('"' with its high bit set, '"' ± 1, NUL).
func TestQuotes(t *testing.T) {
	var p [64]byte
	for i := range 64 {
		for j := range p {
			p[j] = []byte{'a', '"' ^ 0x80, '"' + 1, '"' - 1, 0}[j%5]
		}
		p[i] = '"'
		checkQuotes(t, &p)
		p[(i*7+3)%64] = '"'
		checkQuotes(t, &p)
	}
	checkQuotes(t, (*[64]byte)(bytes.Repeat([]byte{'"'}, 64)))
	seed := uint64(1)
	for range 10000 {
		for j := range p {
			seed = seed*6364136223846793005 + 1442695040888963407
			p[j] = "\"\"#!x\x00\xff\\"[seed>>61]
		}
		checkQuotes(t, &p)
	}
}

func FuzzQuotes(f *testing.F) {
	f.Add(bytes.Repeat([]byte(`""a"`), 16))
	f.Add(bytes.Repeat([]byte{'"' ^ 0x80, '"' + 1, '"' - 1, 0}, 16))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p [64]byte
		copy(p[:], b)
		checkQuotes(t, &p)
	})
}

func BenchmarkQuotes(b *testing.B) {
	p := (*[64]byte)(bytes.Repeat([]byte(`{""kind"":""Event"",""a"":1}`), 3)[:64])
	var m uint64
	for b.Loop() {
		m ^= Quotes(p)
	}
	sink = m
}

var sink uint64
