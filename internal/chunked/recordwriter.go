package chunked

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/bytemask"
)

// Errors returned by RecordWriter for rows it cannot write as asked.
var (
	// ErrWriteOrder means a row came before the header, or a second header.
	ErrWriteOrder = errors.New("the header must be written once, before any row")
	// ErrNotMultivalue means a cell held several values in a column the
	// header did not declare multivalue, so it has no __mv_ twin to carry
	// them.
	ErrNotMultivalue = errors.New("several values in a column not declared multivalue")
)

// flushSize is how much a RecordWriter with an io.Writer buffers before it
// writes.
const flushSize = 64 << 10

// RecordWriter writes a CSV body in the dialect splunkd reads (the twin of
// RecordReader): a header row, then one row per Write, CRLF row ends (as
// splunklib writes), fields quoted only when they contain a comma, a quote,
// CR or LF, and a lone empty field in a one-column row written "" (a blank
// line would be skipped).
//
// Multivalue columns are declared in the header: each gets a __mv_<column>
// column after all plain columns (splunkd's own order). A cell with several
// values is written as the values joined by "\n" in the plain column and as
// $v1$;$v2$ (each '$' doubled) in its __mv_ column, which is empty for
// other cells.
//
// Like encoding/csv's Writer it buffers: call Flush when done and check
// its error. Inside a Command's Execute, the RecordWriter Serve passes
// writes straight into the reply being built and needs no Flush.
type RecordWriter struct {
	w    io.Writer // nil for a reply body that the chunk Writer sends
	buf  []byte
	base int // bytes reserved at the front of buf for a chunk's framing

	header  bool
	ncol    int
	mv      []bool // column → has a __mv_ twin
	anyMV   bool
	width   int // columns written per row, __mv_ included
	rows    int
	scratch []byte
	err     error // the first error from w
}

// NewRecordWriter returns a RecordWriter writing to w.
func NewRecordWriter(w io.Writer) *RecordWriter {
	return &RecordWriter{w: w}
}

// replyReserve is the room a reply body keeps in front of it for the
// chunk header and metadata, so a reply is sent without copying its body.
// Larger metadata (long inspector messages) costs one copy.
const replyReserve = 1 << 10

// newReplyBody returns a RecordWriter that keeps what it writes for
// Writer.writeReply.
func newReplyBody() *RecordWriter {
	return &RecordWriter{buf: make([]byte, replyReserve, replyReserve+initialBuffer), base: replyReserve}
}

// resetReply empties a reply body for the next reply. A huge body's buffer
// is dropped rather than kept for the process lifetime.
func (rw *RecordWriter) resetReply() {
	buf := rw.buf[:rw.base]
	if cap(buf) > 64<<20 {
		buf = make([]byte, rw.base, rw.base+initialBuffer)
	}
	*rw = RecordWriter{buf: buf, base: rw.base, mv: rw.mv[:0], scratch: rw.scratch[:0]}
}

// body returns the CSV written since the reply began.
func (rw *RecordWriter) body() []byte { return rw.buf[rw.base:] }

// WriteHeader writes the header row: columns, then a __mv_<column> column
// for each column whose multivalue entry is true. multivalue may be nil
// (no multivalue column) or shorter than columns. It must be called once,
// before any row.
func (rw *RecordWriter) WriteHeader(columns []string, multivalue []bool) error {
	if rw.header {
		return ErrWriteOrder
	}
	if len(columns) == 0 {
		return errors.New("a header needs at least one column")
	}
	if len(multivalue) > len(columns) {
		return fmt.Errorf("%d multivalue flags for %d columns", len(multivalue), len(columns))
	}
	rw.header = true
	rw.ncol = len(columns)
	rw.mv = append(rw.mv[:0], multivalue...)
	for len(rw.mv) < len(columns) {
		rw.mv = append(rw.mv, false)
	}
	rw.width = len(columns)
	for _, m := range rw.mv {
		if m {
			rw.width++
			rw.anyMV = true
		}
	}
	dst := rw.buf
	for c, name := range columns {
		if c > 0 {
			dst = append(dst, ',')
		}
		dst = appendField(dst, name, rw.width)
	}
	for c, name := range columns {
		if rw.mv[c] {
			dst = append(dst, ',')
			dst = appendField(dst, mvPrefix+name, rw.width)
		}
	}
	rw.buf = append(dst, '\r', '\n')
	return rw.maybeFlush()
}

