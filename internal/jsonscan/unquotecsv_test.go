package jsonscan

import (
	"bytes"
	"testing"
)

// FuzzUnquoteCSV checks the word-at-a-time unquoting against ReplaceAll,
// appending to a non-empty buffer.
func FuzzUnquoteCSV(f *testing.F) {
	for _, s := range []string{``, `"`, `""`, `"""`, `ab""cd""ef""gh"`, `0123456""789"""""`, `{""a"":""\""privileged\"":true""}`,
		`{""kind"":""Pod"",""metadata"":{""name"":""p""},""spec"":{""containers"":[{""name"":""c"",""image"":""x""}]}}""""""""""""""""""""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, q []byte) {
		want := append([]byte("pre"), bytes.ReplaceAll(q, []byte(`""`), []byte(`"`))...)
		for _, vector := range vectorChoices() {
			if got := unquoteWith([]byte("pre"), q, vector); !bytes.Equal(got, want) {
				t.Fatalf("UnquoteCSV(%q), vector %v = %q, want %q", q, vector, got, want)
			}
		}
	})
}
