// Package auditlog reads Kubernetes audit events from files as they are
// found on disk: JSON lines as the API server's log backend writes them,
// audit.k8s.io EventList documents (one per line or pretty-printed over
// several lines), gzip-compressed or not.
//
// A Reader yields the original bytes of one event at a time, so memory
// follows the largest document, not the file. A bad document is reported
// as a *ParseError naming the file and line, and reading goes on with the
// next one, so one broken line never hides the rest of a log.
package auditlog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kubeprivpod/kubeprivpod/internal/eventlist"
	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// Errors wrapped in *ParseError. Errors from eventlist.SplitValid (a bad
// EventList item) are wrapped as they are.
var (
	ErrSyntax       = jsonscan.ErrSyntax
	ErrNotObject    = errors.New("JSON value is not an object")
	ErrTooLong      = errors.New("document longer than the reader's MaxDocumentSize")
	ErrUnterminated = errors.New("JSON document not terminated at end of input")
	ErrTooDeep      = errors.New("JSON nested deeper than 10000 levels")
)

// DefaultMaxDocumentSize bounds one document when Reader.MaxDocumentSize
// is zero: far above any real audit event or webhook batch, low enough
// that a file without newlines cannot exhaust memory.
const DefaultMaxDocumentSize = 64 << 20

// ParseError reports a document the Reader skipped. Reading may go on.
type ParseError struct {
	Name   string // the stream's name, as given to NewReader
	Line   int    // 1-based line of the error: where the document starts, or the line of a syntax error inside a multi-line one
	Column int    // 1-based byte column of the error in that line, 0 if unknown
	Err    error
}

// Error returns "name:line:column: problem", as compilers do, so editors
// can jump to it.
func (e *ParseError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Name, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err)
}

// Unwrap returns the underlying error, for errors.Is.
func (e *ParseError) Unwrap() error { return e.Err }

// Reader reads audit events from one stream. Documents are separated by
// newlines; a line holding only "{" or "[" starts a multi-line
// (pretty-printed) document that ends where its brackets balance. Blank
// lines, a leading UTF-8 byte order mark and CRLF line ends are accepted.
// A stream starting with the gzip magic bytes is decompressed.
//
// Every JSON object other than an EventList is yielded as one event, as
// Splunk would index it; deciding whether it is an audit event is the
// detection's job.
type Reader struct {
	// MaxDocumentSize is the largest document accepted, in bytes; longer
	// ones are skipped and reported with ErrTooLong. Zero means
	// DefaultMaxDocumentSize.
	MaxDocumentSize int

	name     string
	src      io.Reader
	closers  []io.Closer
	br       *bufio.Reader
	started  bool
	err      error  // sticky error that ends reading (I/O, gzip)
	encoding string // how the text was decoded: "" for UTF-8, else e.g. "UTF-16LE (byte order mark)"

	pending    []byte // a line read ahead that starts the next document (resync)
	hasPending bool

	line    int    // lines read so far
	docLine int    // line where the current document starts
	doc     []byte // holds multi-line documents
	long    []byte // holds lines that did not fit in br's buffer
	indent  int    // bytes of leading space trimmed off the current document

	items    [][]byte // events of the current EventList not yet returned
	itemsErr error    // error to return once items are drained
}

// NewReader returns a Reader of r; name is used in errors ("-" for stdin
// by convention).
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, src: r}
}

// Open returns a Reader of the named file, or of stdin when name is "-".
// Close releases the file.
func Open(name string, stdin io.Reader) (*Reader, error) {
	if name == "-" {
		return NewReader(stdin, name), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory", name)
	}
	r := NewReader(f, name)
	r.closers = append(r.closers, f)
	return r, nil
}

