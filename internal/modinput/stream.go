package modinput

import (
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// Route says where a batch of events goes: the stanza that produced them
// (Splunk routes single-instance output by it) and the metadata they are
// indexed under. Its XML is escaped once, when it is made.
type Route struct {
	open  []byte // <event stanza="..." unbroken="1">
	close []byte // <source>..</source>...<done/></event>
}

// NewRoute returns the Route for events of stanza. Empty source,
// sourcetype, index or host are left out, so Splunk applies the stanza's
// own settings.
func NewRoute(stanza, source, sourcetype, index, host string) *Route {
	r := &Route{}
	r.open = append(r.open, `<event stanza="`...)
	r.open = appendEscaped(r.open, []byte(stanza), true)
	r.open = append(r.open, `" unbroken="1">`...)
	for _, f := range [...]struct{ tag, v string }{
		{"source", source}, {"sourcetype", sourcetype}, {"index", index}, {"host", host},
	} {
		if f.v == "" {
			continue
		}
		r.close = append(r.close, '<')
		r.close = append(r.close, f.tag...)
		r.close = append(r.close, '>')
		r.close = appendEscaped(r.close, []byte(f.v), false)
		r.close = append(r.close, "</"...)
		r.close = append(r.close, f.tag...)
		r.close = append(r.close, '>')
	}
	r.close = append(r.close, "<done/></event>\n"...)
	return r
}

// Batch is a sequence of events written to the stream as a unit.
type Batch interface {
	Len() int
	// Event returns the i-th event's time (zero: let Splunk extract it)
	// and its raw data. data is only read during the call to WriteBatch.
	Event(i int) (t time.Time, data []byte)
}

// PlainBatch is a Batch that can vouch that the data of all its events
// is plain text: bytes 0x20 to 0x7F other than '<', '>' and '&', and tab
// and LF, which stand for themselves in XML. WriteBatch copies such data
// as it is instead of escaping it byte by byte.
type PlainBatch interface {
	Batch
	Plain() bool
}

// PartsBatch is a Batch whose events may be stored in two parts: a head
// (nil or a short constant) followed by the rest. WriteBatch writes head
// and rest one after the other, so the Batch need not copy an event to
// put something in front of it.
type PartsBatch interface {
	Batch
	EventParts(i int) (t time.Time, head, rest []byte)
}

// ChunkBytes is how much of a batch's XML WriteBatch gathers before
// writing it: a large batch costs this much buffer, not its whole size.
const ChunkBytes = 256 << 10

// ErrClosed is returned by WriteBatch after Close.
var ErrClosed = errors.New("modinput: stream closed")

// Stream writes Splunk's XML event stream. WriteBatch is safe for
// concurrent use; one batch is written and flushed before another starts,
// so events of different batches never interleave.
type Stream struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte // reused for each batch, up to ChunkBytes (plus one event)
	started bool
	closed  bool
	err     error // sticky: after the first failure nothing more is written

	// What was written and acknowledged, to say after a failed write how
	// much may still have been in the pipe: total bytes and events of
	// completed batches, and the recent batches (see Unread).
	written, events int64
	recent          []span
	window          int64 // how far back recent reaches; 0: not kept

	// The decimal seconds of the last <time> written: the events of a
	// batch mostly fall in the same second.
	sec    int64
	secTxt []byte
}

// span is one write of a completed batch: where it starts and ends in the
// stream and how many events ended in it.
type span struct{ start, end, events int64 }

// NewStream returns a Stream writing to w (normally os.Stdout). Nothing is
// written until the first batch or Close.
func NewStream(w io.Writer) *Stream { return &Stream{w: w} }

// KeepWindow makes the Stream remember its batches that ended within the
// last n bytes written, so Unread can count them. n is the capacity of
// the pipe w writes to: bytes handed to it but not yet read by splunkd.
func (s *Stream) KeepWindow(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.window = n
}

// Written reports the bytes and events of the batches written so far.
func (s *Stream) Written() (bytes, events int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written, s.events
}

// Unread reports what WriteBatch reported written but the reader may
// never have read, when the reader went away: the last window bytes
// (KeepWindow) and the events that ended in them. An event cut by the
// window's start counts; within a write events are taken as equally long.
func (s *Stream) Unread() (events, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from := s.written - s.window
	for _, sp := range s.recent {
		switch {
		case sp.end <= from:
		case sp.start >= from || sp.end == sp.start:
			events += sp.events
		default: // the write the window starts in: its share, rounded up
			events += (sp.events*(sp.end-from) + sp.end - sp.start - 1) / (sp.end - sp.start)
		}
	}
	return events, min(s.window, s.written)
}

