package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// CSVMembers walks the members of one object in the CSV-quoted form of a
// JSON text, as FieldsPlainCSV does, but one member per Next, so that a
// caller can stop at a member, look at it, and go on later from there:
// one walk over a cell's top level serves every question asked of it, in
// the order its members come, where each FieldsPlainCSV call started
// again from the first member.
type CSVMembers struct {
	q  []byte // the walk reads q only
	i  int    // where the next key or the pending value starts, or where the last value ended
	st int8
}

// Walk states.
const (
	walkKey   int8 = iota // a key starts at i (the zero state, which MembersCSV's inlined start leaves unset)
	walkValue             // a key was read: its value starts at i
	walkAfter             // a value ended at i: a comma or the closing brace follows
	walkDone              // the object ended
	walkFail              // broken structure, a key with an escape, a lone quote
)

// stepModes is csvStep's mode for the next key from each walk state
// that has one.
var stepModes = [...]int{walkKey: 0, walkValue: 1, walkAfter: 3}

// MembersCSV starts a walk of the object at the start of q (after blanks),
// reading q only, as FieldsPlainCSV(q, …) reads it. Member values are
// sub-slices of q, so the walk of a member's object is
// MembersCSV(value).
//
// The common start, a brace and a key's quote with no blank, is small
// enough to inline: returned from a call, the walk was copied through
// memory in wider loads than the stores that wrote it, which the CPU
// cannot forward, and that copy cost as much as the walk's first step.
func MembersCSV(q []byte) CSVMembers {
	if len(q) > 1 && string(q[:2]) == `{"` {
		return CSVMembers{q: q, i: 1}
	}
	return membersCSV(q)
}

// membersCSV is MembersCSV for any start.
func membersCSV(q []byte) CSVMembers {
	w := CSVMembers{q: q, st: walkFail}
	i := skipBlank(q, 0)
	if i >= len(q) || q[i] != '{' {
		return w
	}
	i = skipBlank(q, i+1)
	w.i = i
	w.st = walkKey
	if i < len(q) && q[i] == '}' {
		w.st = walkDone
	}
	return w
}

// Next returns the next member's key (the text between its quotes) and
// raw value, as FieldsPlainCSV passes them to its callback. more is false
// at the end of the object or at broken structure, which OK tells apart.
// As in FieldsPlainCSV, what follows a member is read only when the walk
// goes on past it.
func (w *CSVMembers) Next() (key, value []byte, more bool) {
	if key, more = w.Key(); !more {
		return nil, nil, false
	}
	if value, more = w.Value(); !more {
		return nil, nil, false
	}
	return key, value, true
}

// Key is Next that stops before the member's value: Value crosses and
// returns it, Rest shows where it starts without crossing it, and the
// next Key or Next crosses it when neither did. A caller that needs
// only the start of a long value (the first members of an object) reads
// it by Rest; the walk is then checked no further than the caller reads.
func (w *CSVMembers) Key() (key []byte, more bool) {
	if w.st <= walkAfter {
		// The common shape, read in one call.
		switch ks, ke, next := csvStep(w.q, w.i, stepModes[w.st], 0, 0, 0); {
		case next >= 0:
			w.i, w.st = next, walkValue
			return w.q[ks:ke], true
		case next == stepClosed:
			w.st = walkDone
			return nil, false
		}
	}
	return w.keyBytes()
}

