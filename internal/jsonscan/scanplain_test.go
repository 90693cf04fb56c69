package jsonscan

import (
	"errors"
	"math/bits"
	"slices"
	"strings"
	"testing"
)

// scanPlainCases are documents whose every fault ScanPlain must find where
// ValidatePlain finds it, beside the gjson cases.
var scanPlainCases = []string{
	`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"a":1},{"b":"<x>"}]}`,
	`{"a":tru}`, `{"a":fals}`, `{"a":falsy}`, `{"a":nulL}`, `[true,false,null]`, `[t]`, `[f]`, `[n]`,
	`{"a" : 1 , "b" :[ ] }`, `{"a":1}x`, `{"a":1} `, `{"a"  :  "\u00e9" }`, "{\"a\":\"x\"\r}",
	"\r{\"a\":1}", "{\"a\":1}\r", "{\"a\"\r:1}", "{\"a\":\r1}", "[1\r,2]", "[1,\r2]", "{\r\"a\":1}", "[\r]", "[\x01]", "[1,\x1f2]",
	`[0,10,-0,1e5,1E+2,12.5,0.5,123]`, `{"a":0,"b":907}`, `[01]`, `[1.]`, `[1e]`, `[-]`, `[0x]`, `7`, `-7`, `12a`, `0`, `[9`,
	`{"a":"\`, `{"a":"x\q"}`, `{"a":"12345678\u12"}`, `{"a":"12345678901234567890"`, `{"a`, `{"a"`, `{"a":`,
}

// scanAll runs ScanPlain and ValidatePlain with recorders and fails the
// test when they differ in result, error or Visitor calls.
func scanAll(t *testing.T, doc []byte, depth int) {
	t.Helper()
	var rf, rr recorder
	plain, err := ScanPlain(doc, &rf, depth)
	wantPlain, wantErr := ValidatePlain(doc, &rr, depth)
	if plain != wantPlain || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("ScanPlain(%q) = %v, %v; ValidatePlain = %v, %v", doc, plain, err, wantPlain, wantErr)
	}
	if err != nil && (!errors.Is(err, ErrSyntax) || errors.Is(err, ErrTooDeep) != errors.Is(wantErr, ErrTooDeep)) {
		t.Fatalf("ScanPlain(%q) error %v does not wrap what ValidatePlain's does (%v)", doc, err, wantErr)
	}
	if !slices.Equal(rf.log, rr.log) {
		t.Fatalf("ScanPlain(%q) showed the Visitor\n%q\nValidatePlain\n%q", doc, rf.log, rr.log)
	}
	// A MemberVisitor gets the same keys and values, each member at
	// depth in one call once its value ended: a member whose value never
	// did (the document broke off in it) is not shown.
	var rm memberRecorder
	plain, err = ScanPlain(doc, &rm, depth)
	if plain != wantPlain || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("ScanPlain(%q) with a MemberVisitor = %v, %v; ValidatePlain = %v, %v", doc, plain, err, wantPlain, wantErr)
	}
	want := rr.log
	if n := len(want); wantErr != nil && n > 0 && strings.HasPrefix(want[n-1], string(rune('0'+depth))+"K") {
		want = want[:n-1]
	}
	if !slices.Equal(rm.log, want) {
		t.Fatalf("ScanPlain(%q) showed the MemberVisitor\n%q\nValidatePlain the Visitor\n%q", doc, rm.log, want)
	}
}

// memberRecorder logs Member calls as recorder logs a key and its value.
type memberRecorder struct{ recorder }

func (r *memberRecorder) Member(d int, k, v []byte) {
	r.log = append(r.log, string(rune('0'+d))+"K"+string(k), string(rune('0'+d))+"V"+string(v))
}

