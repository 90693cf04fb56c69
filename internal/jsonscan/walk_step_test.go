package jsonscan

import (
	"bytes"
	"strings"
	"testing"
)

// stepEqual checks csvStep against csvStepGo at every offset and mode,
// and where it answers, against the byte walk: the value's end is
// SkipValueCSV's, and the key is the one MembersCSV's byte walk reads.
func stepEqual(t *testing.T, q []byte) {
	t.Helper()
	for i := 0; i <= len(q)+1; i++ {
		for mode := range 4 {
			ks, ke, next := csvStep(q, i, mode, 0, 0, 0)
			gks, gke, gnext := csvStepGo(q, i, mode, 0, 0, 0)
			if next != gnext || next >= 0 && mode != 2 && (ks != gks || ke != gke) {
				t.Fatalf("cell %q at %d mode %d: csvStep %d %d %d, csvStepGo %d %d %d", q, i, mode, ks, ke, next, gks, gke, gnext)
			}
			if next == stepClosed {
				// The byte walk ends the object there too.
				w := CSVMembers{q: q, i: i, st: [...]int8{walkKey, walkValue, -1, walkAfter}[mode]}
				if _, more := w.keyBytes(); more || w.st != walkDone {
					t.Fatalf("cell %q at %d mode %d: csvStep ends the object, the byte walk does not (%v, state %d)", q, i, mode, more, w.st)
				}
				continue
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
			w := CSVMembers{q: q, i: i, st: [...]int8{walkKey, walkValue, -1, walkAfter}[mode]}
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
		`{"a":[\"x\"],"b":{"c":"d\\\"e\\"},"f":"\\\\\"g"}`,
		`{"a":{"b":"\"}","c":"\\"},"d":"x"}`,
	} {
		stepEqual(t, bytes.ReplaceAll([]byte(c), []byte(`"`), []byte(`""`)))
		stepEqual(t, []byte(c))
	}
	// Strings and brackets at every place of the 16-byte blocks: a
	// string of each length from 0 to 40, with a bracket, an escaped
	// quote or a backslash pair at its end.
	var doc strings.Builder
	doc.WriteString(`{"a":[`)
	for n := range 41 {
		for _, end := range []string{"", "]", "}", `\"`, `\\`, `[{`} {
			doc.WriteString(`"` + strings.Repeat("x", n) + end + `",{"b":[]},`)
		}
	}
	doc.WriteString(`""],"c":"d"}`)
	q := bytes.ReplaceAll([]byte(doc.String()), []byte(`"`), []byte(`""`))
	stepEqual(t, q)
	if _, _, next := csvStep(q, len(`{""a"":`), 2, 0, 0, 0); next != len(q)-len(`,""c"":""d""}`) {
		t.Fatalf("the array of every string length: csvStep ends it at %d of %d (SkipValueCSV %d)", next, len(q), SkipValueCSV(q, len(`{""a"":`)))
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

// seekEqual checks Seek against a Key loop that passes over the keys not
// in s: the same keys, the same Rest and the same answer from OK, with
// the value of every second member found crossed by Value.
func seekEqual(t *testing.T, q []byte, s KeySet) {
	t.Helper()
	seek, key := MembersCSV(q), MembersCSV(q)
	for j := 0; ; j++ {
		k, more := seek.Seek(&s)
		var k2 []byte
		more2 := true
		for more2 {
			if k2, more2 = key.Key(); more2 && s.has(k2) {
				break
			}
		}
		if more != more2 || string(k) != string(k2) || seek.OK() != key.OK() || !bytes.Equal(seek.Rest(), key.Rest()) {
			t.Fatalf("cell %q, keys %q, member %d: Seek %q %v (OK %v), Key %q %v (OK %v)", q, s.names, j, k, more, seek.OK(), k2, more2, key.OK())
		}
		if !more {
			return
		}
		if j%2 == 1 {
			v, ok := seek.Value()
			v2, ok2 := key.Value()
			if ok != ok2 || !bytes.Equal(v, v2) {
				t.Fatalf("cell %q, keys %q, member %d: Value %q %v after Seek, %q %v after Key", q, s.names, j, v, ok, v2, ok2)
			}
		}
	}
}

// stepKeysEqual checks csvStep against csvStepGo where they pass over
// the keys not in s.
func stepKeysEqual(t *testing.T, q []byte, s KeySet) {
	t.Helper()
	c := s.codes
	for i := 0; i <= len(q); i++ {
		for _, mode := range []int{0, 1, 3} {
			ks, ke, next := csvStep(q, i, mode, c[0], c[1], c[2])
			gks, gke, gnext := csvStepGo(q, i, mode, c[0], c[1], c[2])
			if next != gnext || next >= 0 && (ks != gks || ke != gke) {
				t.Fatalf("cell %q at %d mode %d keys %q: csvStep %d %d %d, csvStepGo %d %d %d", q, i, mode, s.names, ks, ke, next, gks, gke, gnext)
			}
		}
	}
}

// seekSets are the key sets the seek tests try: the pre-filter's, a set
// with a key shorter than csvStep's code, and keys sharing a code.
var seekSets = []KeySet{
	Keys("verb", "objectRef", "requestObject"),
	Keys("resource", "subresource", "apiGroup"),
	Keys("requestObject"),
	Keys("b", "verb"),
	Keys("verbs", "verb0", "verb"),
}

func TestSeek(t *testing.T) {
	for _, c := range []string{
		`{"kind":"Event","verb":"get","user":{"username":"u","groups":["a","b"]},"sourceIPs":["10.0.0.1"],"objectRef":{"resource":"pods"},"verb":"x","requestObject":{}}`,
		`{"verbs":1,"verb0":"x","verb":"y","b":[],"verb":"z"}`,
		`{"a":"x\"y","verb":[1,{"c":"]"}],"d":true, "verb":2}`,
		`{"a":"x","verb"`,
		`{"a":"x","ver\b":1,"verb":2}`,
		`{}`,
	} {
		for _, s := range seekSets {
			for _, q := range [][]byte{bytes.ReplaceAll([]byte(c), []byte(`"`), []byte(`""`)), []byte(c)} {
				seekEqual(t, q, s)
				stepKeysEqual(t, q, s)
			}
		}
	}
}

// FuzzSeek checks Seek against the Key loop (seekEqual) and csvStep's
// passing over keys against csvStepGo's, for the fixed key sets and for
// the keys named by the fuzzed text's ',' separated words.
func FuzzSeek(f *testing.F) {
	f.Add([]byte(`{"verb":"get","objectRef":{"resource":"pods"}}`), "verb,objectRef")
	f.Add([]byte(`{"abcd":1,"abce":2,"abcd":[3]}`), "abce,abc,x")
	f.Fuzz(func(t *testing.T, doc []byte, names string) {
		sets := seekSets
		if words := strings.Split(names, ","); len(words) <= 3 {
			sets = append(sets[:len(sets):len(sets)], Keys(words...))
		}
		for _, s := range sets {
			for _, q := range [][]byte{bytes.ReplaceAll(doc, []byte(`"`), []byte(`""`)), doc} {
				seekEqual(t, q, s)
				stepKeysEqual(t, q, s)
			}
		}
	})
}