// Write writes one row: one cell per column, each the list of the field's
// values (none: a null field; one: a plain field; several: a multivalue
// field, which its column must have been declared). A row shorter than the
// header has null fields at its end; a longer one is an error.
func (rw *RecordWriter) Write(row [][]string) error {
	if err := rw.check(len(row)); err != nil {
		return err
	}
	for c, cell := range row {
		if len(cell) > 1 && !rw.mv[c] {
			return fmt.Errorf("row %d column %d: %w", rw.rows+1, c+1, ErrNotMultivalue)
		}
	}
	dst := rw.buf
	for c := range rw.ncol {
		if c > 0 {
			dst = append(dst, ',')
		}
		var cell []string
		if c < len(row) {
			cell = row[c]
		}
		switch len(cell) {
		case 0:
			if rw.width == 1 {
				dst = append(dst, '"', '"') // a blank line would be skipped
			}
		case 1:
			dst = appendField(dst, cell[0], rw.width)
		default:
			s := rw.scratch[:0]
			for k, v := range cell {
				if k > 0 {
					s = append(s, '\n')
				}
				s = append(s, v...)
			}
			rw.scratch = s
			dst = appendQuoted(dst, s)
		}
	}
	if rw.anyMV {
		for c := range rw.ncol {
			if !rw.mv[c] {
				continue
			}
			dst = append(dst, ',')
			if c < len(row) && len(row[c]) > 1 {
				rw.scratch = appendMV(rw.scratch[:0], row[c])
				dst = appendFieldBytes(dst, rw.scratch, rw.width)
			}
		}
	}
	rw.buf = append(dst, '\r', '\n')
	rw.rows++
	return rw.maybeFlush()
}

// WriteFields writes one row of plain fields given as bytes, without
// converting them to strings: field i is column i's single value, an
// empty one a null field. Fewer fields than columns leave the rest null.
func (rw *RecordWriter) WriteFields(fields ...[]byte) error {
	if err := rw.check(len(fields)); err != nil {
		return err
	}
	dst := rw.buf
	for c := range rw.width {
		if c > 0 {
			dst = append(dst, ',')
		}
		if c < len(fields) {
			dst = appendFieldBytes(dst, fields[c], rw.width)
		} else if rw.width == 1 {
			dst = append(dst, '"', '"')
		}
	}
	rw.buf = append(dst, '\r', '\n')
	rw.rows++
	return rw.maybeFlush()
}

// check reports why a row of n cells cannot be written now.
func (rw *RecordWriter) check(n int) error {
	if rw.err != nil {
		return rw.err
	}
	if !rw.header {
		return ErrWriteOrder
	}
	if n > rw.ncol {
		return fmt.Errorf("row %d has %d cells for %d columns: %w", rw.rows+1, n, rw.ncol, ErrFieldCount)
	}
	return nil
}

// Rows returns the number of rows written.
func (rw *RecordWriter) Rows() int { return rw.rows }

// maybeFlush writes a large enough buffer to w.
func (rw *RecordWriter) maybeFlush() error {
	if rw.w == nil || len(rw.buf) < flushSize {
		return nil
	}
	return rw.Flush()
}

// Flush writes any buffered data to the underlying io.Writer. It does
// nothing for the RecordWriter of a reply, which Serve sends whole.
func (rw *RecordWriter) Flush() error {
	if rw.w == nil || rw.err != nil {
		return rw.err
	}
	n, err := rw.w.Write(rw.buf)
	if err == nil && n != len(rw.buf) {
		err = io.ErrShortWrite
	}
	rw.buf = rw.buf[:0]
	rw.err = err
	return err
}

