package extended

import (
	"bytes"
	"cmp"
	"strings"
)

// stamp is a request's time as logged, kept in 16 bytes instead of a
// string of ~27 bytes plus its header: audit timestamps are nearly always
// RFC 3339 in UTC with a fixed number of fraction digits, which the Unix
// nanoseconds and that number give back exactly. Any other text is kept
// as it is.
type stamp struct {
	nano int64   // from parseTime; 0 when the text is empty or unknown
	text *string // the text, when form is 0 and it is not empty
}

// stampForm says how a stamp's text is written: 0 as text (nil: empty),
// 1 + d as RFC 3339 UTC with d fraction digits.
type stampForm uint8

// newStamp returns the stamp of text, whose Unix nanoseconds are nano.
func newStamp(text string, nano int64) (stamp, stampForm) {
	if text == "" {
		return stamp{}, 0
	}
	if f := canonicalForm(text, nano); f != 0 {
		return stamp{nano: nano}, f
	}
	t := strings.Clone(text)
	return stamp{nano: nano, text: &t}, 0
}

// canonicalForm returns the form that writes nano as text, or 0.
func canonicalForm(text string, nano int64) stampForm {
	if nano == 0 {
		return 0
	}
	if got, d, ok := utcStamp(text); ok {
		// utcStamp reads only text that appendStamp writes back as it is.
		if got != nano {
			return 0
		}
		return stampForm(1 + d)
	}
	n := len(text)
	if n < 20 || text[n-1] != 'Z' {
		return 0
	}
	d := 0
	if n > 20 {
		if text[19] != '.' {
			return 0
		}
		d = n - 21
		if d < 1 || d > 9 {
			return 0
		}
	}
	f := stampForm(1 + d)
	var buf [32]byte
	if string(appendStamp(buf[:0], stamp{nano: nano}, f)) != text {
		return 0
	}
	return f
}

// appendStamp appends the text of s in form f.
func appendStamp(b []byte, s stamp, f stampForm) []byte {
	if f == 0 {
		if s.text == nil {
			return b
		}
		return append(b, *s.text...)
	}
	return appendUTC(b, s.nano, int(f-1))
}

// stampText returns the text of s in form f.
func stampText(s stamp, f stampForm) string {
	if f == 0 {
		if s.text == nil {
			return ""
		}
		return *s.text
	}
	var buf [32]byte
	return string(appendStamp(buf[:0], s, f))
}

// compareStampText compares text with the text of s in form f, as
// strings.Compare does, without allocating.
func compareStampText(text string, s stamp, f stampForm) int {
	if f == 0 {
		return strings.Compare(text, stampText(s, f))
	}
	var buf [32]byte
	b := appendStamp(buf[:0], s, f)
	for i := range min(len(text), len(b)) {
		if text[i] != b[i] {
			return cmp.Compare(text[i], b[i])
		}
	}
	return cmp.Compare(len(text), len(b))
}

// compareStamps compares the texts of two stamps without allocating them.
func compareStamps(a stamp, af stampForm, b stamp, bf stampForm) int {
	if af != 0 && af == bf && a.nano == b.nano {
		return 0
	}
	var ab, bb [32]byte
	return bytes.Compare(appendStamp(ab[:0], a, af), appendStamp(bb[:0], b, bf))
}
