package modinput

import (
	"fmt"
	"io"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Level is a severity splunkd recognises at the start of a stderr line.
type Level string

// Levels splunkd understands; an unprefixed line counts as ERROR.
const (
	Debug Level = "DEBUG"
	Info  Level = "INFO"
	Warn  Level = "WARN"
	Error Level = "ERROR"
	Fatal Level = "FATAL"
)

// Logger writes "LEVEL message" lines, which splunkd files in splunkd.log
// (component ExecProcessor). It is safe for concurrent use.
type Logger struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLogger returns a Logger writing to w (normally os.Stderr).
func NewLogger(w io.Writer) *Logger { return &Logger{w: w} }

// MaxLineBytes bounds one logged message; the rest is cut and counted.
const MaxLineBytes = 4096

// Logf writes one line. Every character that could end the line, start
// another or rewrite the terminal (C0 and C1 controls including NUL, ESC,
// CR, LF, VT and FF; DEL; U+2028 and U+2029; bidirectional overrides and
// invisible marks) is written as a \x or \u escape, as are invalid UTF-8
// bytes and the backslash itself, so a message holding text from a client
// cannot forge or hide log lines. Messages longer than MaxLineBytes are cut.
func (l *Logger) Logf(level Level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	line := make([]byte, 0, len(level)+2+min(len(msg), MaxLineBytes)+32)
	line = append(line, level...)
	line = append(line, ' ')
	line = AppendEscapedLog(line, msg, MaxLineBytes)
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.Write(line)
}

// AppendEscapedLog appends s to dst as Logf writes it: escaped, and cut
// after about max bytes with a note of how many were left out.
func AppendEscapedLog(dst []byte, s string, max int) []byte {
	start := len(dst)
	for i := 0; i < len(s); {
		if len(dst)-start >= max {
			return fmt.Appendf(dst, "... (%d more bytes)", len(s)-i)
		}
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		if c < 0x80 {
			switch c {
			case '\\':
				dst = append(dst, `\\`...)
			case '\n':
				dst = append(dst, `\n`...)
			case '\r':
				dst = append(dst, `\r`...)
			case '\t':
				dst = append(dst, `\t`...)
			default:
				dst = fmt.Appendf(dst, `\x%02x`, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = fmt.Appendf(dst, `\x%02x`, c)
		case unsafeRune(r):
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// unsafeRune reports the non-ASCII runes Logf escapes: C1 controls (NEL
// among them), line and paragraph separators, bidirectional controls,
// zero-width and other format characters, and noncharacters.
func unsafeRune(r rune) bool {
	return r < 0xa0 || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || r == 0xfffe || r == 0xffff || r == utf8.RuneError
}