// keyBytes is Key read byte by byte, where csvStep gives up.
func (w *CSVMembers) keyBytes() (key []byte, more bool) {
	q := w.q
	i := w.i
	switch w.st {
	case walkValue:
		// The value the caller left: valueEnd, written out here
		// because most values the walk crosses are skipped this way.
		if q[i] == '"' && paired(q, i) {
			i = SkipStringCSV(q, i)
		} else {
			i = SkipValueCSV(q, i)
		}
		if i < 0 {
			w.st = walkFail
			return nil, false
		}
		fallthrough
	case walkAfter:
		// Most values are followed by a comma, and no blank on
		// either side of it.
		if i < len(q) && q[i] == ',' {
			i = skipBlank(q, i+1)
			break
		}
		if i = skipBlank(q, i); i >= len(q) {
			w.st = walkFail
			return nil, false
		}
		switch q[i] {
		case ',':
			i = skipBlank(q, i+1)
		case '}':
			w.st = walkDone
			return nil, false
		default:
			w.st = walkFail
			return nil, false
		}
	case walkKey:
	default:
		return nil, false
	}
	w.st = walkFail
	if !pairAt(q, i) {
		return nil, false
	}
	// A plain key ends at its first quote; a backslash is an escape.
	// Most keys of an audit event (kind, level, auditID, verb, user,
	// username, groups, resource, name) end within eight bytes, tested
	// here without a call.
	end := i + 2
	if end+8 <= len(q) {
		x := binary.LittleEndian.Uint64(q[end:])
		if m := HasByte(x, '"') | HasByte(x, '\\'); m != 0 {
			end += bits.TrailingZeros64(m) / 8
		} else {
			end = quoteOrBackslash(q, end+8)
		}
	} else {
		end = quoteOrBackslash(q, end)
	}
	if end >= len(q) || q[end] != '"' || !paired(q, end) {
		return nil, false
	}
	key = q[i+2 : end]
	i = skipBlank(q, end+2)
	if i >= len(q) || q[i] != ':' {
		return nil, false
	}
	if i = skipBlank(q, i+1); i >= len(q) {
		return nil, false
	}
	w.i, w.st = i, walkValue
	return key, true
}

// KeySet is a set of one to three keys that a walk seeks (Seek), with
// what csvStep compares them by.
type KeySet struct {
	names [3]string
	codes [3]uint64 // keyCode of each, or zeros when a name is shorter than four bytes
}

// Keys returns the set of one to three names; it panics on none or more.
func Keys(names ...string) KeySet {
	if len(names) < 1 || len(names) > 3 {
		panic("jsonscan.Keys: one to three names")
	}
	var s KeySet
	for k := range s.names {
		s.names[k] = names[min(k, len(names)-1)]
		s.codes[k] = keyCode(s.names[k])
	}
	for _, n := range s.names {
		if len(n) < 4 {
			s.codes = [3]uint64{} // a short key's code would not match csvStep's
		}
	}
	return s
}

// has reports whether key is one of the set.
func (s *KeySet) has(key []byte) bool {
	return string(key) == s.names[0] || string(key) == s.names[1] || string(key) == s.names[2]
}

// Seek is Key for the next member whose key is in s: the members before
// it are crossed as Key and the next Key would cross them, without a
// return for each (most of an audit event's members are passed over).
func (w *CSVMembers) Seek(s *KeySet) (key []byte, more bool) {
	for {
		if w.st <= walkAfter {
			ks, ke, next := csvStep(w.q, w.i, stepModes[w.st], s.codes[0], s.codes[1], s.codes[2])
			if next >= 0 {
				w.i, w.st = next, walkValue
				if key = w.q[ks:ke]; s.has(key) {
					return key, true
				}
				continue
			}
			if next == stepClosed {
				w.st = walkDone
				return nil, false
			}
		}
		if key, more = w.keyBytes(); !more || s.has(key) {
			return key, more
		}
	}
}

// Value crosses the value of the member whose key Key returned and
// returns it; ok is false when Key did not stop at a value or the value
// is broken.
func (w *CSVMembers) Value() (value []byte, ok bool) {
	if w.st != walkValue {
		return nil, false
	}
	q, vs := w.q, w.i
	_, _, i := csvStep(q, vs, 2, 0, 0, 0)
	if i < 0 {
		i = valueEnd(q, vs)
	}
	if i < 0 {
		w.st = walkFail
		return nil, false
	}
	w.i, w.st = i, walkAfter
	return q[vs:i], true
}

