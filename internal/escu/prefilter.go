package escu

import (
	"bytes"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// The pre-filter decides, without parsing JSON, that an event cannot pass
// the search. It must never drop an event the search would keep.
//
// The annotation clause needs a JSON string whose decoded text contains
// "privileged":true (ASCII case ignored). Inside a JSON string a quote is
// written \" or \u0022, and any letter or the colon may be a \u escape.
// So the event's bytes either contain privileged\":true in some letter
// case, or contain a \u escape of an ASCII letter, quote or colon.
// Everything else — nearly every event — is rejected after one pass that
// looks only at backslashes.

var (
	quoteColon = []byte(`\":`)
	privileged = []byte(`privileged`)
	trueLit    = []byte(`true`)
)

// candidate reports whether raw may pass the search. Both signs start
// with a backslash, so one IndexByte pass finds them: the event is read
// from memory once.
func candidate(raw []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 {
			return false
		}
		p := i + j
		if p+1 < len(raw) {
			switch raw[p+1] {
			case '"':
				if p >= len(privileged) && p+len(quoteColon)+len(trueLit) <= len(raw) && raw[p+2] == ':' &&
					equalFold(raw[p-len(privileged):p], privileged) &&
					equalFold(raw[p+len(quoteColon):p+len(quoteColon)+len(trueLit)], trueLit) {
					return true
				}
			case 'u':
				r, ok := jsonscan.Hex4(raw[p+2:])
				if !ok || r < 0x80 && (r == '"' || r == ':' || 'a' <= r|0x20 && r|0x20 <= 'z') {
					return true // a broken escape goes on to be rejected as invalid JSON
				}
			}
		}
		// Not skipping the escaped character keeps this a superset: in
		// \\u0070 the second backslash is looked at too, harmlessly.
		i = p + 1
	}
}

// looksLikeObject is the cheap shape test every event gets: the first and
// last non-blank bytes are braces. Full validation happens only for
// candidates.
func looksLikeObject(raw []byte) bool {
	i, j := 0, len(raw)-1
	for i <= j && jsonscan.IsBlank(raw[i]) {
		i++
	}
	for j > i && jsonscan.IsBlank(raw[j]) {
		j--
	}
	return i < j && raw[i] == '{' && raw[j] == '}'
}
