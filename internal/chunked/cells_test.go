package chunked

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// readLazyOrNot reads every row of body, eagerly or lazily, and records what a
// caller sees: header, Field, Values, Cell decoded by hand, and the error.
func readLazyOrNot(t *testing.T, r io.Reader, lazy bool) (header []string, rows [][]string, vals [][][]string, cells [][]string, errText string) {
	t.Helper()
	rr := NewRecordReader(r)
	rr.SetLazy(lazy)
	header, err := rr.Header()
	for err == nil && rr.Next() {
		var row, cell []string
		var v [][]string
		for i := range header {
			c, quoted := rr.Cell(i)
			if quoted {
				if !lazy {
					t.Fatalf("eager reader handed out a quoted cell")
				}
				cell = append(cell, strings.ReplaceAll(string(c), `""`, `"`))
			} else {
				cell = append(cell, string(c))
			}
			row = append(row, string(rr.Field(i)))
			var x []string
			for _, b := range rr.Values(i) {
				x = append(x, string(b))
			}
			v = append(v, x)
		}
		rows, vals, cells = append(rows, row), append(vals, v), append(cells, cell)
	}
	if err == nil {
		err = rr.Err()
	}
	if err != nil {
		errText = err.Error()
	}
	return
}

// checkLazy requires the lazy reader to agree with the eager one on body,
// read whole and byte by byte, and every Cell to decode to its Field.
func checkLazy(t *testing.T, body []byte) {
	h0, r0, v0, c0, e0 := readLazyOrNot(t, bytes.NewReader(body), false)
	h1, r1, v1, c1, e1 := readLazyOrNot(t, bytes.NewReader(body), true)
	if !reflect.DeepEqual(h0, h1) || !reflect.DeepEqual(r0, r1) || !reflect.DeepEqual(v0, v1) || e0 != e1 {
		t.Fatalf("lazy differs from eager on %q:\neager %q %q %q %q\nlazy  %q %q %q %q", body, h0, r0, v0, e0, h1, r1, v1, e1)
	}
	if !reflect.DeepEqual(c0, r0) || !reflect.DeepEqual(c1, r1) {
		t.Fatalf("cells do not decode to fields on %q:\n%q\n%q\nfields %q", body, c0, c1, r0)
	}
	if len(body) < 4096 {
		h2, r2, v2, _, e2 := readLazyOrNot(t, iotest.OneByteReader(bytes.NewReader(body)), true)
		if !reflect.DeepEqual(h0, h2) || !reflect.DeepEqual(r0, r2) || !reflect.DeepEqual(v0, v2) || e0 != e2 {
			t.Fatalf("lazy byte-by-byte differs from eager on %q:\n%q %q %q\n%q %q %q", body, r0, v0, e0, r2, v2, e2)
		}
	}
}

// TestLazyCells runs the lazy reader over the CSV seeds (quoting at every
// offset of the eight-byte word, runs of quotes, CRLF, errors) and a
// realistic body, against the eager reader.
func TestLazyCells(t *testing.T) {
	for _, s := range csvSeeds {
		checkLazy(t, []byte(s))
	}
	long := strings.Repeat(`ab""cd`, 30)
	for n := range 140 {
		// a run of n quotes inside a field, at every alignment of the
		// eight-byte words and the 64-byte blocks, the field long enough
		// for the block scan
		for pad := range 70 {
			checkLazy(t, []byte("a,b\n\""+strings.Repeat("x", pad)+strings.Repeat(`"`, n)+"y"+long+"\",z\n"))
		}
	}
	checkLazy(t, benchBody(300, true))

	// A quoted cell is the body's bytes: no copy, "" kept.
	rr := NewRecordReader(strings.NewReader("a,b\n\"say \"\"hi\"\"\",2\n"))
	rr.SetLazy(true)
	if !rr.Next() {
		t.Fatal(rr.Err())
	}
	if c, q := rr.Cell(0); !q || string(c) != `say ""hi""` {
		t.Fatalf("Cell(0) = %q, %v", c, q)
	}
	if c, q := rr.Cell(1); q || string(c) != "2" {
		t.Fatalf("Cell(1) = %q, %v", c, q)
	}
	if f := rr.Field(0); string(f) != `say "hi"` {
		t.Fatalf("Field(0) = %q", f)
	}
}

// TestLazyCellsKeptByReset: Reset keeps lazy mode, as Serve reuses one
// reader for every request.
func TestLazyCellsKeptByReset(t *testing.T) {
	rr := NewRecordReader(nil)
	rr.SetLazy(true)
	rr.Reset(strings.NewReader("a\n\"x\"\"\"\n"))
	if !rr.Next() {
		t.Fatal(rr.Err())
	}
	if c, q := rr.Cell(0); !q || string(c) != `x""` {
		t.Fatalf("Cell(0) = %q, %v", c, q)
	}
}

// FuzzLazyCells checks the lazy reader against the eager one on any body.
func FuzzLazyCells(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte("a,b\n\"" + strings.Repeat(`x""y`, 40) + `"""",1` + "\n\"" + strings.Repeat(`""`, 70) + "\",2\n"))
	f.Fuzz(func(t *testing.T, body []byte) { checkLazy(t, body) })
}
