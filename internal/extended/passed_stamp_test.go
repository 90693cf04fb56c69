package extended

import (
	"math"
	"testing"
	"time"
)

// stampLayouts are the RFC 3339 UTC layouts by number of fraction digits,
// without the Z: what appendUTC and utcStamp are held to.
var stampLayouts = [10]string{
	"2006-01-02T15:04:05", "2006-01-02T15:04:05.0", "2006-01-02T15:04:05.00", "2006-01-02T15:04:05.000",
	"2006-01-02T15:04:05.0000", "2006-01-02T15:04:05.00000", "2006-01-02T15:04:05.000000",
	"2006-01-02T15:04:05.0000000", "2006-01-02T15:04:05.00000000", "2006-01-02T15:04:05.000000000",
}

// parseTimeRef is parseTime by time.Parse alone.
func parseTimeRef(s string) int64 {
	if s == "" {
		return 0
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixNano()
		}
	}
	return 0
}

// checkStampText holds utcStamp, parseTime and canonicalForm to time's
// parsing and formatting for one text.
func checkStampText(t *testing.T, s string) {
	t.Helper()
	want := parseTimeRef(s)
	if got := parseTime(s); got != want {
		t.Fatalf("parseTime(%q) = %d, want %d", s, got, want)
	}
	if nano, d, ok := utcStamp(s); ok {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || tm.UnixNano() != nano || time.Unix(0, nano).UTC().Format(stampLayouts[d])+"Z" != s {
			t.Fatalf("utcStamp(%q) = %d, %d: time says %v %v", s, nano, d, tm, err)
		}
	}
	// canonicalForm by formatting every form with time.
	wantForm := stampForm(0)
	if want != 0 {
		for d, l := range stampLayouts {
			if time.Unix(0, want).UTC().Format(l)+"Z" == s {
				wantForm = stampForm(1 + d)
				break
			}
		}
	}
	if got := canonicalForm(s, want); got != wantForm {
		t.Fatalf("canonicalForm(%q, %d) = %d, want %d", s, want, got, wantForm)
	}
}

// checkAppendUTC holds appendUTC to time's AppendFormat.
func checkAppendUTC(t *testing.T, nano int64) {
	t.Helper()
	for d, l := range stampLayouts {
		got := string(appendUTC(nil, nano, d))
		if want := time.Unix(0, nano).UTC().Format(l) + "Z"; got != want {
			t.Fatalf("appendUTC(%d, %d) = %s, want %s", nano, d, got, want)
		}
	}
}

// TestUTCStamp checks the fixed-form reading and writing of timestamps
// on audit timestamps and on the texts at the edges of the form.
func TestUTCStamp(t *testing.T) {
	for _, s := range []string{
		"2024-05-01T10:00:00.123456Z", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00.000000Z", "2024-02-29T23:59:59.999999999Z",
		"2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-00T00:00:00Z",
		"2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z",
		"2024-01-01 00:00:00Z", "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00.5+01:00", "1970-01-01T00:00:00Z",
		"1677-09-21T00:12:43.145224192Z", "1678-01-01T00:00:00Z", "2261-12-31T23:59:59.999999999Z", "2262-04-11T23:47:16.854775807Z",
		"2262-04-12T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-01-01T00:00:00z", "2024-1-01T00:00:00Z",
		"+024-01-01T00:00:00Z", "2024-01-01T00:00:0aZ", "2100-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "",
		"2024-05-01 10:00:00.5", "2024-05-01T10:00:00.123",
	} {
		checkStampText(t, s)
	}
	for _, n := range []int64{0, 1, -1, 1714557600123456789, math.MaxInt64, math.MinInt64, 951782400000000000} {
		checkAppendUTC(t, n)
	}
}

// FuzzUTCStamp holds utcStamp, parseTime, canonicalForm and appendUTC to
// time's parsing and formatting.
func FuzzUTCStamp(f *testing.F) {
	f.Add("2024-05-01T10:00:00.123456Z", int64(1714557600123456789))
	f.Add("2024-02-29T23:59:59Z", int64(-1))
	f.Fuzz(func(t *testing.T, s string, nano int64) {
		checkStampText(t, s)
		checkAppendUTC(t, nano)
	})
}