func TestScanPlain(t *testing.T) {
	for _, s := range append(append([]string{}, gjsonCases...), scanPlainCases...) {
		for depth := 0; depth < 4; depth++ {
			scanAll(t, []byte(s), depth)
		}
	}
	// Every byte value at every offset of the eight-byte blocks, in a
	// value and in a key, after a plain and a dirty start.
	for c := 0; c < 256; c++ {
		for pre := 0; pre < 20; pre++ {
			for _, form := range []string{`{"k":"%s","z":1}`, `{"%s":"v"}`, `{"é":"%s"}`, `["<",%s]`} {
				s := strings.Repeat("a", pre) + "?" + strings.Repeat("b", 9)
				if form == `["<",%s]` {
					s = `"` + s + `"`
				}
				// Padded so that the byte falls in a full 64-byte block,
				// or across the end of one, as well as in a short tail.
				for _, pad := range []int{0, 50, 57, 60, 63, 121} {
					b := []byte(`[` + strings.Repeat(" ", pad) + strings.Replace(form, "%s", s, 1) + `,"` + strings.Repeat("c", 70) + `"]`)
					b[strings.IndexByte(string(b), '?')] = byte(c)
					scanAll(t, b, 2)
					scanAll(t, b, 0)
					scanAll(t, append([]byte(`{"o":`), append(b, '}')...), 0)
				}
			}
		}
	}
	// Runs of backslashes, and what follows them, across a block's end,
	// in keys and values, with and without a Visitor to show them to.
	for pad := 50; pad < 70; pad++ {
		for run := 0; run < 5; run++ {
			for _, tail := range []string{`"`, `u0041"`, `u00"`, `n"`, `x"`, `"x"`, "\x01\"", `"]`, `"}`} {
				str := `"` + strings.Repeat(`\`, run) + tail
				for _, form := range []string{`[%s]`, `{%s:1}`, `{"k":[%s,{"%s":%s}]}`} {
					b := []byte(strings.Repeat(" ", pad) + strings.ReplaceAll(form, "%s", str))
					scanAll(t, b, 0)
					scanAll(t, b, 1)
				}
			}
		}
	}
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	scanAll(t, []byte(deep), 1)
	scanAll(t, []byte("["+deep+"]"), 1)
}

// FuzzScanPlain holds ScanPlain to ValidatePlain: same plain flag, same
// positioned error, same Visitor calls.
func FuzzScanPlain(f *testing.F) {
	for _, s := range append(append([]string{}, gjsonCases...), scanPlainCases...) {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, doc []byte, depth uint8) {
		scanAll(t, doc, int(depth%6))
	})
}

// exactMarks is the definition of a block's marks, byte by byte.
func exactMarks(d *[64]byte, plain bool) uint64 {
	var m uint64
	for k, c := range d {
		if c == '"' || c == '\\' || c < 0x20 || plain && (c >= 0x80 || c == '<' || c == '>' || c == '&') {
			m |= 1 << k
		}
	}
	return m
}

// checkMarks fails the test unless marksPlain and marksAny give the exact
// marks of d, and the SWAR versions give a superset of them with the
// same lowest mark in each eight bytes.
func checkMarks(t *testing.T, d *[64]byte) {
	t.Helper()
	for _, path := range vectorPaths() {
		useAVX2 = path
		checkMarksPath(t, d)
	}
}

// vectorPaths returns the values of useAVX2 this CPU can run, the one
// in use last, so that a test leaves it as it found it.
func vectorPaths() []byte {
	if hasAVX2 {
		return []byte{0, 1}
	}
	return []byte{useAVX2}
}

func checkMarksPath(t *testing.T, d *[64]byte) {
	t.Helper()
	for _, plain := range []bool{true, false} {
		want := exactMarks(d, plain)
		got, swar := marksAny(d), marksAnySWAR(d)
		if plain {
			got, swar = marksPlain(d), marksPlainSWAR(d)
		}
		if vectorMarks && got != want {
			t.Fatalf("plain=%v avx2=%d marks of %q = %064b, want %064b", plain, useAVX2, d[:], got, want)
		}
		for w := 0; w < 64; w += 8 {
			e, s := want>>w&0xFF, swar>>w&0xFF
			if s&e != e || bits.TrailingZeros8(uint8(s)) != bits.TrailingZeros8(uint8(e)) {
				t.Fatalf("plain=%v SWAR marks of %q = %064b, want %064b or more above the lowest", plain, d[:], swar, want)
			}
		}
	}
}

func TestMarks(t *testing.T) {
	var d [64]byte
	// Every byte value at every position, alone and beside every other
	// value, over a background of plain letters.
	for pos := 0; pos < 64; pos++ {
		for c := 0; c < 256; c++ {
			for i := range d {
				d[i] = 'a'
			}
			d[pos] = byte(c)
			checkMarks(t, &d)
			for c2 := 0; c2 < 256; c2 += 3 {
				d[(pos+1)%64] = byte(c2)
				checkMarks(t, &d)
			}
		}
	}
}

// FuzzMarks holds the vector marks to the byte-by-byte definition and the
// SWAR marks, on blocks of any content.
func FuzzMarks(f *testing.F) {
	f.Add([]byte(`{"a":"<b>&c\"d\\e"}` + "\x00\x1f\x20\x7f\x80\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d [64]byte
		for len(b) > 0 {
			n := copy(d[:], b)
			b = b[n:]
			checkMarks(t, &d)
		}
	})
}

// BenchmarkMarks compares the marks of a 64-byte block of JSON text, the
// vector versions (SSE2, AVX2) against the SWAR loop, plain and not.
func BenchmarkMarks(b *testing.B) {
	var d [64]byte
	copy(d[:], `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-1","namespace":"team-a"}}`)
	for _, c := range []struct {
		name string
		fn   func(*[64]byte) uint64
		avx2 byte
	}{{"Plain", marksPlain, 0}, {"PlainAVX2", marksPlain, 1}, {"PlainSWAR", marksPlainSWAR, 0},
		{"Any", marksAny, 0}, {"AnyAVX2", marksAny, 1}, {"AnySWAR", marksAnySWAR, 0}} {
		if c.avx2 == 1 && !hasAVX2 {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			defer func(old byte) { useAVX2 = old }(useAVX2)
			useAVX2 = c.avx2
			b.SetBytes(64)
			var m uint64
			for b.Loop() {
				m ^= c.fn(&d)
			}
			sinkMarks = m
		})
	}
}

var sinkMarks uint64

// TestFillMarks holds the marks the walk reads, all made before it
// starts (the blocks at once, the tail byte by byte), to the definition,
// on each vector path, for documents of every length around a block's.
func TestFillMarks(t *testing.T) {
	src := []byte(`{"a":"<b>&c\"d\\e","\u00e9":["` + "\x01\x1f\x7f\x80\xff" + `",1,true]}`)
	for _, path := range vectorPaths() {
		useAVX2 = path
		for n := 0; n <= 3*64+1; n++ {
			doc := make([]byte, n)
			for i := range doc {
				doc[i] = src[(i*7+n)%len(src)]
			}
			marks := make([]uint64, (n+63)/64)
			fillMarks(doc, marks)
			for b := range marks {
				var block [64]byte
				copy(block[:], doc[b*64:])
				want := exactMarks(&block, true)
				if rest := n - b*64; rest < 64 {
					want &= 1<<rest - 1
				}
				if marks[b] != want {
					t.Fatalf("avx2=%d n=%d block %d: marks %064b, want %064b", path, n, b, marks[b], want)
				}
			}
		}
	}
}

// TestScanPlainBlockEscapes drives strings dense with escapes through
// the block-at-once path (blockEscapes): runs of backslashes of every
// length before quotes, letters, \u escapes, control bytes and bytes that
// end plain text, at every offset in and across a block, with the string
// ending in the same block, the next, or not at all; each document is
// held to ValidatePlain by scanAll, on each vector path.
func TestScanPlainBlockEscapes(t *testing.T) {
	pieces := []string{`\"`, `\\`, `\\\"`, `\\\\`, `\n`, `\/`, `\u0041`, `\u00e9`, `\uZZZZ`, `\x`, "\\\x01", "\\\xc3\xa9",
		`a`, `<`, "\xc3\xa9", "\x1f", `\`, `"`, `\\\`}
	for _, path := range vectorPaths() {
		useAVX2 = path
		for seed := 0; seed < 4000; seed++ {
			r := uint32(seed)*2654435761 + 1
			next := func(n int) int {
				r ^= r << 13
				r ^= r >> 17
				r ^= r << 5
				return int(r % uint32(n))
			}
			var b strings.Builder
			b.WriteString(`{"k":"`)
			for b.Len() < next(60) {
				b.WriteByte('x')
			}
			for n := 4 + next(40); n > 0; n-- {
				p := pieces[next(len(pieces))]
				if (p == `"` || p == "\x1f" || p == `\x` || p == `\uZZZZ`) && next(8) != 0 {
					p = `\"` // mostly valid strings: the rare fault somewhere
				}
				b.WriteString(p)
			}
			if next(4) != 0 {
				b.WriteString(`"}`)
			}
			scanAll(t, []byte(b.String()), next(4))
		}
	}
}

// TestQuoteBackslash holds the vector quote and backslash masks to the
// byte-by-byte ones: every byte value at every position, on each path.
func TestQuoteBackslash(t *testing.T) {
	var d [64]byte
	for _, path := range vectorPaths() {
		useAVX2 = path
		for pos := 0; pos < 64; pos++ {
			for c := 0; c < 256; c++ {
				for i := range d {
					d[i] = byte('"' + i%3*('\\'-'"')) // quotes, backslashes and others around it
				}
				d[pos] = byte(c)
				q, b := quoteBackslash(&d)
				wq, wb := quoteBackslashBytes(&d)
				if q != wq || b != wb {
					t.Fatalf("avx2=%d %q: quotes %064b backslashes %064b, want %064b %064b", path, d[:], q, b, wq, wb)
				}
			}
		}
	}
}
