package extended

import (
	"encoding/binary"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// hasBackslash is bytes.IndexByte(key, '\\') >= 0 for the short keys the
// index is shown, a call of its own for each key of an event: a word at a
// time, the last one read through key's capacity (the rest of the
// document) with the bytes past its end masked to zero.
func hasBackslash(key []byte) bool {
	for len(key) >= 8 {
		if jsonscan.HasByte(binary.LittleEndian.Uint64(key), '\\') != 0 {
			return true
		}
		key = key[8:]
	}
	if len(key) == 0 {
		return false
	}
	if cap(key) >= 8 {
		x := binary.LittleEndian.Uint64(key[:8]) & (1<<(8*len(key)) - 1)
		return jsonscan.HasByte(x, '\\') != 0
	}
	for _, c := range key {
		if c == '\\' {
			return true
		}
	}
	return false
}

// uriOf is x.str(s, kURI) split for fill: the request URI's text when it
// has no escape, or else its text still escaped and the index of its
// first backslash (a query's \u0026), which fill decodes into the key
// buffer instead of a string of its own.
func (x *topIndex) uriOf(s string) (text string, esc int) {
	if x.seen&kURI == 0 {
		return "", -1
	}
	b := x.at[bitIndex(kURI)]
	v := s[b[0]:b[1]]
	if len(v) < 2 || v[0] != '"' {
		return parseValue(v).Str, -1
	}
	in := v[1 : len(v)-1]
	return in, strings.IndexByte(in, '\\')
}

// auditKeyEscapedURI is auditKeyInto for a request URI given as its
// escaped text, whose first backslash is rawURI[k]: it is decoded into
// the key itself, and uri is that part of the key (valid as long as key).
func auditKeyEscapedURI(buf *[]byte, auditID, user, rawURI string, k int, received string) (key, uri string) {
	b := append((*buf)[:0], auditID...)
	b = append(b, 0)
	b = append(b, user...)
	b = append(b, 0)
	u := len(b)
	b = appendUnescapedValid(b, rawURI, k)
	ue := len(b)
	b = append(b, 0)
	b = append(b, received...)
	*buf = b
	key = view(b)
	return key, key[u:ue]
}
