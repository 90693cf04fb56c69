package chunked

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/table"
)

// Metadata is the JSON metadata of a reply. Empty fields are left out, so
// an execute reply is just {"finished":false} or {"finished":true}.
type Metadata struct {
	// getinfo reply: "streaming", "stateful", "events" or "reporting".
	Type       string `json:"type,omitempty"`
	Generating bool   `json:"generating,omitempty"`
	// RequiredFields makes splunkd send only these columns.
	RequiredFields []string `json:"required_fields,omitempty"`
	// StreamingPreop is SPL splunkd runs before a reporting command.
	StreamingPreop string `json:"streaming_preop,omitempty"`
	RunInPreview   *bool  `json:"run_in_preview,omitempty"`
	// Finished true tells splunkd this command wants no more input.
	Finished  *bool      `json:"finished,omitempty"`
	Inspector *Inspector `json:"inspector,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// Inspector holds the messages shown in the search UI and job inspector.
type Inspector struct {
	Messages []Message `json:"messages"`
}

// Message is one inspector message: {level, text}. Levels are DEBUG, INFO,
// WARN, ERROR and FATAL.
type Message [2]string

// Info returns an INFO message.
func Info(text string) Message { return Message{"INFO", text} }

// Warn returns a WARN message.
func Warn(text string) Message { return Message{"WARN", text} }

// Error returns an ERROR message.
func Error(text string) Message { return Message{"ERROR", text} }

// Bool returns a pointer to v, for Metadata's optional flags.
func Bool(v bool) *bool { return &v }

// Writer writes reply chunks to splunkd. A chunk is assembled completely and
// handed to the underlying writer in one Write, so a failure never leaves
// half a chunk followed by another; after a failed write every later call
// fails with the same error.
type Writer struct {
	w   io.Writer
	buf []byte
	js  bytes.Buffer
	enc *json.Encoder
	err error
}

// NewWriter returns a Writer writing to w (usually stdout).
func NewWriter(w io.Writer) *Writer {
	cw := &Writer{w: w}
	cw.enc = json.NewEncoder(&cw.js)
	cw.enc.SetEscapeHTML(false) // splunkd reads JSON, not HTML
	return cw
}

// errShortWrite reports a Write that took fewer bytes without an error.
var errShortWrite = errors.New("chunked: short write")

// WriteChunk writes "chunked 1.0,<M>,<B>\n", meta as compact JSON (M bytes)
// and body (B bytes), then flushes w if it has a Flush method (such as a
// *bufio.Writer). A nil meta is written as {}.
func (cw *Writer) WriteChunk(meta *Metadata, body []byte) error {
	if cw.err != nil {
		return cw.err
	}
	cw.js.Reset()
	if meta == nil {
		meta = &Metadata{}
	}
	if err := cw.enc.Encode(meta); err != nil {
		return err
	}
	js := bytes.TrimSuffix(cw.js.Bytes(), []byte{'\n'})
	b := append(cw.buf[:0], "chunked 1.0,"...)
	b = strconv.AppendInt(b, int64(len(js)), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, '\n')
	b = append(b, js...)
	b = append(b, body...)
	cw.buf = b
	if cap(cw.buf) > 64<<20 {
		cw.buf = nil // don't keep one huge reply's buffer for the process lifetime
	}
	n, err := cw.w.Write(b)
	if err == nil && n != len(b) {
		err = errShortWrite
	}
	if err == nil {
		if f, ok := cw.w.(interface{ Flush() error }); ok {
			err = f.Flush()
		}
	}
	if err != nil {
		cw.err = err
	}
	return err
}

// AppendCSV appends t to dst in the CSV dialect splunkd reads: a header
// row, then one row per table row, CRLF row ends (as splunklib writes),
// fields quoted only when they contain a comma, a quote, CR or LF.
// Multivalue cells are written as the values joined by "\n" in the plain
// column and as $v1$;$v2$ (with '$' doubled) in a __mv_<column> column;
// such a column is added, after all plain columns, only for columns that
// hold a multivalue cell. A table without columns appends nothing.
func AppendCSV(dst []byte, t table.Table) []byte {
	if len(t.Columns) == 0 {
		return dst
	}
	mv := make([]bool, len(t.Columns))
	anyMV := false
	for _, r := range t.Rows {
		for c, cell := range r {
			if len(cell) > 1 && c < len(mv) {
				mv[c] = true
				anyMV = true
			}
		}
	}
	width := len(t.Columns)
	for _, m := range mv {
		if m {
			width++
		}
	}

	for c, name := range t.Columns {
		if c > 0 {
			dst = append(dst, ',')
		}
		dst = appendField(dst, name, width)
	}
	if anyMV {
		for c, name := range t.Columns {
			if mv[c] {
				dst = append(dst, ',')
				dst = appendField(dst, mvPrefix+name, width)
			}
		}
	}
	dst = append(dst, '\r', '\n')

	var scratch []byte
	for _, r := range t.Rows {
		for c := range t.Columns {
			if c > 0 {
				dst = append(dst, ',')
			}
			var cell []string
			if c < len(r) {
				cell = r[c]
			}
			switch len(cell) {
			case 0:
				if width == 1 {
					dst = append(dst, '"', '"') // a blank line would be skipped
				}
			case 1:
				dst = appendField(dst, cell[0], width)
			default:
				scratch = scratch[:0]
				for k, v := range cell {
					if k > 0 {
						scratch = append(scratch, '\n')
					}
					scratch = append(scratch, v...)
				}
				dst = appendQuoted(dst, scratch)
			}
		}
		if anyMV {
			for c := range t.Columns {
				if !mv[c] {
					continue
				}
				dst = append(dst, ',')
				if c < len(r) && len(r[c]) > 1 {
					scratch = appendMV(scratch[:0], r[c])
					dst = appendFieldBytes(dst, scratch)
				}
			}
		}
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// appendField appends s, quoted if needed. width is the row's column
// count: a lone empty field must be quoted or its line reads as blank.
func appendField(dst []byte, s string, width int) []byte {
	if s == "" && width == 1 {
		return append(dst, '"', '"')
	}
	if strings.ContainsAny(s, ",\"\r\n") {
		return appendQuoted(dst, s)
	}
	return append(dst, s...)
}

func appendFieldBytes(dst, s []byte) []byte {
	if bytes.ContainsAny(s, ",\"\r\n") {
		return appendQuoted(dst, s)
	}
	return append(dst, s...)
}

// appendQuoted appends s in quotes, each '"' doubled. It takes strings
// (table cells) and byte slices (header names) alike.
func appendQuoted[T ~string | ~[]byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	for {
		i := indexQuote(s)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}

// indexQuote is strings.IndexByte or bytes.IndexByte (both vectorised)
// for either kind of text.
func indexQuote[T ~string | ~[]byte](s T) int {
	switch v := any(s).(type) {
	case string:
		return strings.IndexByte(v, '"')
	case []byte:
		return bytes.IndexByte(v, '"')
	}
	return strings.IndexByte(string(s), '"')
}
