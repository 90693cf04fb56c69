package escu

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// passesWithoutPrefilter runs the search on raw the slow way: validate,
// extract every field, evaluate. The pre-filter must never reject an event
// this accepts.
func passesWithoutPrefilter(raw []byte) bool {
	if !looksLikeObject(raw) || !gjson.ValidBytes(raw) {
		return false
	}
	d := New()
	d.x.Extract(raw, d.collect)
	return d.passes()
}

func TestPrefilterNeverDropsAMatch(t *testing.T) {
	corpus := distCorpus(t)
	var candidates, passing int
	for _, e := range corpus {
		c, p := candidate(e), passesWithoutPrefilter(e)
		if p && !c {
			t.Errorf("pre-filter drops a passing event: %.300s", e)
		}
		if c {
			candidates++
		}
		if p {
			passing++
		}
	}
	// The sample's 7 privileged-annotation events plus the trap and the
	// ones from distCorpus; everything else is rejected without parsing.
	t.Logf("%d events, %d candidates, %d passing", len(corpus), candidates, passing)
	if candidates > passing+3 || passing < 8 {
		t.Errorf("%d candidates for %d passing events", candidates, passing)
	}
}

func TestPrefilter(t *testing.T) {
	cases := []struct {
		raw  string
		want bool
	}{
		{`{"a":"{\"privileged\":true}"}`, true},
		{`{"a":"{\"PriVileged\":TRUE}"}`, true},
		{`{"privileged":true}`, false},                        // structure, not inside a string
		{`{"a":"{\\\"privileged\\\":true}"}`, false},          // escaped twice: an env var inside the manifest
		{`{"a":"{\"privileged\": true}"}`, false},             // the search needs no space
		{`{"a":"x","u":"/pods?limit=1\u0026watch=1"}`, false}, // & cannot spell the pattern
		{`{"a":"\u003cb\u003e \u2028 \u00e9"}`, false},
		{`{"a":"\u0070rivileged"}`, true}, // a letter: parse to be sure
		{`{"a":"\u0022"}`, true},
		{`{"a":"\u003A"}`, true},
		{`{"a":"\uZZZZ"}`, true}, // broken escape: goes on to validation
		{`{"a":"\u00"}`, true},
		{`{"a":"privileged\":tru"}`, false},
		{`privileged\":true`, true},
		{`\":true`, false},
		{``, false},
	}
	for _, tc := range cases {
		if got := candidate([]byte(tc.raw)); got != tc.want {
			t.Errorf("candidate(%s) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

func TestLooksLikeObject(t *testing.T) {
	for raw, want := range map[string]bool{
		`{}`: true, " {\"a\":1}\r\n": true, `{`: false, `}`: false, ``: false, `  `: false,
		`[{}]`: false, `x{}`: false, `{"a":1} x`: false, "\t{ }\t": true,
	} {
		if got := looksLikeObject([]byte(raw)); got != want {
			t.Errorf("looksLikeObject(%q) = %v", raw, got)
		}
	}
}

func FuzzPrefilter(f *testing.F) {
	for _, e := range distCorpus(f) {
		if len(e) < 6000 {
			f.Add(e)
		}
	}
	f.Add([]byte(`{"objectRef":{"resource":"p\u006fds"},"verb":"\u0063reate","requestObject":{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"\u0022privileged\u0022\u003a\u0074rue"}}}}`))
	f.Add([]byte(`{"objectRef.resource":"PODS","verb":["x"],"verb":"UPDATE","requestObject.metadata":{"annotations.kubectl.kubernetes.io/last-applied-configuration":"\n\"Privileged\":True"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if passesWithoutPrefilter(raw) && !candidate(raw) {
			t.Fatalf("pre-filter drops a passing event: %q", raw)
		}
		d := New()
		d.AddEvent(raw) // never panics
		_ = d.Result()
	})
}

func TestTrapIsACandidateButNoMatch(t *testing.T) {
	var trap []byte
	for _, e := range sample(t) {
		if strings.Contains(string(e), `"name":"policy-renderer"`) && strings.Contains(string(e), `"stage":"ResponseComplete"`) {
			trap = e
		}
	}
	if trap == nil {
		t.Fatal("sample has no policy-renderer event")
	}
	if !candidate(trap) || passesWithoutPrefilter(trap) {
		t.Errorf("trap: candidate=%v passes=%v, want true, false", candidate(trap), passesWithoutPrefilter(trap))
	}
}
