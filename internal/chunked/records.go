package chunked

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
)

// Errors wrapped by *ParseError. The texts match encoding/csv's.
var (
	ErrBareQuote  = errors.New("bare \" in non-quoted field")
	ErrQuote      = errors.New("extraneous or missing \" in quoted field")
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrRecordSize means a record (a row, as CSV bytes) exceeds
	// RecordReader.MaxRecord, typically a quote that is never closed.
	ErrRecordSize = errors.New("record too large")
)

// ParseError locates a CSV error in a request body.
type ParseError struct {
	Row    int // 1-based data row, 0 for the header row
	Line   int // 1-based line in the body (the header is line 1)
	Column int // 1-based byte index in that line
	Err    error
}

// Error says which row, line and column, and what went wrong.
func (e *ParseError) Error() string {
	if e.Row == 0 {
		return fmt.Sprintf("body header line %d column %d: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("body row %d line %d column %d: %v", e.Row, e.Line, e.Column, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// mvPrefix marks the column holding a field's multivalue encoding.
const mvPrefix = "__mv_"

// DefaultMaxRecord is RecordReader.MaxRecord's default.
const DefaultMaxRecord = 32 << 20

// Buffer sizes: small bodies (a header, a few rows) stay in a small
// buffer; bodies that outgrow it double it up to readBuffer, so large
// bodies are read in big pieces: a read takes up to three quarters of it,
// as much as the search command's 1 MiB stdin pipe holds, and so fewer
// reads and fewer wake-ups of splunkd. Only a record larger than that
// grows it further.
const (
	initialBuffer = 16 << 10
	readBuffer    = 1 << 20
)

// RecordReader reads the CSV body of an execute request as splunkd writes
// it: a header row, then rows of the same width; comma-separated, '"'
// quoting with "" for a quote, quoted fields may hold newlines, rows end in
// LF or CRLF. Blank lines are skipped (as encoding/csv does), so an empty
// body and a header-only body both have zero rows. Bytes are passed through
// untouched: invalid UTF-8 is not an error.
//
// Memory follows the largest record: the reader keeps one buffer, grown to
// hold the longest row, and decodes quoted fields in place in it.
type RecordReader struct {
	// MaxRecord caps the CSV bytes of one row, so that a quote never
	// closed in a 100 MB body fails instead of buffering the body. The
	// default, DefaultMaxRecord, is far above any Kubernetes audit event
	// (the API server rejects objects over ~1.5 MB).
	MaxRecord int

	src     io.Reader
	srcErr  error // first error from src (io.EOF at the end)
	buf     []byte
	pos     int // start of unparsed data (and of the record being parsed)
	end     int // end of buffered data
	line    int // body line where the next record starts
	recLine int // body line where the current record starts

	started  bool     // the header was attempted
	done     bool     // no more rows: end of body or error
	header   []string // plain column names
	plainCol []int    // header index → raw column
	mvCol    []int    // header index → raw column of its __mv_ twin, or -1
	ncol     int      // raw columns, __mv_ included

	rec    []byte // the current record's input bytes (unquoted fields)
	out    []byte // the current record's decoded quoted fields
	fields []int  // start, end pairs, one per raw column: into rec, or into out when start < 0 (-1-start)
	row    int
	err    error

	vals  [][]byte // Values' result, reused
	mvBuf []byte   // Values' decoded bytes, reused

	lazy bool // quoted fields are decoded on demand (cells.go)
}

// NewRecordReader returns a RecordReader for body. Nothing is read until
// the first call to Header, Index or Next.
func NewRecordReader(body io.Reader) *RecordReader {
	return &RecordReader{src: body, line: 1, MaxRecord: DefaultMaxRecord}
}

// Reset makes rr read a new body, as NewRecordReader(body) would, keeping
// its buffers so a conversation of many requests does not allocate them
// again. Slices returned for the previous body become invalid.
func (rr *RecordReader) Reset(body io.Reader) {
	*rr = RecordReader{
		MaxRecord: rr.MaxRecord,
		src:       body,
		line:      1,
		buf:       rr.buf,
		out:       rr.out[:0],
		fields:    rr.fields[:0],
		vals:      rr.vals[:0],
		mvBuf:     rr.mvBuf[:0],
		lazy:      rr.lazy,
		// the header slices are handed out by Header, so they are not reused
	}
}

// Header returns the plain column names, in body order, without the __mv_
// columns. An empty body has no header and gives nil, nil.
func (rr *RecordReader) Header() ([]string, error) {
	rr.start()
	return rr.header, rr.err
}

// Index returns the position of the named column in Header order, or -1.
func (rr *RecordReader) Index(name string) int {
	rr.start()
	for i, h := range rr.header {
		if h == name {
			return i
		}
	}
	return -1
}

// Next advances to the next row. It returns false at the end of the body
// or on an error, which Err then returns.
func (rr *RecordReader) Next() bool {
	rr.start()
	if rr.done {
		return false
	}
	err := rr.readRecord()
	if err != nil {
		if err != io.EOF {
			rr.err = rr.wrap(err, rr.row+1)
		}
		rr.done = true
		rr.rec, rr.fields = nil, rr.fields[:0]
		return false
	}
	rr.row++
	if n := len(rr.fields) / 2; n != rr.ncol {
		rr.done = true
		rr.err = &ParseError{Row: rr.row, Line: rr.recLine, Column: 1,
			Err: fmt.Errorf("%w: row has %d, header has %d", ErrFieldCount, n, rr.ncol)}
		rr.rec, rr.fields = nil, rr.fields[:0]
		return false
	}
	return true
}

// Err returns the error that stopped Next: a *ParseError for bad CSV, or
// the body's own read error (such as a *ChunkError wrapping ErrTruncated).
// It is nil at a clean end.
func (rr *RecordReader) Err() error { return rr.err }

// Row returns the 1-based number of the current data row.
func (rr *RecordReader) Row() int { return rr.row }

// Field returns the value of column i (Header order) in the current row,
// its CSV quoting removed. The bytes are only valid until the next call to
// Next and must not be modified. Out-of-range i gives nil.
func (rr *RecordReader) Field(i int) []byte {
	if i < 0 || i >= len(rr.plainCol) || len(rr.fields) == 0 {
		return nil
	}
	return rr.raw(rr.plainCol[i])
}

// raw returns raw column c of the current record. Unquoted fields are in
// rec; quoted ones, decoded, in out (marked by a negative start).
func (rr *RecordReader) raw(c int) []byte {
	s, e := rr.fields[2*c], rr.fields[2*c+1]
	if s < 0 && rr.lazy {
		return rr.lazyField(-1-s, e)
	}
	if s < 0 {
		return rr.out[-1-s : e : e]
	}
	return rr.rec[s:e:e]
}

// ensureOut returns rr.out's backing array with room for n bytes (plus 8
// for whole-word stores), keeping rr.out's current bytes.
func (rr *RecordReader) ensureOut(n int) []byte {
	if n+8 > cap(rr.out) {
		nb := make([]byte, len(rr.out), max(2*cap(rr.out), n+8, 4096))
		copy(nb, rr.out)
		rr.out = nb
	}
	return rr.out[:cap(rr.out)]
}

// Values returns all values of column i in the current row: the decoded
// __mv_ column when it is non-empty and well formed, else the plain value
// if it is non-empty, else nil. The result and its bytes are only valid
// until the next call to Next or Values.
func (rr *RecordReader) Values(i int) [][]byte {
	if i < 0 || i >= len(rr.plainCol) || len(rr.fields) == 0 {
		return nil
	}
	if m := rr.mvCol[i]; m >= 0 {
		if mv := rr.raw(m); len(mv) > 0 {
			if cap(rr.mvBuf) < len(mv) {
				rr.mvBuf = make([]byte, 0, len(mv))
			}
			vals, buf, ok := decodeMV(rr.vals[:0], rr.mvBuf[:0], mv)
			rr.vals, rr.mvBuf = vals[:0], buf
			if ok {
				return vals
			}
		}
	}
	f := rr.Field(i)
	if len(f) == 0 {
		return nil
	}
	rr.vals = append(rr.vals[:0], f)
	return rr.vals
}

// start reads the header row once.
func (rr *RecordReader) start() {
	if rr.started {
		return
	}
	rr.started = true
	err := rr.readRecord()
	if err == io.EOF {
		rr.done = true
		return
	}
	if err != nil {
		rr.err = rr.wrap(err, 0)
		rr.done = true
		return
	}
	rr.ncol = len(rr.fields) / 2
	names := make([]string, rr.ncol)
	for c := range names {
		names[c] = string(rr.raw(c))
	}
	byName := make(map[string]int, rr.ncol)
	for c, n := range names {
		if !strings.HasPrefix(n, mvPrefix) {
			if _, dup := byName[n]; !dup {
				byName[n] = len(rr.header)
			}
			rr.header = append(rr.header, n)
			rr.plainCol = append(rr.plainCol, c)
			rr.mvCol = append(rr.mvCol, -1)
		}
	}
	for c, n := range names {
		if base, ok := strings.CutPrefix(n, mvPrefix); ok {
			if i, found := byName[base]; found && rr.mvCol[i] < 0 {
				rr.mvCol[i] = c
			}
		}
	}
	rr.rec, rr.fields = nil, rr.fields[:0]
}

func (rr *RecordReader) wrap(err error, row int) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		pe.Row = row
	}
	return err
}

// fill reads more input into the buffer, first moving the record being
// parsed (from rr.pos) to the front or growing the buffer when there is
// too little room. Offsets relative to rr.pos stay valid. It reports
// whether any byte was added.
func (rr *RecordReader) fill() bool {
	if rr.srcErr != nil {
		return false
	}
	if room := len(rr.buf) - rr.end; room < len(rr.buf)/4 || room == 0 {
		if rr.pos > 0 {
			rr.end = copy(rr.buf, rr.buf[rr.pos:rr.end])
			rr.pos = 0
		}
		if room := len(rr.buf) - rr.end; room < len(rr.buf)/4 || len(rr.buf) < readBuffer {
			if rr.MaxRecord > 0 && rr.end-rr.pos > rr.MaxRecord {
				rr.srcErr = &ParseError{Line: rr.recLine, Column: 1,
					Err: fmt.Errorf("%w: over %d bytes and not ended", ErrRecordSize, rr.MaxRecord)}
				return false
			}
			nb := make([]byte, max(2*len(rr.buf), initialBuffer))
			rr.end = copy(nb, rr.buf[:rr.end])
			rr.buf = nb
		}
	}
	for range 100 {
		n, err := rr.src.Read(rr.buf[rr.end:])
		rr.end += n
		if err != nil {
			rr.srcErr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	rr.srcErr = io.ErrNoProgress
	return false
}

// readErr returns the source's error once fill has reported no more
// data: nil at a clean end of input.
func (rr *RecordReader) readErr() error {
	if rr.srcErr == io.EOF {
		return nil
	}
	return rr.srcErr
}

// readRecord parses one record starting at rr.pos into rr.rec and
// rr.fields, decoding quoted fields into rr.out. It returns io.EOF at a clean
// end of input. Positions are kept relative to rr.pos so fill may move the
// data.
func (rr *RecordReader) readRecord() error {
	if rr.lazy {
		return rr.readRecordLazy()
	}
	rr.fields = rr.fields[:0]
	rr.out = rr.out[:0]
	// Skip blank lines.
	for {
		b := rr.buf[rr.pos:rr.end]
		switch {
		case len(b) == 0 || (len(b) == 1 && b[0] == '\r'):
			if !rr.fill() {
				if err := rr.readErr(); err != nil {
					return err
				}
				rr.pos = rr.end // a lone trailing "\r" is dropped, as encoding/csv does
				return io.EOF
			}
			continue
		case b[0] == '\n':
			rr.pos++
			rr.line++
			continue
		case b[0] == '\r' && b[1] == '\n':
			rr.pos += 2
			rr.line++
			continue
		}
		break
	}

	rr.recLine = rr.line
	b := rr.buf[rr.pos:rr.end]
	p := 0         // scan position
	lineStart := 0 // position of the current line's first byte (input offsets)
	lines := 0     // newlines inside quoted fields so far
	for {
		// At the start of a field.
		if p == len(b) {
			if !rr.fill() {
				if err := rr.readErr(); err != nil {
					return err
				}
				// The input ends right after a comma: a last, empty field.
				rr.fields = append(rr.fields, p, p)
				return rr.endRecord(b, p, lines)
			}
			b = rr.buf[rr.pos:rr.end]
		}

		if b[p] != '"' {
			fs := p
			for {
				for p < len(b) {
					if c := b[p]; c == ',' || c == '\n' || c == '"' {
						break
					}
					if p++; p-fs >= 8 {
						p = plainEnd(b, p) // a long field
						break
					}
				}
				if p < len(b) {
					break
				}
				if !rr.fill() {
					if err := rr.readErr(); err != nil {
						return err
					}
					fe := p
					if fe > fs && b[fe-1] == '\r' {
						fe-- // dropped before EOF, as encoding/csv does
					}
					rr.fields = append(rr.fields, fs, fe)
					return rr.endRecord(b, p, lines)
				}
				b = rr.buf[rr.pos:rr.end]
			}
			switch b[p] {
			case '"':
				return &ParseError{Line: rr.line + lines, Column: p - lineStart + 1, Err: ErrBareQuote}
			case '\n':
				fe := p
				if fe > fs && b[fe-1] == '\r' {
					fe--
				}
				rr.fields = append(rr.fields, fs, fe)
				return rr.endRecord(b, p+1, lines)
			default: // ','
				rr.fields = append(rr.fields, fs, p)
				p++
				continue
			}
		}

		// A quoted field, decoded into rr.out: out[o0:w] holds the value
		// so far and p is the next input byte. Eight bytes at a time are
		// searched for '"' (SWAR) and stored whole at w while at least
		// nine are buffered; the last few go byte by byte, then more are
		// read. Writing to a buffer apart from the input keeps the loads
		// from waiting on the stores.
		open := p
		p++
		o0 := len(rr.out)
		w := o0
		out := rr.ensureOut(w + len(b) - p)
		for {
			for p+8 < len(b) {
				x := binary.LittleEndian.Uint64(b[p:])
				binary.LittleEndian.PutUint64(out[w:], x) // out has 8 bytes of slack
				y := x ^ 0x2222222222222222               // '"' bytes become zero
				m := zeros(y)
				if m == 0 {
					p += 8
					w += 8
					continue
				}
				// The lowest flagged byte is exact (borrows only run upward).
				k := bits.TrailingZeros64(m) >> 3
				if b[p+k+1] == '"' { // "" is one quote
					w += k + 1
					p += k + 2
					continue
				}
				w += k
				p += k
				goto closed
			}
			for p < len(b) {
				c := b[p]
				if c == '"' {
					if p+1 == len(b) {
						break // "" or the end? more input decides
					}
					if b[p+1] != '"' {
						goto closed
					}
					p++
				}
				out[w] = c
				w++
				p++
			}
			if !rr.fill() {
				if err := rr.readErr(); err != nil {
					return err
				}
				if p < len(b) {
					goto closed // the quote is the last byte of the body
				}
				return &ParseError{Line: rr.line + lines, Column: open - lineStart + 1,
					Err: fmt.Errorf("%w: quoted field not closed at the end of the body", ErrQuote)}
			}
			b = rr.buf[rr.pos:rr.end]
			rr.out = out[:w]
			out = rr.ensureOut(w + len(b) - p)
		}
	closed:
		// b[p] is the closing quote.
		rr.out = out[:w]
		rr.fields = append(rr.fields, -1-o0, w)
		if v := out[o0:w]; bytes.IndexByte(v, '\n') >= 0 {
			j := bytes.LastIndexByte(v, '\n')
			lines += bytes.Count(v[:j+1], []byte{'\n'})
			// The value's tail after its last newline, in input bytes:
			// each '"' in it was written as "".
			tail := v[j+1:]
			lineStart = p - len(tail) - bytes.Count(tail, []byte{'"'})
		}
		p++

		// After a closing quote: a comma, a row end, or the end of input.
		if p == len(b) {
			if !rr.fill() {
				if err := rr.readErr(); err != nil {
					return err
				}
				return rr.endRecord(b, p, lines)
			}
			b = rr.buf[rr.pos:rr.end]
		}
		switch b[p] {
		case ',':
			p++
			continue
		case '\n':
			return rr.endRecord(b, p+1, lines)
		case '\r':
			if p+1 == len(b) {
				if rr.fill() {
					b = rr.buf[rr.pos:rr.end]
				} else if err := rr.readErr(); err != nil {
					return err
				} else {
					return rr.endRecord(b, p+1, lines) // "\r" before EOF is dropped
				}
			}
			if b[p+1] == '\n' {
				return rr.endRecord(b, p+2, lines)
			}
		}
		return &ParseError{Line: rr.line + lines, Column: p - lineStart + 1, Err: ErrQuote}
	}
}

// endRecord finishes a record that used b[:n].
func (rr *RecordReader) endRecord(b []byte, n, lines int) error {
	rr.rec = b[:n]
	rr.pos += n
	rr.line += 1 + lines
	return nil
}

// zeros flags (bit 7) the lowest zero byte of x exactly, and maybe bytes
// above it: a borrow starts only at a zero byte and only moves up. So a
// word has a flag only if it has a zero byte, and the lowest flag of an
// or of several such masks is exact too. The CSV reader and writer look
// for their special bytes eight at a time with it, each xored to zero.
func zeros(x uint64) uint64 {
	return (x - 0x0101010101010101) &^ x & 0x8080808080808080
}

// splat is eight copies of c.
func splat(c byte) uint64 { return uint64(c) * 0x0101010101010101 }

// plainEndWords is plainEnd eight bytes at a time: for architectures
// without a vector version, and for the last bytes after one.
func plainEndWords(b []byte, p int) int {
	for ; len(b)-p >= 8; p += 8 {
		x := binary.LittleEndian.Uint64(b[p:])
		if m := zeros(x^splat(',')) | zeros(x^splat('\n')) | zeros(x^splat('"')); m != 0 {
			return p + bits.TrailingZeros64(m)>>3
		}
	}
	for ; p < len(b); p++ {
		if c := b[p]; c == ',' || c == '\n' || c == '"' {
			break
		}
	}
	return p
}
