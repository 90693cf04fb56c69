package jsonscan

import (
	"bytes"
	"fmt"
	"testing"
)

// walkTrace is what a walk reads from its state on: each member's key and
// value by Next, and OK at the end.
func walkTrace(w CSVMembers) string {
	var b bytes.Buffer
	for {
		k, v, more := w.Next()
		if !more {
			fmt.Fprintf(&b, "ok=%v", w.OK())
			return b.String()
		}
		fmt.Fprintf(&b, "%q:%q,", k, v)
	}
}

// skipEqual checks that where Skip passes over m's members in q, the
// walk reads on exactly as one that crossed them by Next.
func skipEqual(t *testing.T, q []byte, ms ...Members) {
	t.Helper()
	w := MembersCSV(q)
	for _, m := range ms {
		if !w.Skip(&m) {
			return
		}
		// The members skipped, read by the walk from the same place.
		ref := MembersCSV(q)
		for ref.i < w.i {
			if _, _, more := ref.Next(); !more {
				t.Fatalf("cell %q: Skip passed over %q, which the walk does not read as members", q, m.text)
			}
		}
		if ref.i != w.i || ref.st != w.st {
			t.Fatalf("cell %q: Skip of %q leaves the walk at %d (state %d), Next at %d (state %d)", q, m.text, w.i, w.st, ref.i, ref.st)
		}
		if got, want := walkTrace(w), walkTrace(ref); got != want {
			t.Fatalf("cell %q: after Skip of %q the walk reads %s, after Next %s", q, m.text, got, want)
		}
	}
}

var skipSets = [][]Members{
	{KnownMembers(`""a"":""x""`), KnownMembers(`""b"":""y"",""c"" : {""d"":[1]}`)},
	{KnownMembers(`""kind"":""Event"",""apiVersion"":""audit.k8s.io/v1""`), KnownMembers(`""level"":""Request""`)},
}

func TestMembersSkip(t *testing.T) {
	for _, c := range []string{
		`{"a":"x","b":"y","c" : {"d":[1]},"e":"f"}`,
		`{"a":"x","b":"y","c" : {"d":[1]}}`,
		`{"a":"x","b":"y","c":{"d":[1]},"e":"f"}`,
		`{"a":"x", "b":"y","c":{"d":[1]},"e":"f"}`,
		`{"a":"x","b":"y","c":{"d":[1]}}`,
		`{"a":"x","b":"y","c":{"d":[1]}`,
		`{"a":"x","b":"y","c":{"d":[1]},`,
		`{"a":"x","b":"y","c":{"d":[1]} ,"e":1}`,
		`{"a":"xy"}`,
		`{ "a":"x","b":"y","c":{"d":[1]},"e":"f"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","verb":"get"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","verb":"get"}`,
		`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request"`,
	} {
		q := bytes.ReplaceAll([]byte(c), []byte(`"`), []byte(`""`))
		for _, ms := range skipSets {
			skipEqual(t, q, ms...)
		}
	}
	w := MembersCSV([]byte(`{""a"":""x"",""b"":""y"",""c"" : {""d"":[1]},""e"":1}`))
	if !w.Skip(&skipSets[0][0]) || !w.Skip(&skipSets[0][1]) {
		t.Fatal("Skip does not pass over the members the text starts with")
	}
	if k, more := w.Key(); !more || string(k) != "e" {
		t.Fatalf("after Skip, Key = %q, %v", k, more)
	}
	for _, bad := range []string{`""a"":""x"",`, `""a"":""x""}`, `""a"":1`, `""a"":[1] `, `""a"":""x`, `""a\b"":1`, `"a":1`, ``} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("KnownMembers(%q) does not panic", bad)
				}
			}()
			KnownMembers(bad)
		}()
	}
}

// FuzzMembersSkip checks Skip against the walk (skipEqual) on any bytes, as
// they are and quoted as splunkd quotes them.
func FuzzMembersSkip(f *testing.F) {
	f.Add([]byte(`{"a":"x","b":"y","c":{"d":[1]},"e":"f"}`))
	f.Add([]byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","verb":"get"}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, ms := range skipSets {
			skipEqual(t, bytes.ReplaceAll(doc, []byte(`"`), []byte(`""`)), ms...)
			skipEqual(t, doc, ms...)
		}
	})
}