// Error reports any error from a previous Write or Flush to the
// underlying io.Writer.
func (rw *RecordWriter) Error() error { return rw.err }

// appendField appends s, quoted if needed. width is the row's column
// count: a lone empty field must be quoted or its line reads as blank.
func appendField(dst []byte, s string, width int) []byte {
	if s == "" && width == 1 {
		return append(dst, '"', '"')
	}
	if needsQuotes(s) {
		return appendQuoted(dst, s)
	}
	return append(dst, s...)
}

// appendFieldBytes is appendField for bytes.
func appendFieldBytes(dst, s []byte, width int) []byte {
	if len(s) == 0 && width == 1 {
		return append(dst, '"', '"')
	}
	if needsQuotes(s) {
		return appendQuoted(dst, s)
	}
	return append(dst, s...)
}

// needsQuotes reports whether s holds a byte CSV must quote: a comma, a
// double quote, CR or LF. A long s (a map phase's partial row, an
// annotation) takes four vectorised scans, which find the comma of a
// JSON value at once; a short one eight bytes at a time (zeros).
func needsQuotes[T ~string | ~[]byte](s T) bool {
	if len(s) >= 64 {
		return indexByte(s, ',') >= 0 || indexByte(s, '"') >= 0 ||
			indexByte(s, '\n') >= 0 || indexByte(s, '\r') >= 0
	}
	i := 0
	for ; len(s)-i >= 8; i += 8 {
		w := s[i : i+8] // constant indices: one load, no bounds checks
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		if zeros(x^splat(','))|zeros(x^splat('"'))|zeros(x^splat('\n'))|zeros(x^splat('\r')) != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			return true
		}
	}
	return false
}

// appendQuoted appends s in quotes, each '"' doubled. It takes strings
// (cells) and byte slices (joined values, __mv_ encodings) alike. A
// kubectl annotation holds a quote every four bytes or so, so rather
// than a search and two appends per quote, s goes 64 bytes at a time:
// the block's quotes come as one mask (bytemask.Quotes, SSE2 on amd64)
// and the runs that end at each are moved as 8-byte words into room
// grown for the whole block first.
func appendQuoted[T ~string | ~[]byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	// Up to the first quote in one piece: a cell quoted for its commas or
	// newlines (a map phase's partial row) may hold none.
	i := indexByte(s, '"')
	if i < 0 {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	dst = append(dst, s[:i]...)
	s = s[i:]
	// A block, and room for a run's last word to read past it; bytes of
	// a short last block past its end are zero, which no mask flags.
	var blk [64 + 8]byte
	for len(s) > 0 {
		n := copy(blk[:64], s)
		if n < 64 {
			clear(blk[n:64])
		}
		s = s[n:]
		m := bytemask.Quotes((*[64]byte)(blk[:64]))
		at := len(dst)
		dst = slices.Grow(dst, n+bits.OnesCount64(m)+8)
		out := dst[at:cap(dst)]
		o, run := 0, 0 // out's length; where the next run starts in blk
		for ; m != 0; m &= m - 1 {
			end := bits.TrailingZeros64(m) + 1 // the run ends with its quote
			for j := run; j < end; j += 8 {
				binary.LittleEndian.PutUint64(out[o+j-run:], binary.LittleEndian.Uint64(blk[j:]))
			}
			o += end - run
			out[o] = '"'
			o++
			run = end
		}
		o += copy(out[o:], blk[run:n])
		dst = dst[:at+o]
	}
	return append(dst, '"')
}

// indexByte is strings.IndexByte or bytes.IndexByte (both vectorised)
// for either kind of text.
func indexByte[T ~string | ~[]byte](s T, c byte) int {
	switch v := any(s).(type) {
	case string:
		return strings.IndexByte(v, c)
	case []byte:
		return bytes.IndexByte(v, c)
	}
	return strings.IndexByte(string(s), c)
}