// Close releases the resources the Reader opened (a file given to Open, a
// gzip decompressor). It does not close a reader given to NewReader.
func (r *Reader) Close() error {
	var first error
	for i := len(r.closers) - 1; i >= 0; i-- {
		if err := r.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	r.closers = nil
	return first
}

// Name returns the stream's name.
func (r *Reader) Name() string { return r.name }

// Line returns the line where the document of the event last returned by
// Next starts.
func (r *Reader) Line() int { return r.docLine }

// Next returns the bytes of the next event, valid until the next call.
// At the end of the stream it returns io.EOF. A *ParseError means one
// document was skipped and Next may be called again; any other error
// (reading, decompressing) ends the stream and is returned again by every
// later call.
func (r *Reader) Next() ([]byte, error) {
	for {
		if len(r.items) > 0 {
			ev := r.items[0]
			r.items = r.items[1:]
			return ev, nil
		}
		if r.itemsErr != nil {
			err := r.itemsErr
			r.itemsErr = nil
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		if !r.started {
			if err := r.start(); err != nil {
				r.err = err
				return nil, err
			}
		}
		doc, err := r.readDocument()
		if err != nil {
			return nil, err
		}
		if doc == nil {
			continue // blank line
		}
		ev, err := r.event(doc)
		if ev != nil || err != nil {
			return ev, err
		}
		// An EventList: its events are in r.items (maybe none).
	}
}

// start detects compression by content, not by file name, so a rotated
// log renamed without .gz is still read.
func (r *Reader) start() error {
	r.started = true
	r.br = bufio.NewReaderSize(r.src, 256<<10)
	magic, _ := r.br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(r.br)
		if err != nil {
			return fmt.Errorf("%s: gzip: %w", r.name, err)
		}
		r.closers = append(r.closers, zr)
		r.br = bufio.NewReaderSize(zr, 256<<10)
	}
	head, _ := r.br.Peek(4)
	if name, unit, big, bom := detectEncoding(head); name != "" {
		r.br.Discard(bom)
		how := " (byte order mark)"
		if bom == 0 {
			how = " (recognised by its NUL bytes)"
		}
		r.encoding = name + how
		r.br = bufio.NewReaderSize(&utfDecoder{src: r.br, unit: unit, bigEndian: big}, 256<<10)
	}
	if bom, _ := r.br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		r.br.Discard(3)
	}
	return nil
}

// Encoding names the encoding the stream was decoded from, e.g.
// "UTF-16LE (byte order mark)", or "" for UTF-8 (the default, and what
// the API server writes). It is known once Next has been called.
func (r *Reader) Encoding() string { return r.encoding }

func (r *Reader) maxSize() int {
	if r.MaxDocumentSize > 0 {
		return r.MaxDocumentSize
	}
	return DefaultMaxDocumentSize
}

// readLine returns the next line without its line end. The slice is
// valid until the next read. tooLong reports a line longer than the
// limit, whose bytes were dropped. At end of input it returns io.EOF.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	if r.hasPending {
		r.hasPending = false
		r.line++
		return r.pending, len(r.pending) > r.maxSize(), nil
	}
	line, err = r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A long line: gather it in r.doc, up to the limit.
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			if !tooLong && len(r.long)+len(line) > r.maxSize() {
				tooLong = true
			}
			if !tooLong {
				r.long = append(r.long, line...)
			}
		}
		line = r.long
	}
	if err != nil && err != io.EOF {
		return nil, false, fmt.Errorf("%s:%d: %w", r.name, r.line+1, err)
	}
	if err == io.EOF && len(line) == 0 && !tooLong {
		return nil, false, io.EOF
	}
	r.line++
	line = bytes.TrimRight(line, "\r\n")
	if len(line) > r.maxSize() {
		tooLong = true
	}
	return line, tooLong, nil
}

// readDocument returns the next document, nil for a blank line, or an
// error. Sticky errors are recorded in r.err.
func (r *Reader) readDocument() ([]byte, error) {
	line, tooLong, err := r.readLine()
	if err != nil {
		r.err = err
		return nil, err
	}
	r.docLine = r.line
	if tooLong {
		return nil, r.parseError(0, ErrTooLong)
	}
	doc := bytes.TrimSpace(line)
	r.indent = 0
	if len(doc) > 0 {
		r.indent = bytes.Index(line, doc[:1])
	}
	if len(doc) == 0 {
		return nil, nil
	}
	if len(doc) == 1 && (doc[0] == '{' || doc[0] == '[') {
		return r.readMultiLine(doc[0])
	}
	return doc, nil
}

// readMultiLine gathers a pretty-printed document that began with a line
// holding only open, tracking brackets outside strings to find its end.
//
// A pretty-printer indents everything inside a document, so a line that
// starts with '{' or '[' at the document's own indentation or less begins
// the next document: the current one was cut short (a truncated write, an
// editor). It is reported, and reading resumes at that line, so a broken
// document costs itself only, never the complete one after it.
func (r *Reader) readMultiLine(open byte) ([]byte, error) {
	var s scanner
	s.feed([]byte{open})
	startIndent := r.indent
	r.indent = 0
	buf := append(r.doc[:0], open, '\n')
	tooLong := false
	for s.depth > 0 {
		line, long, err := r.readLine()
		if err == io.EOF {
			r.doc = buf
			return nil, r.parseError(0, fmt.Errorf("%w (lines %d-%d)", ErrUnterminated, r.docLine, r.line))
		}
		if err != nil {
			r.err = err
			return nil, err
		}
		if startsDocument(line, startIndent) {
			r.pending = append(r.pending[:0], line...)
			r.hasPending = true
			r.line--
			r.doc = buf
			return nil, r.parseError(0, fmt.Errorf("%w (lines %d-%d): the next document starts at line %d", ErrUnterminated, r.docLine, r.line, r.line+1))
		}
		s.feed(line)
		if long || len(buf)+len(line)+1 > r.maxSize() {
			tooLong = true
		}
		if !tooLong {
			buf = append(buf, line...)
			buf = append(buf, '\n')
		}
	}
	r.doc = buf
	if tooLong {
		return nil, r.parseError(0, ErrTooLong)
	}
	return bytes.TrimSpace(buf), nil
}

