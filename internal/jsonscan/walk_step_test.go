package jsonscan

import (
	"bytes"
	"testing"
)

// stepEqual checks csvStep against csvStepGo at every offset and mode,
// and where it answers, against the byte walk: the value's end is
// SkipValueCSV's, and the key is the one MembersCSV's byte walk reads.
func stepEqual(t *testing.T, q []byte) {
	t.Helper()
	for i := 0; i <= len(q)+1; i++ {
		for mode := range 3 {
			ks, ke, next := csvStep(q, i, mode)
			gks, gke, gnext := csvStepGo(q, i, mode)
			if next != gnext || next >= 0 && mode != 2 && (ks != gks || ke != gke) {
				t.Fatalf("cell %q at %d mode %d: csvStep %d %d %d, csvStepGo %d %d %d", q, i, mode, ks, ke, next, gks, gke, gnext)
			}
			if next < 0 {
				continue
			}
			if mode == 2 {
				if want := SkipValueCSV(q, i); next != want {
					t.Fatalf("cell %q at %d: csvStep ends the value at %d, SkipValueCSV at %d", q, i, next, want)
				}
				continue
			}
			// The byte walk, from the same state.
			w := CSVMembers{q: q, i: i, st: int8(mode)}
			k, more := w.keyBytes()
			if !more || string(k) != string(q[ks:ke]) || w.i != next {
				t.Fatalf("cell %q at %d mode %d: csvStep key %q value at %d, the byte walk %q %v at %d", q, i, mode, q[ks:ke], next, k, more, w.i)
			}
		}
	}
}

func TestCSVStep(t *testing.T) {
	for _, c := range []string{
		`{"kind":"Event","verb":"get","user":{"username":"u","groups":["a","b"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods"}}`,
		`{"a":"x\"y","b":[1,{"c":"]"}],"d":true}`,
		`{"a":"` + string(bytes.Repeat([]byte("0123456789abcdef"), 5)) + `","b":{"c":[[["` + string(bytes.Repeat([]byte("x"), 40)) + `"]]]},"e":1}`,
		`{"a":"\\","b":{"\\":1},"c": "x" ,"d":[}`,
		`{"a":"x"y"}`,
		`{"a":{"b":"c"`,
		`{"a":[{"b":"c"]}]}`,
	} {
		stepEqual(t, bytes.ReplaceAll([]byte(c), []byte(`"`), []byte(`""`)))
		stepEqual(t, []byte(c))
	}
}

// FuzzCSVStep checks csvStep against csvStepGo and the byte walk
// (stepEqual) on any bytes, quoted as splunkd quotes them and as they are.
func FuzzCSVStep(f *testing.F) {
	f.Add([]byte(`{"a":"x","b":[1,{"c":"]"}],"d":true}`))
	f.Add([]byte(`{"a":"x\"y","b":{"c":"\\"}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		stepEqual(t, bytes.ReplaceAll(doc, []byte(`"`), []byte(`""`)))
		stepEqual(t, doc)
	})
}
