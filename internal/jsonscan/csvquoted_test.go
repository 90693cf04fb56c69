package jsonscan

import (
	"bytes"
	"testing"
)

// unquoteCSV turns each "" of q into one quote, keeping lone quotes.
func unquoteCSV(q []byte) []byte {
	var out []byte
	for i := 0; i < len(q); i++ {
		out = append(out, q[i])
		if q[i] == '"' && i+1 < len(q) && q[i+1] == '"' {
			i++
		}
	}
	return out
}

type member struct{ key, value string }

// walkCSV and walkPlain list the members FieldsPlainCSV and FieldsPlain
// show, values unquoted, stopping after stop members.
func walkCSV(q []byte, stop int) ([]member, bool) {
	var ms []member
	ok := FieldsPlainCSV(q, func(k, v []byte) bool {
		ms = append(ms, member{string(unquoteCSV(k)), string(unquoteCSV(v))})
		return len(ms) < stop
	})
	return ms, ok
}

func walkPlain(b []byte, stop int) ([]member, bool) {
	var ms []member
	ok := FieldsPlain(b, func(k, v []byte) bool {
		ms = append(ms, member{string(k), string(v)})
		return len(ms) < stop
	})
	return ms, ok
}

func TestFieldsPlainCSV(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want []member
		ok   bool
	}{
		{`{}`, nil, true},
		{` {""a"":""x\""y"",""b"":[1,{""c"":""]""}],""d"":true} `, []member{{"a", `"x\"y"`}, {"b", `[1,{"c":"]"}]`}, {"d", "true"}}, true},
		{`{""a"":""x\\"",""b"":null}`, []member{{"a", `"x\\"`}, {"b", "null"}}, true},
		{`{""a"":""x"y""}`, nil, false},                 // a lone quote
		{`{""a\u0062"":1}`, nil, false},                 // an escaped key
		{`{""a"":""x""`, []member{{"a", `"x"`}}, false}, // not closed
	} {
		got, ok := walkCSV([]byte(c.doc), 100)
		if ok != c.ok || len(got) != len(c.want) || len(got) > 0 && !equalMembers(got, c.want) {
			t.Errorf("%s: %q %v, want %q %v", c.doc, got, ok, c.want, c.ok)
		}
	}
}

func equalMembers(a, b []member) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// FuzzFieldsPlainCSV checks the walk over quoted bytes against
// FieldsPlain on the unquoted text: wherever it reports a walk (to the
// end or to where fn stopped), FieldsPlain shows the same members and
// also succeeds; and on a well-quoted cell it succeeds whenever
// FieldsPlain does.
func FuzzFieldsPlainCSV(f *testing.F) {
	f.Add([]byte(`{"a":"x\"y","b":[1,{"c":"]"}],"d":true}`), uint8(2))
	f.Add([]byte(`{"verb":"get","objectRef":{"resource":"pods"}}`), uint8(1))
	f.Add([]byte(`{"a":"\\","b":"\""}`), uint8(9))
	f.Fuzz(func(t *testing.T, doc []byte, stop uint8) {
		n := int(stop%8) + 1
		quoted := bytes.ReplaceAll(doc, []byte(`"`), []byte(`""`))
		for _, q := range [][]byte{quoted, doc} {
			got, ok := walkCSV(q, n)
			want, wantOK := walkPlain(unquoteCSV(q), n)
			if ok && (!wantOK || !equalMembers(got, want)) {
				t.Fatalf("cell %q: FieldsPlainCSV %q %v, FieldsPlain %q %v", q, got, ok, want, wantOK)
			}
			if !ok && wantOK && bytes.Equal(q, quoted) {
				t.Fatalf("cell %q: FieldsPlainCSV fails where FieldsPlain reads %q", q, want)
			}
		}
	})
}
