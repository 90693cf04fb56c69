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

// checkOddRunEnd holds OddRunEndLF to oddRunEndGo and a search for a
// newline, and a found end to the byte-by-byte definition: the last quote
// of the first odd run.
func checkOddRunEnd(t *testing.T, b []byte) {
	t.Helper()
	n, found := oddRunEndGo(b)
	want := -1
	for i := 0; i < len(b); {
		if b[i] != '"' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] == '"' {
			j++
		}
		if (j-i)%2 == 1 && j < len(b) {
			want = j - 1
			break
		}
		i = j
	}
	if found && n != want {
		t.Fatalf("oddRunEndGo(%q) = %d, want %d", b, n, want)
	}
	wantLF := bytes.IndexByte(b[:n], '\n') >= 0
	if ln, lfound, lf := OddRunEndLF(b); ln != n || lfound != found || lf != wantLF {
		t.Fatalf("OddRunEndLF(%q) = %d, %v, %v; oddRunEndGo and a search: %d, %v, %v", b, ln, lfound, lf, n, found, wantLF)
	}
	if !found && want >= 0 && want < len(b)-len(b)%64-1 && n > want {
		t.Fatalf("oddRunEndGo(%q) stopped at %d, after the end at %d", b, n, want)
	}
}

// TestOddRunEnd: runs of every length up to 130 quotes ending at every
// offset around the blocks, among pairs; blocks of nothing but quotes;
// random bytes.
func TestOddRunEnd(t *testing.T) {
	for run := range 131 {
		for off := range 140 {
			b := append(bytes.Repeat([]byte(`a""`), off/3), bytes.Repeat([]byte("x"), off%3)...)
			b = append(b, bytes.Repeat([]byte{'"'}, run)...)
			b = append(b, `,next""field and some more bytes after it`...)
			checkOddRunEnd(t, b)
			// A newline just before the run, in it or after it.
			for _, at := range []int{off - 1, off + run/2, off + run, off + run + 1} {
				if at >= 0 && at < len(b) && run%2 == 1 {
					c := bytes.Clone(b)
					c[at] = '\n'
					checkOddRunEnd(t, c)
				}
			}
		}
	}
	checkOddRunEnd(t, bytes.Repeat([]byte{'"'}, 64))
	checkOddRunEnd(t, bytes.Repeat([]byte{'"'}, 200))
	// A newline in blocks without quotes, before and after the end.
	for at := range 200 {
		b := append(bytes.Repeat([]byte("x"), 130), `""a"""",next and more bytes after the field's end`...)
		b = append(b, bytes.Repeat([]byte("y"), 64)...)
		b[at] = '\n'
		checkOddRunEnd(t, b)
	}
	seed := uint64(3)
	for range 20000 {
		seed = seed*6364136223846793005 + 1442695040888963407
		b := make([]byte, seed>>55)
		for i := range b {
			seed = seed*6364136223846793005 + 1442695040888963407
			b[i] = "\"\"\"\"a\n\\,"[seed>>61]
		}
		checkOddRunEnd(t, b)
	}
}

func FuzzOddRunEnd(f *testing.F) {
	f.Add(bytes.Repeat([]byte(`""`), 40))
	f.Add(append(bytes.Repeat([]byte{'"'}, 63), 'a'))
	f.Fuzz(func(t *testing.T, b []byte) { checkOddRunEnd(t, b) })
}

// BenchmarkOddRunEnd finds the end of a 2 KB CSV-quoted JSON field, the
// size of an audit event, and its newlines: OddRunEndLF, and the Go
// version with a search.
func BenchmarkOddRunEnd(b *testing.B) {
	field := bytes.Repeat([]byte(`{""kind"":""Event"",""verb"":""get"",""n"":12,""x"":[""a""]},`), 36)
	field = append(field, `","next field, and the bytes of the rest of the record after it`...)
	b.Run("LF", func(b *testing.B) {
		b.SetBytes(int64(len(field)))
		for b.Loop() {
			if _, found, lf := OddRunEndLF(field); !found || lf {
				b.Fatal("no end, or a newline")
			}
		}
	})
	b.Run("Go", func(b *testing.B) {
		b.SetBytes(int64(len(field)))
		for b.Loop() {
			n, found := oddRunEndGo(field)
			if !found || bytes.IndexByte(field[:n], '\n') >= 0 {
				b.Fatal("no end, or a newline")
			}
		}
	})
}