// startsDocument reports whether a line inside a pretty-printed document
// opens a new one: its first non-blank byte is '{' or '[', no further in
// than the document's first line.
func startsDocument(line []byte, indent int) bool {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	return i <= indent && i < len(line) && (line[i] == '{' || line[i] == '[')
}

// event turns one document into the event it is, or the first event of
// the EventList it is. The document is validated once, here; splitting
// an EventList only finds boundaries.
func (r *Reader) event(doc []byte) ([]byte, error) {
	// jsonscan.Validate is iterative and depth-bounded: gjson's recursive
	// validator dies of stack overflow on a line of a few million '['.
	err := jsonscan.Validate(doc)
	switch {
	case errors.Is(err, jsonscan.ErrTooDeep):
		return nil, r.parseError(0, ErrTooDeep)
	case err != nil:
		return nil, r.syntaxError(doc, err)
	case doc[0] == '[':
		return nil, r.array(doc)
	case doc[0] != '{':
		return nil, r.parseError(0, ErrNotObject)
	case !isEventList(doc):
		// Any other object is handed over whole, as Splunk would index
		// it; deciding whether it is an audit event is the detection's job.
		return doc, nil
	}
	r.items = r.items[:0]
	err = eventlist.SplitValid(doc, nil, func(ev []byte) error {
		r.items = append(r.items, ev)
		return nil
	})
	if err != nil {
		r.itemsErr = r.parseError(0, err)
	}
	return nil, nil
}

// array queues the events of a JSON array, as gcloud logging read
// --format=json and other exporters write them: each object element is an
// event (an EventList element is split), anything else is reported once,
// with the count, after the events. doc has been validated.
func (r *Reader) array(doc []byte) error {
	r.items = r.items[:0]
	bad, first := 0, 0
	var err error
	n := 0
	jsonscan.ElementsAt(doc, 0, func(i int) int {
		n++
		end := jsonscan.SkipLongValue(doc, i)
		if end < 0 {
			return -1 // not after validation
		}
		el := doc[i:end]
		switch {
		case el[0] != '{':
			if bad == 0 {
				first = n
			}
			bad++
		case isEventList(el):
			if e := eventlist.SplitValid(el, nil, func(ev []byte) error {
				r.items = append(r.items, ev)
				return nil
			}); e != nil && err == nil {
				err = e
			}
		default:
			r.items = append(r.items, el)
		}
		return end
	})
	switch {
	case err != nil:
		r.itemsErr = r.parseError(0, err)
	case bad > 0 && bad == n:
		r.itemsErr = r.parseError(0, ErrNotObject)
	case bad > 0:
		r.itemsErr = r.parseError(0, fmt.Errorf("%w: %d of the array's %d elements, the first at position %d", ErrNotObject, bad, n, first))
	}
	return nil
}

// isEventList reports whether the first top-level kind of the object doc
// is the string "EventList" (escapes decoded), as gjson.Get(doc, "kind")
// would read it. doc has been validated.
func isEventList(doc []byte) bool {
	is := false
	jsonscan.Fields(doc, func(k, v []byte) bool {
		if !jsonscan.KeyIs(k, "kind") {
			return true
		}
		is = jsonscan.StringIs(v, "EventList")
		return false
	})
	return is
}

// syntaxError reports where the validator found doc's fault, as a line
// and column of the file.
func (r *Reader) syntaxError(doc []byte, err error) error {
	var se *jsonscan.SyntaxError
	if !errors.As(err, &se) {
		return r.parseError(0, fmt.Errorf("%w: %v", ErrSyntax, err))
	}
	off := min(max(se.Offset, 0), len(doc))
	lines := bytes.Count(doc[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(doc[:off], '\n')
	if lines == 0 {
		col += r.indent
	}
	return &ParseError{Name: r.name, Line: r.docLine + lines, Column: col, Err: fmt.Errorf("%w: %s", ErrSyntax, se.Msg)}
}

func (r *Reader) parseError(col int, err error) error {
	return &ParseError{Name: r.name, Line: r.docLine, Column: col, Err: err}
}

// scanner tracks JSON bracket depth outside strings, across lines.
type scanner struct {
	depth    int
	inString bool
	escape   bool
}

func (s *scanner) feed(b []byte) {
	for _, c := range b {
		switch {
		case s.escape:
			s.escape = false
		case s.inString:
			switch c {
			case '\\':
				s.escape = true
			case '"':
				s.inString = false
			}
		case c == '"':
			s.inString = true
		case c == '{' || c == '[':
			s.depth++
		case c == '}' || c == ']':
			s.depth--
		}
	}
}
