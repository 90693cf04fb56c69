package jsonscan

import (
	"unicode/utf16"
	"unicode/utf8"
)

// SimpleEscape returns the byte a one-letter JSON escape \c stands for
// (\" \\ \/ \b \f \n \r \t), or 0 when c makes no such escape ('u'
// included: \u takes four hex digits).
func SimpleEscape(c byte) byte { return simpleEscapes[c] }

// simpleEscapes is SimpleEscape as a table: one load where a switch takes
// several comparisons (the validating walks read it for every escape).
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// AppendUnescaped appends the text of a JSON string body (the part between
// the quotes) to dst and returns the extended slice. It follows JSON's
// escapes, turns a lone surrogate or a malformed escape into U+FFFD and
// invalid UTF-8 into U+FFFD per bad byte, as encoding/json does. It never
// fails, so a value read from a slightly broken event is still a string.
func AppendUnescaped(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				dst = utf8.AppendRune(dst, utf8.RuneError)
				i++
				continue
			}
			switch e := s[i+1]; e {
			case 'u':
				r, ok := Hex4(s[i+2:])
				if !ok {
					dst = utf8.AppendRune(dst, utf8.RuneError)
					i += 2
					continue
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r < 0xDC00 && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if r2, ok := Hex4(s[i+2:]); ok {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								dst = utf8.AppendRune(dst, dec)
								i += 6
								continue
							}
						}
					}
					r = utf8.RuneError
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default:
				if v := simpleEscapes[e]; v != 0 {
					dst = append(dst, v)
				} else {
					dst = utf8.AppendRune(dst, utf8.RuneError)
				}
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
		}
	}
	return dst
}

// Hex4 decodes the four hex digits of a JSON \u escape at the start of b.
// The pre-filters use it to see through escapes in raw event text.
func Hex4[T ~string | ~[]byte](b T) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := b[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
