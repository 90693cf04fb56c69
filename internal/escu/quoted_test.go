package escu

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// csvQuote is what splunkd writes for a _raw field: every '"' doubled (the
// surrounding quotes are not part of the cell).
func csvQuote(raw []byte) []byte { return bytes.ReplaceAll(raw, []byte(`"`), []byte(`""`)) }

// sameAsAddEvent requires AddCSVField on the quoted events to give exactly
// AddEvent's table and messages on the events, one detector each.
func sameAsAddEvent(t testing.TB, name string, events [][]byte) {
	t.Helper()
	slow, fast := New(), New()
	for _, e := range events {
		slow.AddEvent(e)
		fast.AddCSVField(csvQuote(e), true)
	}
	if got, want := fast.Result(), slow.Result(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: AddCSVField and AddEvent differ:\n%s\nAddEvent:\n%s", name, strings.Join(rows(got), "\n"), strings.Join(rows(want), "\n"))
	}
	if got, want := fast.Messages(), slow.Messages(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: messages %q, AddEvent %q", name, got, want)
	}
}

// TestCSVFieldSameAsAddEvent runs every corpus the reference test runs —
// the sample, the distributed corpus, the shared fixtures and their near
// misses, 5,000 generated events — through both entry points.
func TestCSVFieldSameAsAddEvent(t *testing.T) {
	sameAsAddEvent(t, "sample", sample(t))
	sameAsAddEvent(t, "distributed corpus", distCorpus(t))
	variants, _ := nearMiss(t, privAnnotation)
	sameAsAddEvent(t, "fixtures and near misses", append(fixtureEvents(t), variants...))
	g := corpus.New(42)
	events := make([][]byte, 5000)
	for i := range events {
		events[i] = g.Append(nil)
	}
	sameAsAddEvent(t, "generated corpus", events)

	// Not quoted: the value itself.
	d := New()
	d.AddCSVField(event(), false)
	if len(d.Result().Rows) != 1 {
		t.Fatalf("unquoted field: %q", rows(d.Result()))
	}
}

func TestCandidateQuoted(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want bool
	}{
		{`{"a":"{\"privileged\":true}"}`, true},
		{`{"a":"{\"PRIVILEGED\":True}"}`, true},
		{`{"privileged":true}`, false},
		{`{"a":"{\\\"privileged\\\":true}"}`, false},
		{`{"a":"{\"privileged\": true}"}`, false},
		{`{"a":"x","u":"/pods?limit=1\u0026watch=1"}`, false},
		{`{"a":"\u0070rivileged"}`, true},
		{`{"a":"\u0022"}`, true},
		{`{"a":"\uZZZZ"}`, true},
		{`{"a":"x\"}`, false},
		{`{"a":"privileged\"`, false},
	} {
		// The sign at every offset of the 64-byte blocks.
		for pad := range 140 {
			raw := `{"p":"` + strings.Repeat("x", pad) + `",` + c.raw[1:]
			if got := candidateQuoted(csvQuote([]byte(raw))); got != c.want || got != candidate([]byte(raw)) {
				t.Fatalf("candidateQuoted(%s) = %v, want %v", raw, got, c.want)
			}
		}
	}
}

// FuzzCSVField checks AddCSVField against AddEvent on any event, next to
// an ordinary passing one (so fillnull has something to fill from), both
// as splunkd quotes it and as arbitrary bytes handed in as a cell.
func FuzzCSVField(f *testing.F) {
	for _, e := range distCorpus(f) {
		if len(e) < 5000 {
			f.Add(e)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameAsAddEvent(t, "fuzzed", [][]byte{event(), raw})
		// raw taken as a cell, lone quotes and all: the same as AddEvent
		// on its unquoting.
		slow, fast := New(), New()
		slow.AddEvent(event())
		fast.AddEvent(event())
		slow.AddEvent(jsonscan.UnquoteCSV(nil, raw))
		fast.AddCSVField(raw, true)
		if got, want := fast.Result(), slow.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("cell %q: AddCSVField and AddEvent differ:\n%s\nAddEvent:\n%s", raw, strings.Join(rows(got), "\n"), strings.Join(rows(want), "\n"))
		}
		if got, want := fast.Messages(), slow.Messages(); !reflect.DeepEqual(got, want) {
			t.Fatalf("cell %q: messages %q, AddEvent %q", raw, got, want)
		}
	})
}
