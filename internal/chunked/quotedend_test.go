package chunked

import (
	"bytes"
	"slices"
	"testing"
)

// quotedEndRef is quotedEnd byte by byte.
func quotedEndRef(b []byte, p int) (_ int, ok, lf bool) {
	for p < len(b) {
		switch {
		case b[p] != '"':
			lf = lf || b[p] == '\n'
			p++
		case p+1 == len(b):
			return p, false, lf
		case b[p+1] != '"':
			return p, true, lf
		default:
			p += 2
		}
	}
	return p, false, lf
}

func checkQuotedEnd(t *testing.T, b []byte) {
	t.Helper()
	for p := range min(len(b)+1, 3) {
		wp, wok, wlf := quotedEndRef(b, p)
		if gp, gok, glf := quotedEnd(b, p); gp != wp || gok != wok || glf != wlf {
			t.Fatalf("quotedEnd(%q, %d) = %d, %v, %v; want %d, %v, %v", b, p, gp, gok, glf, wp, wok, wlf)
		}
	}
}

// TestQuotedEnd: fields of CSV-quoted JSON of every length up to three
// blocks, closed or cut anywhere, so that the blocks, the byte loop after
// them and the undecided last quote all meet every kind of end; with a
// newline in the field at every offset, and after it.
func TestQuotedEnd(t *testing.T) {
	field := bytes.Repeat([]byte(`{""kind"":""Event"",""n"":""a\""""b"",""x"":[""""]},`), 6)
	for n := range 200 {
		cell := field[:n]
		for _, end := range []string{``, `"`, `",`, `"` + "\n", `""`, `"""`, `""",`} {
			checkQuotedEnd(t, append(slices.Clip(cell), end...))
			for at := 0; at < n; at += 7 {
				if cell[at] != '"' {
					c := append(slices.Clone(cell), end...)
					c[at] = '\n'
					checkQuotedEnd(t, c)
				}
			}
		}
	}
	checkQuotedEnd(t, bytes.Repeat([]byte{'"'}, 64))
	checkQuotedEnd(t, append(bytes.Repeat([]byte{'"'}, 129), 'x'))
}

func FuzzQuotedEnd(f *testing.F) {
	f.Add([]byte(`{""kind"":""Event""}",next`))
	f.Add(bytes.Repeat([]byte(`""`), 40))
	f.Add(append(bytes.Repeat([]byte{'"'}, 63), 'a'))
	f.Fuzz(func(t *testing.T, b []byte) { checkQuotedEnd(t, b) })
}
