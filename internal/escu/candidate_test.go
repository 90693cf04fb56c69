package escu

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// sameAsValidating requires addCandidate to leave exactly the table and
// messages addCandidateValidating does, event after event.
func sameAsValidating(t testing.TB, events [][]byte) {
	t.Helper()
	fast, slow := New(), New()
	for _, e := range events {
		fast.addCandidate(e)
		slow.addCandidateValidating(e)
	}
	if got, want := fast.Result(), slow.Result(); !reflect.DeepEqual(got, want) {
		t.Fatalf("addCandidate and addCandidateValidating differ:\n%s\nvalidating:\n%s", strings.Join(rows(got), "\n"), strings.Join(rows(want), "\n"))
	}
	if got, want := fast.Messages(), slow.Messages(); !reflect.DeepEqual(got, want) {
		t.Fatalf("messages %q, validating %q", got, want)
	}
}

// brokenVariants returns e cut short at a few places, with a byte
// swapped for one that breaks JSON in strings and between them, and with
// a pod spec nested past jsonscan.MaxDepth (valid to gjson's grammar,
// refused by ScanPlain).
func brokenVariants(e []byte) [][]byte {
	var out [][]byte
	for _, n := range []int{len(e) - 1, len(e) / 2, len(e) - 40} {
		if n > 0 {
			out = append(out, bytes.Clone(e[:n]))
		}
	}
	for _, c := range []byte{'\x01', '\\', '"', '}', ',', ' '} {
		for _, at := range []int{len(e) / 3, len(e) / 2, 2 * len(e) / 3} {
			v := bytes.Clone(e)
			v[at] = c
			out = append(out, v)
		}
	}
	if i := bytes.Index(e, []byte(`"requestObject":{`)); i >= 0 {
		deep := strings.Repeat(`[`, jsonscan.MaxDepth+1) + strings.Repeat(`]`, jsonscan.MaxDepth+1)
		at := i + len(`"requestObject":{`)
		v := append(bytes.Clone(e[:at]), `"deep":`+deep+`,`...)
		out = append(out, append(v, e[at:]...))
	}
	return out
}

// TestAddCandidateSameAsValidating: the sample, the shared fixtures and
// their near misses, each as it is and broken in several ways.
func TestAddCandidateSameAsValidating(t *testing.T) {
	variants, _ := nearMiss(t, privAnnotation)
	events := append(append(sample(t), fixtureEvents(t)...), variants...)
	events = append(events, event())
	var all [][]byte
	for _, e := range events {
		all = append(all, e)
		all = append(all, brokenVariants(e)...)
	}
	sameAsValidating(t, all)
	// The deep variant did reach the fallback: ScanPlain refuses it.
	deep := brokenVariants(event())
	if _, err := jsonscan.ScanPlain(deep[len(deep)-1], nil, 0); err == nil {
		t.Fatal("the deep variant is not refused by ScanPlain")
	}
}

func FuzzAddCandidate(f *testing.F) {
	f.Add(event())
	for _, v := range brokenVariants(event()) {
		if len(v) < 5000 {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameAsValidating(t, [][]byte{event(), raw})
	})
}
