package chunked

import (
	"bytes"
	"fmt"
	"io"

	"github.com/kubeprivpod/kubeprivpod/internal/bytemask"
)

// Lazy cells: a reader in lazy mode only locates each quoted field and
// leaves its "" pairs in place. A consumer that can work on the quoted
// bytes (the default mode's detector rejects most events with one
// substring scan) reads them with Cell and never pays for decoding; Field
// and Values still decode, on demand.

// SetLazy switches lazy mode on or off. It takes effect from the next
// record read, so set it before Header for a new body; Reset keeps it.
func (rr *RecordReader) SetLazy(on bool) { rr.lazy = on }

// Cell returns column i (Header order) of the current row as it stands in
// the body. When quoted is true, b holds the bytes between the field's
// quotes with every '"' still written as "" (only in lazy mode); otherwise
// b is the value itself, as Field returns it. The bytes are only valid
// until the next call to Next and must not be modified.
func (rr *RecordReader) Cell(i int) (b []byte, quoted bool) {
	if i < 0 || i >= len(rr.plainCol) || len(rr.fields) == 0 {
		return nil, false
	}
	c := rr.plainCol[i]
	if s, e := rr.fields[2*c], rr.fields[2*c+1]; rr.lazy && s < 0 {
		return rr.rec[-1-s : e : e], true
	}
	return rr.raw(c), false
}

// lazyField decodes the lazy quoted field rec[s:e] into out: each "" is
// one quote.
func (rr *RecordReader) lazyField(s, e int) []byte {
	q := rr.rec[s:e]
	o := len(rr.out)
	for {
		j := bytes.IndexByte(q, '"')
		if j < 0 {
			rr.out = append(rr.out, q...)
			break
		}
		rr.out = append(rr.out, q[:j+1]...)
		q = q[min(j+2, len(q)):]
	}
	return rr.out[o:len(rr.out):len(rr.out)]
}

// quotedEnd finds the closing quote of a quoted field whose content
// starts at b[p]. It returns the quote's index and true, or, when b ends
// before that is decided, the index to resume from once more input is
// buffered and false; and lf, whether the bytes from p to the index
// hold a newline, for the reader's line count (which then counts them:
// few fields have any).
//
// Inside the field quotes come in "" pairs, so starting from a pair
// boundary every run of quotes has even length, except the run that ends
// with the closing quote. bytemask.OddRunEndLF finds it 64 bytes at a
// time without a branch per quote (quoted JSON has a pair every ten bytes
// or so), noting newlines in the same pass; the last bytes go one by one.
func quotedEnd(b []byte, p int) (_ int, ok, lf bool) {
	if len(b)-p >= 64 {
		n, found, nl := bytemask.OddRunEndLF(b[p:])
		p += n
		if found {
			return p, true, nl
		}
		lf = nl
	}
	for p < len(b) {
		switch b[p] {
		case '"':
		case '\n':
			lf = true
			fallthrough
		default:
			p++
			continue
		}
		if p+1 == len(b) {
			return p, false, lf // "" or the closing quote? more input decides
		}
		if b[p+1] != '"' {
			return p, true, lf
		}
		p += 2
	}
	return p, false, lf
}

// readRecordLazy is readRecord for lazy mode: quoted fields are located
// with quotedEnd and recorded as spans of rec with a negative start
// (-1-start), to be decoded by lazyField if asked for.
func (rr *RecordReader) readRecordLazy() error {
	rr.fields = rr.fields[:0]
	rr.out = rr.out[:0]
	for {
		b := rr.buf[rr.pos:rr.end]
		switch {
		case len(b) == 0 || (len(b) == 1 && b[0] == '\r'):
			if !rr.fill() {
				if err := rr.readErr(); err != nil {
					return err
				}
				rr.pos = rr.end
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
	p := 0
	lineStart := 0
	lines := 0
	for {
		if p == len(b) {
			if !rr.fill() {
				if err := rr.readErr(); err != nil {
					return err
				}
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
						fe--
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
			default:
				rr.fields = append(rr.fields, fs, p)
				p++
				continue
			}
		}

		open := p
		p++
		multiline := false
		for {
			q, ok, lf := quotedEnd(b, p)
			p, multiline = q, multiline || lf
			if ok {
				break
			}
			if !rr.fill() {
				if err := rr.readErr(); err != nil {
					return err
				}
				if p < len(b) {
					break // the quote is the last byte of the body
				}
				return &ParseError{Line: rr.line + lines, Column: open - lineStart + 1,
					Err: fmt.Errorf("%w: quoted field not closed at the end of the body", ErrQuote)}
			}
			b = rr.buf[rr.pos:rr.end]
		}
		// b[p] is the closing quote.
		rr.fields = append(rr.fields, -1-(open+1), p)
		if v := b[open+1 : p]; multiline {
			lines += bytes.Count(v, []byte{'\n'})
			lineStart = open + 1 + bytes.LastIndexByte(v, '\n') + 1
		}
		p++

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
					return rr.endRecord(b, p+1, lines)
				}
			}
			if b[p+1] == '\n' {
				return rr.endRecord(b, p+2, lines)
			}
		}
		return &ParseError{Line: rr.line + lines, Column: p - lineStart + 1, Err: ErrQuote}
	}
}
