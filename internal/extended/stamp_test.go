package extended

import (
	"strings"
	"testing"
)

// A stamp gives back the text it was made of, byte for byte, stored
// compactly only when the text is the canonical form of its time.
func TestStamp(t *testing.T) {
	for _, c := range []struct {
		text    string
		compact bool
	}{
		{"", false},
		{"2026-11-24T10:00:00Z", true},
		{"2026-11-24T10:00:00.5Z", true},
		{"2026-11-24T10:00:00.500Z", true},
		{"2026-11-24T10:00:00.123456Z", true},
		{"2026-11-24T10:00:00.000000Z", true},
		{"2026-11-24T10:00:00.123456789Z", true},
		{"2026-11-24T10:00:00.1234567891Z", false}, // more digits than nanoseconds hold
		{"2026-11-24T10:00:00.Z", false},
		{"2026-11-24T10:00:00.123456+01:00", false},
		{"2026-11-24 10:00:00.123456", false},
		{"2026-11-24T10:00:00.123456", false},
		{"1970-01-01T00:00:00Z", false}, // nanoseconds 0 also mean "unknown"
		{"bad time", false},
	} {
		s, f := newStamp(c.text, parseTime(c.text))
		if got := stampText(s, f); got != c.text {
			t.Errorf("%q: text back %q", c.text, got)
		}
		if compact := f != 0; compact != c.compact {
			t.Errorf("%q: compact %v, want %v", c.text, compact, c.compact)
		}
		if c.compact && s.text != nil {
			t.Errorf("%q: compact but keeps the text", c.text)
		}
		for _, o := range []string{"", "2026-11-24T10:00:00.5Z", "2026-11-24T10:00:00.49Z", "2026-11-24T10:00:00.500Z", "2026-11-24T10:00:00Z", "2026-11-24 10:00:00.5", "z"} {
			if got, want := compareStampText(o, s, f), strings.Compare(o, c.text); got != want {
				t.Errorf("compareStampText(%q, %q) = %d, want %d", o, c.text, got, want)
			}
			os, of := newStamp(o, parseTime(o))
			if got, want := compareStamps(os, of, s, f), strings.Compare(o, c.text); got != want {
				t.Errorf("compareStamps(%q, %q) = %d, want %d", o, c.text, got, want)
			}
		}
	}
}

// FuzzStamp: any text comes back from its stamp byte for byte.
func FuzzStamp(f *testing.F) {
	for _, s := range []string{"2026-11-24T10:00:00.123456Z", "2026-11-24T10:00:00Z", "2026-11-24 10:00:00.5", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, form := newStamp(text, parseTime(text))
		if got := stampText(s, form); got != text {
			t.Fatalf("%q: text back %q (form %d)", text, got, form)
		}
	})
}
