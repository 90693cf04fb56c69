package escu

import (
	"bytes"
	"runtime"
	"testing"
)

// A run's definition, byte by byte: the bytes it stops at and how it
// swaps the others.
type runDef struct {
	name       string
	run, words func(dst, src []byte) int
	stop       func(c byte) bool
	from, to   byte
}

var runDefs = []runDef{
	{"escapeRun", escapeRun, func(dst, src []byte) int { return swapRunWords(dst, src, escapeKind) },
		func(c byte) bool { return c < 0x20 || c > 0x7e || c == '\'' || c == '\\' }, '"', '\''},
	{"plainRun", plainRun, func(dst, src []byte) int { return swapRunWords(dst, src, plainKind) },
		func(c byte) bool { return c == '\t' || c == '\\' }, '\'', '"'},
}

// check runs f on src and fails unless it copied, swapped, exactly want
// bytes and wrote nothing past len(src).
func (r runDef) check(t *testing.T, which string, f func(dst, src []byte) int, src []byte, want int) {
	t.Helper()
	dst := make([]byte, len(src)+8)
	for i := range dst {
		dst[i] = 0xaa
	}
	n := f(dst[:len(src):len(src)], src)
	if n != want {
		t.Fatalf("%s %s(%q) = %d, want %d", r.name, which, src, n, want)
	}
	for i := range n {
		c := src[i]
		if c == r.from {
			c = r.to
		}
		if dst[i] != c {
			t.Fatalf("%s %s(%q): byte %d is %q, want %q", r.name, which, src, i, dst[i], c)
		}
	}
	if !bytes.Equal(dst[len(src):], bytes.Repeat([]byte{0xaa}, 8)) {
		t.Fatalf("%s %s(%q) wrote past the end of dst", r.name, which, src)
	}
}

// verify checks both versions of the run on src against the definition:
// the SSE2 one stops exactly at the first stop byte within src's whole
// 16-byte blocks, the word one before the 32-byte block holding it.
func (r runDef) verify(t *testing.T, src []byte) {
	t.Helper()
	first := len(src)
	for i, c := range src {
		if r.stop(c) {
			first = i
			break
		}
	}
	r.check(t, "words", r.words, src, first/block*block)
	if runtime.GOARCH == "amd64" {
		r.check(t, "SSE2", r.run, src, min(first, len(src)/16*16))
	} else {
		r.check(t, "run", r.run, src, first/block*block)
	}
}

// Every byte value, at every position of runs of every length up to
// three blocks, and the swapped byte beside it.
func TestRuns(t *testing.T) {
	for _, r := range runDefs {
		for n := 0; n <= 3*block+1; n++ {
			base := bytes.Repeat([]byte{'a'}, n)
			for i := range base {
				base[i] = "ab\"'cd"[i%6]
			}
			r.verify(t, base)
			for p := 0; p < n; p++ {
				for c := 0; c < 256; c++ {
					src := append([]byte(nil), base...)
					src[p] = byte(c)
					r.verify(t, src)
				}
			}
		}
	}
}

func FuzzRuns(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{}}}` + "\n"))
	f.Add([]byte("{'apiVersion':'v1','kind':'Pod'}\\n\tcontractors\toncall"))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, r := range runDefs {
			r.verify(t, src)
		}
	})
}
