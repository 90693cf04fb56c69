package extended

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// FuzzEnvelopes checks the envelope parsing on any input: no panic, the
// same result with the pre-filter's shortcuts on and off, and, for an
// audit event or GKE entry, the same rows bare and in every envelope it
// can come in.
func FuzzEnvelopes(f *testing.F) {
	addSeeds(f)
	files, _ := filepath.Glob(filepath.Join("testdata", "envelopes", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"records":[{"properties":{"log":{"records":[1]}}}]}`))
	f.Add([]byte(`{"attributes":{},"data":"e30="}`))
	f.Add([]byte(`[{"verb":"create"},7,[{}]]`))
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"[{\"verb\":\"create\"}]"},{"message":7}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := run(raw)
		s := strings.TrimSpace(string(raw))
		if !gjson.Valid(s) {
			return // broken JSON: only that it does not panic (the fast scan and gjson may read it differently)
		}
		x := New()
		x.exhaustive = true
		x.AddEvent(raw)
		if a, b := resultOf(d), resultOf(x); !reflect.DeepEqual(a, b) {
			t.Fatalf("pre-filter changes the result of %q:\n%q\n%q", raw, a, b)
		}
		if !utf8.ValidString(s) || !strings.HasPrefix(s, "{") {
			return
		}
		envs := auditEnvelopes
		switch {
		case gjson.Get(s, "verb").Exists():
		case gjson.Get(s, "protoPayload").IsObject():
			envs = logEntryEnvelopes
		default:
			return
		}
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return // gjson and encoding/json disagree (duplicate keys are fine, this is not)
		}
		want := findingsOf(d.Result())
		for name, wrap := range envs {
			if name == "pretty" {
				continue // re-encoding drops duplicate keys and reorders members
			}
			if got := findingsOf(run([]byte(wrap(s))).Result()); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s of %q:\n got %q\nwant %q", name, s, got, want)
			}
		}
	})
}
