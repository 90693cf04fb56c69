package extended

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// The partial row codec: a map process writes one row per finding and
// one with its counters; the reduce reads them back. A row travels in one
// CSV cell, so it is text (valid UTF-8, no control characters) whatever
// the strings it carries, and it is read without a general-purpose parser:
// every field is in a fixed order and says its own length.
//
//	row      = magic " " ("R" record | "C" counters)
//	string   = len ":" bytes           bytes: valid UTF-8, no control character
//	         | len "x" 2*len hex digits any other bytes
//	int      = ["-"] digits ";"
//	list     = count "*" string...
//	record   = k r t u g ip ua v res sub ns name o c own ctr img rsn chg sp brv nrv pend risk d
//	counters = nonjson nobody notrunc unknown ukeys count "*" (key flag)...
//
// The record's fields are record's, by their short names; lists are g,
// ip, ctr, img, rsn and chg, ints are r, c, pend (0 or 1) and risk, the
// rest strings. A counters row's blind entries are sorted by key.

// appendPartialString appends s as a string field: plain when cellSafe,
// or without checking when check is false (see appendRequestRow).
func appendPartialString(b []byte, s string, check bool) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	if !check || cellSafe(s) {
		return append(append(b, ':'), s...)
	}
	return hex.AppendEncode(append(b, 'x'), []byte(s))
}