// WriteBatch writes every event of b under route r and returns once the
// bytes have been handed to the underlying writer. It returns the first
// write error, and the same error for every later call.
func (s *Stream) WriteBatch(r *Route, b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	if s.closed {
		return ErrClosed
	}
	buf := s.buf[:0]
	if !s.started {
		buf = append(buf, "<stream>\n"...)
	}
	pb, ok := b.(PlainBatch)
	plain := ok && pb.Plain()
	parts, _ := b.(PartsBatch)
	// The batch's writes, remembered once the whole batch is written.
	var chunks []span
	start, off, counted := s.written, int64(0), 0
	for i, n := 0, b.Len(); i < n; i++ {
		var t time.Time
		var head, data []byte
		if parts != nil {
			t, head, data = parts.EventParts(i)
		} else {
			t, data = b.Event(i)
		}
		buf = append(buf, r.open...)
		if !t.IsZero() {
			buf = s.appendTime(buf, t)
		}
		buf = append(buf, "<data>"...)
		if plain {
			buf = append(buf, head...)
			buf = append(buf, data...)
		} else {
			buf = appendEscaped(buf, head, false)
			buf = appendEscaped(buf, data, false)
		}
		buf = append(buf, "</data>"...)
		buf = append(buf, r.close...)
		if len(buf) >= ChunkBytes && i < n-1 {
			if err := s.write(buf); err != nil {
				return err
			}
			chunks = append(chunks, span{start + off, start + off + int64(len(buf)), int64(i + 1 - counted)})
			off += int64(len(buf))
			counted = i + 1
			buf = buf[:0]
		}
	}
	if cap(buf) <= 2*ChunkBytes {
		s.buf = buf // one huge event is not kept
	} else {
		s.buf = nil
	}
	if err := s.write(buf); err != nil {
		return err
	}
	chunks = append(chunks, span{start + off, start + off + int64(len(buf)), int64(b.Len() - counted)})
	s.written = start + off + int64(len(buf))
	s.events += int64(b.Len())
	s.started = true
	if s.window > 0 {
		s.recent = append(s.recent, chunks...)
		// Forget batches that ended before the window.
		drop := 0
		for drop < len(s.recent) && s.recent[drop].end <= s.written-s.window {
			drop++
		}
		if drop > 0 && drop >= len(s.recent)/2 {
			s.recent = append(s.recent[:0], s.recent[drop:]...)
		}
	}
	return nil
}

// Close ends the stream with </stream> (writing <stream> first if nothing
// was written). Later WriteBatch calls fail with ErrClosed.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.err != nil {
		return s.err
	}
	s.closed = true
	tail := "</stream>\n"
	if !s.started {
		tail = "<stream>\n</stream>\n"
	}
	return s.write([]byte(tail))
}

func (s *Stream) write(p []byte) error {
	if _, err := s.w.Write(p); err != nil {
		s.err = err
		return err
	}
	return nil
}

// appendTime appends <time>seconds.microseconds</time>; Splunk reads
// fractional epoch seconds. Times before 1970 are left out.
func (s *Stream) appendTime(b []byte, t time.Time) []byte {
	us := t.UnixMicro()
	if us < 0 {
		return b
	}
	b = append(b, "<time>"...)
	if sec := us / 1e6; sec != s.sec || len(s.secTxt) == 0 {
		s.sec, s.secTxt = sec, strconv.AppendInt(s.secTxt[:0], sec, 10)
	}
	b = append(b, s.secTxt...)
	frac := us % 1e6
	b = append(b, '.',
		byte('0'+frac/100000), byte('0'+frac/10000%10), byte('0'+frac/1000%10),
		byte('0'+frac/100%10), byte('0'+frac/10%10), byte('0'+frac%10))
	return append(b, "</time>"...)
}

// plain8 reports whether all eight bytes of x are printable ASCII other
// than '<', '>' and '&' (tab and LF are plain too, but rare enough to be
// left to the byte loop).
func plain8(x uint64) bool {
	return (jsonscan.HasLess(x, 0x20) | x&jsonscan.Highs |
		jsonscan.HasByte(x, '<') | jsonscan.HasByte(x, '>') | jsonscan.HasByte(x, '&')) == 0
}

// plain[c] is true for ASCII bytes that appear as themselves in XML text.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = true
	}
	t['\t'], t['\n'] = true, true
	t['<'], t['>'], t['&'] = false, false, false
	return t
}()

const replacement = "\uFFFD"

// appendEscaped appends src as XML 1.0 character data (or, with attr, as
// an attribute value). Markup characters become entities, CR becomes &#xD;
// so XML's line-end normalisation cannot turn it into LF, and anything
// XML 1.0 cannot carry at all (C0 controls, U+FFFE, U+FFFF, invalid UTF-8)
// becomes U+FFFD, as encoding/xml does.
func appendEscaped(dst, src []byte, attr bool) []byte {
	start := 0
	for i := 0; i < len(src); {
		if !attr {
			// Skip eight plain bytes at a time: audit JSON is nearly all
			// printable ASCII (the API server writes <, > and & as \u003c...).
			for i+8 <= len(src) && plain8(binary.LittleEndian.Uint64(src[i:])) {
				i += 8
			}
			if i >= len(src) {
				break
			}
		}
		c := src[i]
		if plain[c] && !(attr && (c == '"' || c == '\n' || c == '\t')) {
			i++
			continue
		}
		var esc string
		width := 1
		switch {
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '&':
			esc = "&amp;"
		case c == '"':
			esc = "&quot;"
		case c == '\r':
			esc = "&#xD;"
		case c == '\n':
			esc = "&#xA;"
		case c == '\t':
			esc = "&#x9;"
		case c < 0x80:
			esc = replacement
		default:
			r, n := utf8.DecodeRune(src[i:])
			if r != utf8.RuneError && r != 0xFFFE && r != 0xFFFF || n == 3 && r == utf8.RuneError {
				// A literal U+FFFD is valid and kept as it is.
				i += n
				continue
			}
			esc, width = replacement, n
		}
		dst = append(dst, src[start:i]...)
		dst = append(dst, esc...)
		i += width
		start = i
	}
	return append(dst, src[start:]...)
}
