package modinput

import (
	"fmt"
	"io"
	"strings"
	"sync"
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

// Logf writes one line. Line breaks in the message are replaced by spaces
// so a message never becomes several (unprefixed, hence ERROR) lines.
func (l *Logger) Logf(level Level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	msg = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s %s\n", level, msg)
}