// cellSafe reports whether s can travel as it is: valid UTF-8 without
// control characters (which a CSV cell, or splunkd, may not keep). Every
// row passes here twice (written, read), so printable ASCII is taken
// sixteen bytes at a time, and the rest eight bytes, then one, at a time.
func cellSafe(s string) bool {
	i := 0
	for ; i+16 <= len(s); i += 16 {
		// A byte below 0x20 borrows in w-0x20…, 0x7f carries into the
		// high bit in w+0x01…, one above 0x7f has it set: and a borrow
		// or carry only comes out of such a byte, so a word whose
		// bytes are all printable ASCII, and only such a word, leaves
		// no high bit set.
		b := s[i : i+16]
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		v := uint64(b[8]) | uint64(b[9])<<8 | uint64(b[10])<<16 | uint64(b[11])<<24 |
			uint64(b[12])<<32 | uint64(b[13])<<40 | uint64(b[14])<<48 | uint64(b[15])<<56
		if ((w-jsonscan.Ones*0x20)|(w+jsonscan.Ones)|w|(v-jsonscan.Ones*0x20)|(v+jsonscan.Ones)|v)&jsonscan.Highs != 0 {
			break
		}
	}
	for ; i+8 <= len(s); i += 8 {
		// Constant indices into eight bytes: one load, no bounds checks.
		b := s[i : i+8]
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		if w&jsonscan.Highs != 0 {
			break // not ASCII: byte by byte from here
		}
		// Some byte below 0x20, or some byte equal to 0x7f (zero after
		// the xor): exact tests when no byte has its high bit set.
		if jsonscan.HasLess(w, 0x20)|jsonscan.HasByte(w, 0x7f) != 0 {
			return false
		}
	}
	ascii := true
	for j := i; j < len(s); j++ {
		switch c := s[j]; {
		case c < 0x20 || c == 0x7f:
			return false
		case c >= 0x80:
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s[i:])
}

func appendPartialInt(b []byte, n int) []byte {
	return append(strconv.AppendInt(b, int64(n), 10), ';')
}

func appendPartialList(b []byte, l []string, check bool) []byte {
	b = append(strconv.AppendInt(b, int64(len(l)), 10), '*')
	for _, s := range l {
		b = appendPartialString(b, s, check)
	}
	return b
}

// appendRequestRow appends the record row of q, whose key is k (nil for a
// request without one), straight from the stored request. Its strings go
// plain, and only if the whole row is not cellSafe is it written again
// with each string checked: every plain string sits between ASCII bytes
// (its length before it, the next field's after it), so a safe row holds
// only safe strings, and one check of the row costs a fraction of one
// check per string.
func appendRequestRow(b []byte, k *reqKey, q *request) []byte {
	n := len(b)
	b = appendRequestFields(b, k, q, false)
	if cellSafe(unsafe.String(unsafe.SliceData(b[n:]), len(b)-n)) {
		return b
	}
	return appendRequestFields(b[:n], k, q, true)
}

// appendRequestFields is appendRequestRow, its strings checked or not.
func appendRequestFields(b []byte, k *reqKey, q *request, check bool) []byte {
	b = append(b, partialMagic+" R"...)
	if k == nil {
		b = append(b, "0:"...)
	} else {
		b = hex.AppendEncode(append(b, "32:"...), k[:])
	}
	f, o := q.fin, q.org
	b = appendPartialInt(b, int(q.rank))
	b = strconv.AppendInt(b, int64(stampLen(q.time, q.form)), 10)
	b = appendStampField(b, q.time, q.form, check)
	b = appendPartialString(b, f.User, check)
	b = appendPartialList(b, o.groups, check)
	b = appendPartialList(b, o.ips, check)
	for _, s := range [...]string{f.UserAgent, f.Verb, f.Resource, f.Sub, f.Namespace, f.Name, f.Outcome} {
		b = appendPartialString(b, s, check)
	}
	b = appendPartialInt(b, q.code)
	b = appendPartialString(b, f.Owner, check)
	for _, l := range [...][]string{f.Containers, f.Images, f.Reasons, f.Changed} {
		b = appendPartialList(b, l, check)
	}
	b = appendPartialString(b, f.Spec, check)
	b = appendPartialString(b, q.ver.baseRV(), check)
	b = appendPartialString(b, q.ver.madeRV(), check)
	pend := 0
	if f.Pend {
		pend = 1
	}
	b = appendPartialInt(b, pend)
	b = appendPartialInt(b, f.Risk)
	return appendPartialString(b, f.Detail, check)
}

// stampLen and appendStampField write a request's time as a string field
// without building its text first; the text is safe unless kept as it
// came (form 0), which appendStampField then checks.
func stampLen(s stamp, f stampForm) int {
	if f == 0 {
		if s.text == nil {
			return 0
		}
		return len(*s.text)
	}
	var buf [40]byte
	return len(appendStamp(buf[:0], s, f))
}

func appendStampField(b []byte, s stamp, f stampForm, check bool) []byte {
	if check && f == 0 && s.text != nil && !cellSafe(*s.text) {
		return hex.AppendEncode(append(b, 'x'), []byte(*s.text))
	}
	return appendStamp(append(b, ':'), s, f)
}

// partialReader reads the fields of one row in order; the first error
// stops it and names the field and its byte offset in the row.
type partialReader struct {
	s    string
	pos  int
	err  error
	safe bool // s is cellSafe: a string of it is when it holds whole runes
}

// plainOK reports whether s[i:j], a plain string of the row, is cellSafe.
// Checking a safe row once and then only each string's ends costs a
// fraction of checking every string apart: a cut inside a rune shows as
// a continuation byte at i or j.
func (r *partialReader) plainOK(i, j int) bool {
	if !r.safe {
		return cellSafe(r.s[i:j])
	}
	return (i == j || utf8.RuneStart(r.s[i])) && (j == len(r.s) || utf8.RuneStart(r.s[j]))
}

func (r *partialReader) fail(field, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at byte %d: field %q: %s", r.pos, field, fmt.Sprintf(format, args...))
	}
}

// number reads the digits of a length, count or int up to its end mark;
// at most 18 digits, so it cannot overflow.
func (r *partialReader) number(field string, signed bool) (n int, mark byte, ok bool) {
	if r.err != nil {
		return 0, 0, false
	}
	i, neg := r.pos, false
	if signed && i < len(r.s) && r.s[i] == '-' {
		neg = true
		i++
	}
	start := i
	for end := min(len(r.s), start+18); i < end; i++ {
		d := r.s[i] - '0' // a byte below '0' wraps round above 9
		if d > 9 {
			break
		}
		n = n*10 + int(d)
	}
	switch {
	case i == start:
		r.fail(field, "want a number, found %s", r.next(i))
		return 0, 0, false
	case i == len(r.s):
		r.fail(field, "the row ends inside the field")
		return 0, 0, false
	case i-start > 1 && r.s[start] == '0':
		r.fail(field, "number with a leading zero")
		return 0, 0, false
	}
	if neg {
		n = -n
	}
	mark = r.s[i]
	r.pos = i + 1
	return n, mark, true
}

