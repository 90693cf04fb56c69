package auditlog

import (
	"bufio"
	"encoding/binary"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// A UTF-16 or UTF-32 file (PowerShell's default redirection writes
// UTF-16LE with a byte order mark) would fail line by line as "not valid
// JSON" without naming the cause: it is recognised by its byte order mark,
// or, as JSON text starts with an ASCII character, by where the NUL bytes
// of its first code unit fall, and decoded to UTF-8.

// detectEncoding names the encoding of a stream from its first bytes and
// returns the length of its byte order mark; "" means UTF-8.
func detectEncoding(b []byte) (name string, unit int, bigEndian bool, bom int) {
	switch {
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff:
		return "UTF-32BE", 4, true, 4
	case len(b) >= 4 && b[0] == 0xff && b[1] == 0xfe && b[2] == 0 && b[3] == 0:
		return "UTF-32LE", 4, false, 4
	case len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff:
		return "UTF-16BE", 2, true, 2
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		return "UTF-16LE", 2, false, 2
	}
	if len(b) < 4 {
		return "", 0, false, 0
	}
	switch {
	case b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] != 0:
		return "UTF-32BE", 4, true, 0
	case b[0] != 0 && b[1] == 0 && b[2] == 0 && b[3] == 0:
		return "UTF-32LE", 4, false, 0
	case b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0:
		return "UTF-16BE", 2, true, 0
	case b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0:
		return "UTF-16LE", 2, false, 0
	}
	return "", 0, false, 0
}

// utfDecoder reads UTF-16 or UTF-32 from src and yields UTF-8. Unpaired
// surrogates, values beyond U+10FFFF and a trailing partial code unit
// become U+FFFD, as Go's own decoders do.
type utfDecoder struct {
	src       *bufio.Reader
	unit      int
	bigEndian bool
	out       []byte // decoded, not yet read
	err       error
	unitBuf   [4]byte
	pending   rune // a high surrogate waiting for its pair; 0 if none
}

func (d *utfDecoder) Read(p []byte) (int, error) {
	for len(d.out) == 0 && d.err == nil {
		d.fill()
	}
	if len(d.out) > 0 {
		n := copy(p, d.out)
		d.out = d.out[n:]
		return n, nil
	}
	return 0, d.err
}

// fill decodes up to a few kilobytes of input.
func (d *utfDecoder) fill() {
	d.out = d.out[:0]
	for len(d.out) < 4096 {
		n, err := io.ReadFull(d.src, d.unitBuf[:d.unit])
		if err != nil {
			if d.pending != 0 {
				d.out = utf8.AppendRune(d.out, utf8.RuneError)
				d.pending = 0
			}
			if err == io.ErrUnexpectedEOF || (err == io.EOF && n > 0) {
				d.out = utf8.AppendRune(d.out, utf8.RuneError)
				err = io.EOF
			}
			d.err = err
			return
		}
		var v uint32
		switch {
		case d.unit == 2 && d.bigEndian:
			v = uint32(binary.BigEndian.Uint16(d.unitBuf[:2]))
		case d.unit == 2:
			v = uint32(binary.LittleEndian.Uint16(d.unitBuf[:2]))
		case d.bigEndian:
			v = binary.BigEndian.Uint32(d.unitBuf[:4])
		default:
			v = binary.LittleEndian.Uint32(d.unitBuf[:4])
		}
		r := rune(v)
		if v > utf8.MaxRune {
			r = utf8.RuneError
		}
		if d.unit == 2 {
			if d.pending != 0 {
				hi := d.pending
				d.pending = 0
				if utf16.IsSurrogate(r) && r >= 0xdc00 {
					d.out = utf8.AppendRune(d.out, utf16.DecodeRune(hi, r))
					continue
				}
				d.out = utf8.AppendRune(d.out, utf8.RuneError)
			}
			if r >= 0xd800 && r < 0xdc00 {
				d.pending = r
				continue
			}
		}
		d.out = utf8.AppendRune(d.out, r) // AppendRune writes U+FFFD for a lone surrogate
	}
}
