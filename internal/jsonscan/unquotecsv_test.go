package jsonscan

import (
	"bytes"
	"testing"
)

// FuzzUnquoteCSV checks the word-at-a-time unquoting against ReplaceAll,
// appending to a non-empty buffer.
func FuzzUnquoteCSV(f *testing.F) {
	for _, s := range []string{``, `"`, `""`, `"""`, `ab""cd""ef""gh"`, `0123456""789"""""`, `{""a"":""\""privileged\"":true""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		got := UnquoteCSV([]byte("pre"), q)
		if want := append([]byte("pre"), bytes.ReplaceAll(q, []byte(`""`), []byte(`"`))...); !bytes.Equal(got, want) {
			t.Fatalf("UnquoteCSV(%q) = %q, want %q", q, got, want)
		}
	})
}