// next describes what is at byte i, for an error.
func (r *partialReader) next(i int) string {
	if i >= len(r.s) {
		return "the end of the row"
	}
	return strconv.QuoteRune(rune(r.s[i]))
}

func (r *partialReader) str(field string) string {
	start := r.pos
	n, mark, ok := r.number(field, false)
	if !ok {
		return ""
	}
	switch mark {
	case ':':
		if n > len(r.s)-r.pos {
			r.pos = start
			r.fail(field, "length %d runs past the end of the row", n)
			return ""
		}
		s := r.s[r.pos : r.pos+n]
		if !r.plainOK(r.pos, r.pos+n) {
			r.fail(field, "control character or invalid UTF-8 in a plain string")
			return ""
		}
		r.pos += n
		return s
	case 'x':
		if n > (len(r.s)-r.pos)/2 {
			r.pos = start
			r.fail(field, "length %d runs past the end of the row", n)
			return ""
		}
		b, err := hex.DecodeString(r.s[r.pos : r.pos+2*n])
		if err != nil {
			r.fail(field, "bad hex string: %v", err)
			return ""
		}
		r.pos += 2 * n
		return string(b)
	}
	r.pos = start
	r.fail(field, "length ends with %q, want ':' or 'x'", mark)
	return ""
}

func (r *partialReader) int(field string) int {
	start := r.pos
	n, mark, ok := r.number(field, true)
	if ok && mark != ';' {
		r.pos = start
		r.fail(field, "number ends with %q, want ';'", mark)
	}
	return n
}

func (r *partialReader) list(field string) []string {
	start := r.pos
	n, mark, ok := r.number(field, false)
	switch {
	case !ok:
		return nil
	case mark != '*':
		r.pos = start
		r.fail(field, "count ends with %q, want '*'", mark)
		return nil
	case n == 0:
		return nil
	case n > (len(r.s)-r.pos)/2: // each item takes at least 2 bytes
		r.pos = start
		r.fail(field, "count %d runs past the end of the row", n)
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = r.str(field)
	}
	return l
}

// record reads a record row's fields; its strings alias the row.
func (r *partialReader) record(rec *record) {
	rec.Key = r.str("k")
	rec.Rank = r.int("r")
	rec.Time = r.str("t")
	rec.User = r.str("u")
	rec.Groups = r.list("g")
	rec.IPs = r.list("ip")
	rec.UserAgent = r.str("ua")
	rec.Verb = r.str("v")
	rec.Resource = r.str("res")
	rec.Sub = r.str("sub")
	rec.Namespace = r.str("ns")
	rec.Name = r.str("name")
	rec.Outcome = r.str("o")
	rec.Code = r.int("c")
	rec.Owner = r.str("own")
	rec.Containers = r.list("ctr")
	rec.Images = r.list("img")
	rec.Reasons = r.list("rsn")
	rec.Changed = r.list("chg")
	rec.Spec = r.str("sp")
	rec.BaseRV = r.str("brv")
	rec.NewRV = r.str("nrv")
	switch start := r.pos; r.int("pend") {
	case 0:
	case 1:
		rec.Pend = true
	default:
		r.pos = start
		r.fail("pend", "want 0 or 1")
	}
	rec.Risk = r.int("risk")
	rec.Detail = r.str("d")
}

// partialVersion returns the version mark of a row that looks like one of
// this mode's, of any version, for the error that names it: the prefix
// up to the space, or a JSON row's "kpp" (versions 1 to 3 were JSON).
func partialVersion(p string) (string, bool) {
	const family = "kubeprivpod/extended/"
	if strings.HasPrefix(p, family) {
		v, _, _ := strings.Cut(p, " ")
		return v, true
	}
	if _, rest, ok := strings.Cut(p, `"kpp":"`); ok && strings.HasPrefix(p, "{") {
		if v, _, ok := strings.Cut(rest, `"`); ok && strings.HasPrefix(v, family) {
			return v, true
		}
	}
	return "", false
}
