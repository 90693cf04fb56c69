package jsonscan

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

// vectorChoices lists the unquoting paths this CPU can run: the word
// loop, and unquoteBlocks where it runs.
func vectorChoices() []bool {
	if vectorUnquote {
		return []bool{false, true}
	}
	return []bool{false}
}

// csvQuote writes each quote of s twice, as a CSV field holds it.
func csvQuote(s []byte) []byte { return bytes.ReplaceAll(s, []byte(`"`), []byte(`""`)) }

// TestUnquoteCSVAudit undoes the CSV quoting of the shared audit fixtures,
// real events whose pairs fall at every offset of a block, appended to
// buffers of every length up to a block, and of the cells built from them
// with runs of quotes across block bounds.
func TestUnquoteCSVAudit(t *testing.T) {
	dir := sharedtest.Dir(t, "fixtures", "audit")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures under %s: %v", dir, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		q := csvQuote(raw)
		for _, vector := range vectorChoices() {
			for pre := range 65 {
				dst := bytes.Repeat([]byte{'x'}, pre)
				got := unquoteWith(dst, q, vector)
				if !bytes.Equal(got[:pre], dst) || !bytes.Equal(got[pre:], raw) {
					t.Fatalf("%s after %d bytes, vector %v: the unquoted text differs", f, pre, vector)
				}
			}
		}
	}
}

// TestUnquoteCSVRuns checks runs of quotes of every length at every
// offset around a block's bound, with lone quotes among them.
func TestUnquoteCSVRuns(t *testing.T) {
	for off := 40; off < 140; off++ {
		for n := 1; n < 70; n++ {
			q := append(bytes.Repeat([]byte{'a'}, off), bytes.Repeat([]byte{'"'}, n)...)
			q = append(q, "b\"c\"\"d"...)
			want := bytes.ReplaceAll(q, []byte(`""`), []byte(`"`))
			for _, vector := range vectorChoices() {
				if got := unquoteWith(nil, q, vector); !bytes.Equal(got, want) {
					t.Fatalf("%d quotes after %d bytes, vector %v: got %q, want %q", n, off, vector, got, want)
				}
			}
		}
	}
}

// TestUnquoteCSVRandom checks long random texts of few byte values, where
// runs of quotes of every length cross block bounds.
func TestUnquoteCSVRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		q := make([]byte, r.IntN(400))
		for i := range q {
			q[i] = `"a\"`[r.IntN(4)]
		}
		want := bytes.ReplaceAll(q, []byte(`""`), []byte(`"`))
		for _, vector := range vectorChoices() {
			if got := unquoteWith([]byte("pre"), q, vector); !bytes.Equal(got[3:], want) {
				t.Fatalf("UnquoteCSV(%q), vector %v = %q, want %q", q, vector, got[3:], want)
			}
		}
	}
}

// BenchmarkUnquoteCSV unquotes a real audit event's CSV cell.
func BenchmarkUnquoteCSV(b *testing.B) {
	dir := sharedtest.Dir(b, "fixtures", "audit")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	var q []byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err == nil && len(raw) > len(q) && len(raw) < 1<<16 {
			q = csvQuote(raw)
		}
	}
	if len(q) == 0 {
		b.Skip("no fixture")
	}
	for _, vector := range vectorChoices() {
		b.Run(map[bool]string{false: "words", true: "vector"}[vector], func(b *testing.B) {
			var dst []byte
			b.SetBytes(int64(len(q)))
			for b.Loop() {
				dst = unquoteWith(dst[:0], q, vector)
			}
		})
	}
}
