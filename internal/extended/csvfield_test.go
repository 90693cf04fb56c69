package extended

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/corpus"
)

// csvQuote is how splunkd writes _raw into a CSV cell, without the outer
// quotes: every '"' doubled.
func csvQuote(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`"`), []byte(`""`)) }

// sameAsAddEvent requires AddCSVField on the quoted events to leave the
// detector exactly as AddEvent on the events: rows, messages and the
// partial rows a map phase would flush.
func sameAsAddEvent(t *testing.T, name string, evs [][]byte) {
	t.Helper()
	slow, fast := New(), New()
	for _, e := range evs {
		slow.AddEvent(e)
		fast.AddCSVField(csvQuote(e), true)
	}
	if got, want := fast.Result(), slow.Result(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: AddCSVField gives\n%q\nAddEvent gives\n%q", name, got.Rows, want.Rows)
	}
	if got, want := fast.Messages(), slow.Messages(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: AddCSVField's messages %q, AddEvent's %q", name, got, want)
	}
}

// TestCSVFieldSameAsAddEvent runs every event corpus of this package's
// tests through both entry points: the sample log, the shared fixtures,
// the envelopes, the precision days and a generated mix with reads,
// writes and traps.
func TestCSVFieldSameAsAddEvent(t *testing.T) {
	sameAsAddEvent(t, "sample", sampleEvents(t))
	for _, f := range auditFixtures(t) {
		sameAsAddEvent(t, filepath.Base(f), fixtureEvents(t, f))
	}
	envs, err := filepath.Glob(filepath.Join("testdata", "envelopes", "*.json"))
	if err != nil || len(envs) < 10 {
		t.Fatalf("envelopes: %d files, %v", len(envs), err)
	}
	for _, f := range envs {
		sameAsAddEvent(t, f, [][]byte{envelopeFile(t, filepath.Base(f))})
	}
	for _, day := range []string{"day-request", "day-requestresponse"} {
		evs := precisionDay(t, day)
		if len(evs) < 100 {
			t.Fatalf("%s: %d events", day, len(evs))
		}
		sameAsAddEvent(t, day, evs)
	}
	g := corpus.New(7)
	var evs [][]byte
	rejected := 0
	for range 5000 {
		e := g.Append(nil)
		evs = append(evs, e)
		d := New()
		d.AddCSVField(csvQuote(e), true)
		if len(d.unquoted) < len(e) {
			rejected++ // from a prefix
		}
	}
	sameAsAddEvent(t, "generated", evs)
	// The shortcut must be taken for most events, or the comparison
	// above proves nothing about it.
	if rejected < len(evs)/2 {
		t.Fatalf("only %d of %d generated events rejected from their quoted prefix", rejected, len(evs))
	}
}

// TestCSVFieldPrefixCuts puts the verb and objectRef right around the end
// of the unquoted prefix, where a quote pair can be cut in two.
func TestCSVFieldPrefixCuts(t *testing.T) {
	for pad := 300; pad < 1100; pad++ {
		for _, verb := range []string{"get", "create"} {
			e := []byte(`{"kind":"Event","x":"` + strings.Repeat(`\"`, pad/3) + strings.Repeat("a", pad%3) +
				`","verb":"` + verb + `","objectRef":{"resource":"pods","name":"p"},"stage":"ResponseComplete",` +
				`"requestObject":{"spec":{"containers":[{"name":"c","securityContext":{"privileged":true}}]}}}`)
			sameAsAddEvent(t, "pad "+itoa(pad)+" "+verb, [][]byte{e})
		}
	}
}

// FuzzCSVField checks AddCSVField against AddEvent on any bytes, both
// quoted as splunkd quotes them and taken as a cell as they are (lone
// quotes and all).
func FuzzCSVField(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameAsAddEvent(t, "fuzzed", [][]byte{raw})
		slow, fast := New(), New()
		u, _ := unquoteCSV(nil, raw, 0, len(raw))
		slow.AddEvent(u)
		fast.AddCSVField(raw, true)
		if got, want := fast.Result(), slow.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("cell %q: AddCSVField gives\n%q\nAddEvent gives\n%q", raw, got.Rows, want.Rows)
		}
		if got, want := fast.Messages(), slow.Messages(); !reflect.DeepEqual(got, want) {
			t.Fatalf("cell %q: AddCSVField's messages %q, AddEvent's %q", raw, got, want)
		}
	})
}

// FuzzUnquoteCSV checks the word-at-a-time unquoting against a plain
// byte loop.
func FuzzUnquoteCSV(f *testing.F) {
	f.Add([]byte(`{""a"":""b""}`))
	f.Add([]byte(`"""x""""y"`))
	f.Fuzz(func(t *testing.T, q []byte) {
		var want []byte
		for i := 0; i < len(q); i++ {
			want = append(want, q[i])
			if q[i] == '"' && i+1 < len(q) && q[i+1] == '"' {
				i++
			}
		}
		if got, _ := unquoteCSV([]byte("pre"), q, 0, len(q)); string(got) != "pre"+string(want) {
			t.Fatalf("unquoteCSV(%q) = %q, want %q", q, got[3:], want)
		}
		// In steps: the same bytes.
		got, i := []byte("pre"), 0
		for limit := 0; i < len(q); limit += 5 {
			got, i = unquoteCSV(got, q, i, limit)
		}
		if string(got) != "pre"+string(want) {
			t.Fatalf("unquoteCSV(%q) in steps = %q, want %q", q, got[3:], want)
		}
	})
}