// ShortString is Value for a short plain string, the usual verb: when the
// value the walk stopped at is a string of at most 16 bytes with no
// quote or backslash in it, it crosses it and returns it (raw, with its
// "" pairs) and its text. Otherwise ok is false and the walk has not
// moved, for Value to read the value. Where it answers, it reads what
// Value reads, without csvStep's set-up, which costs more than such a
// string.
func (w *CSVMembers) ShortString() (raw, text []byte, ok bool) {
	if w.st != walkValue {
		return nil, nil, false
	}
	q, vs := w.q, w.i
	if len(q)-vs < 4 || q[vs] != '"' || q[vs+1] != '"' {
		return nil, nil, false
	}
	if len(q)-vs >= 2+8+2 {
		// A verb ends within eight bytes: its end is the lowest
		// quote or backslash of one word.
		x := binary.LittleEndian.Uint64(q[vs+2:])
		if m := HasByte(x, '"') | HasByte(x, '\\'); m != 0 {
			k := vs + 2 + bits.TrailingZeros64(m)/8
			if q[k] != '"' || q[k+1] != '"' {
				return nil, nil, false
			}
			w.i, w.st = k+2, walkAfter
			return q[vs : k+2], q[vs+2 : k], true
		}
	}
	in := q[vs+2 : min(len(q), vs+2+16+2)]
	for k, c := range in {
		switch c {
		case '"':
			if k+1 >= len(in) || in[k+1] != '"' {
				return nil, nil, false
			}
			end := vs + 2 + k + 2
			w.i, w.st = end, walkAfter
			return q[vs:end], in[:k], true
		case '\\':
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// valueEnd is SkipValueCSV(q, i), strings crossed without its call and
// dispatch: most values are strings.
func valueEnd(q []byte, i int) int {
	if q[i] == '"' {
		if !paired(q, i) {
			return -1
		}
		return SkipStringCSV(q, i)
	}
	return SkipValueCSV(q, i)
}

// Rest returns the walk's text from the start of the value Key stopped
// at to the end, or nil when Key did not stop at a value.
func (w *CSVMembers) Rest() []byte {
	if w.st != walkValue {
		return nil
	}
	return w.q[w.i:]
}

// After returns the walk's text from where it stands after a value (at
// the comma or brace that follows) to the end, or nil when it does not
// stand after a value.
func (w *CSVMembers) After() []byte {
	if w.st != walkAfter {
		return nil
	}
	return w.q[w.i:]
}

// OK reports whether the walk has met no broken structure: what
// FieldsPlainCSV reports when its callback stops it after the last member
// Next returned, or, once Next returned false, at the end. After Key it
// answers for the text up to the value's start.
func (w *CSVMembers) OK() bool { return w.st != walkFail }

// skipBlank is SkipSpace with a quick exit: between the members of an
// event there is seldom a blank, and every blank is at most ' '.
func skipBlank(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && IsBlank(b[i]) {
		i++
	}
	return i
}

// Members is the quoted text of one or more whole members, joined by
// commas, that a walk may pass over by comparing bytes (Skip): the
// members every audit event opens with, which would otherwise each
// cost a step.
type Members struct{ text string }

// KnownMembers returns text as Members. text is CSV-quoted (each quote
// written ""), and must read as members joined by commas under the
// walk's own reading, the last value a string, an object or an array,
// whose end does not depend on the byte after it as a number's does; it
// panics otherwise.
func KnownMembers(text string) Members {
	if text == "" || text[len(text)-1] != '"' && text[len(text)-1] != '}' && text[len(text)-1] != ']' {
		panic("jsonscan.KnownMembers: the last value is not a string, object or array: " + text)
	}
	q := []byte("{" + text + `,""z"":0}`)
	w := MembersCSV(q)
	for {
		k, more := w.Key()
		if !more {
			panic("jsonscan.KnownMembers: not whole members: " + text)
		}
		if string(k) == "z" && len(w.Rest()) == len("0}") {
			return Members{text: text}
		}
		if _, more = w.Value(); !more {
			panic("jsonscan.KnownMembers: not whole members: " + text)
		}
	}
}

// Skip passes over m when the text where the walk stands starts with
// m's, at the start of its object's first key or right after a member
// and its comma, and reports whether it did. The walk is then where Key
// and Value, called once for each of m's members, would have left it;
// those members' keys are not looked at, so a caller that seeks one of
// them must not skip it.
func (w *CSVMembers) Skip(m *Members) bool {
	i := w.i
	switch w.st {
	case walkKey:
	case walkAfter:
		if i >= len(w.q) || w.q[i] != ',' {
			return false
		}
		i++
	default:
		return false
	}
	if len(w.q)-i < len(m.text) || string(w.q[i:i+len(m.text)]) != m.text {
		return false
	}
	w.i, w.st = i+len(m.text), walkAfter
	return true
}
