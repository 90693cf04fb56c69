package chunked

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
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
// handed to the underlying writer in one Write (except the body of a
// Response.Rows reply, streamed behind its header), so a failure never
// leaves half a chunk followed by another; after a failed write every
// later call fails with the same error.
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
	head, err := cw.head(meta, len(body))
	if err != nil {
		return err
	}
	b := append(head, body...)
	cw.buf = b
	if cap(cw.buf) > 64<<20 {
		cw.buf = nil // don't keep one huge reply's buffer for the process lifetime
	}
	return cw.write(b)
}

// writeReply writes a chunk whose body is what rw wrote, as WriteChunk
// would. The framing goes into the room rw keeps in front of the body, so
// the body is not copied unless the metadata is too long for that room.
func (cw *Writer) writeReply(meta *Metadata, rw *RecordWriter) error {
	if cw.err != nil {
		return cw.err
	}
	body := rw.body()
	head, err := cw.head(meta, len(body))
	if err != nil {
		return err
	}
	if len(head) > rw.base {
		return cw.WriteChunk(meta, body)
	}
	start := rw.base - len(head)
	copy(rw.buf[start:], head)
	return cw.write(rw.buf[start:])
}

// countRows runs rows on a RecordWriter that only counts, and returns the
// bytes and rows it wrote.
func countRows(rows func(*RecordWriter) error) (n int64, nrows int, err error) {
	var c countWriter
	rw := NewRecordWriter(&c)
	if err := rows(rw); err != nil {
		return 0, 0, err
	}
	if err := rw.Flush(); err != nil {
		return 0, 0, err
	}
	return c.n, rw.Rows(), nil
}

// countWriter counts the bytes written to it, optionally passing them on
// to w.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.w == nil {
		c.n += int64(len(p))
		return len(p), nil
	}
	k, err := c.w.Write(p)
	c.n += int64(k)
	return k, err
}

// errRowsChanged means Response.Rows wrote a different body the second
// time it was called.
var errRowsChanged = errors.New("chunked: Response.Rows wrote a different body on its second call")

// writeRows writes a chunk whose n-byte body rows writes, streaming it to
// w behind the header instead of assembling the chunk first. A failure
// after the header leaves a broken chunk, so it sticks like a failed write.
func (cw *Writer) writeRows(meta *Metadata, n int64, rows func(*RecordWriter) error) error {
	if cw.err != nil {
		return cw.err
	}
	head, err := cw.head(meta, int(n))
	if err != nil {
		return err
	}
	c := &countWriter{w: cw.w}
	if _, err = c.Write(head); err == nil {
		rw := NewRecordWriter(c)
		if err = rows(rw); err == nil {
			err = rw.Flush()
		}
	}
	if err == nil && c.n != int64(len(head))+n {
		err = errRowsChanged
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

// head returns the chunk header and meta's JSON for a body of n bytes, in
// cw.buf.
func (cw *Writer) head(meta *Metadata, n int) ([]byte, error) {
	cw.js.Reset()
	if meta == nil {
		meta = &Metadata{}
	}
	if err := cw.enc.Encode(meta); err != nil {
		return nil, err
	}
	js := bytes.TrimSuffix(cw.js.Bytes(), []byte{'\n'})
	b := append(cw.buf[:0], "chunked 1.0,"...)
	b = strconv.AppendInt(b, int64(len(js)), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '\n')
	b = append(b, js...)
	cw.buf = b
	return b, nil
}

// write hands a whole chunk to w in one Write and flushes it; an error
// sticks.
func (cw *Writer) write(b []byte) error {
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
