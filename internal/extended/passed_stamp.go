package extended

import "time"

// utcStamp reads text of the form 2006-01-02T15:04:05[.fraction]Z with 1
// to 9 fraction digits, every field in its range and the year between
// 1678 and 2261 (where Unix nanoseconds do not overflow): the form nearly
// every audit timestamp has. It returns the Unix nanoseconds and the
// number of fraction digits, which time.Parse with time.RFC3339Nano and
// the stamp layouts give too, without their generic layout walk; ok is
// false for any other text.
func utcStamp(text string) (nano int64, digits int, ok bool) {
	n := len(text)
	if n < 20 || n > 30 || text[n-1] != 'Z' || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
		text[13] != ':' || text[16] != ':' {
		return 0, 0, false
	}
	frac := 0
	if n > 20 {
		digits = n - 21
		if text[19] != '.' || digits < 1 || digits > 9 {
			return 0, 0, false
		}
		for i := 20; i < n-1; i++ {
			c := text[i] - '0'
			if c > 9 {
				return 0, 0, false
			}
			frac = frac*10 + int(c)
		}
		for i := digits; i < 9; i++ {
			frac *= 10
		}
	}
	year, ok1 := digitsAt(text, 0, 4)
	month, ok2 := digitsAt(text, 5, 2)
	day, ok3 := digitsAt(text, 8, 2)
	hour, ok4 := digitsAt(text, 11, 2)
	minute, ok5 := digitsAt(text, 14, 2)
	sec, ok6 := digitsAt(text, 17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || year < 1678 || year > 2261 || month < 1 || month > 12 ||
		day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, frac, time.UTC)
	return t.UnixNano(), digits, true
}

// digitsAt reads the n decimal digits at text[i:].
func digitsAt(text string, i, n int) (int, bool) {
	v := 0
	for _, c := range []byte(text[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// daysIn is the number of days of a month of the Gregorian calendar.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// appendUTC appends the Unix nanoseconds nano as RFC 3339 UTC with
// digits fraction digits (0 to 9), as time's AppendFormat does with the
// stamp layouts and a Z: a fixed-width write, where AppendFormat walks
// its layout.
func appendUTC(b []byte, nano int64, digits int) []byte {
	t := time.Unix(0, nano).UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	b = append(b, byte('0'+year/1000%10), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append2(b, int(month), '-')
	b = append2(b, day, 'T')
	b = append2(b, hour, ':')
	b = append2(b, minute, ':')
	b = append(b, byte('0'+sec/10), byte('0'+sec%10))
	if digits > 0 {
		var frac [9]byte
		ns := t.Nanosecond()
		for i := 8; i >= 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		b = append(b, '.')
		b = append(b, frac[:digits]...)
	}
	return append(b, 'Z')
}

// append2 appends v as two digits and then sep.
func append2(b []byte, v int, sep byte) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10), sep)
}
