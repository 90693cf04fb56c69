package escu

import (
	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// AddCSVField offers one event as the CSV field that holds its _raw, so
// that the events which cannot pass — nearly all of them — are rejected
// without their CSV quoting ever being removed. When quoted is true, field
// is the text between the field's quotes with every '"' written as ""
// (chunked.RecordReader.Cell in lazy mode); otherwise it is _raw itself.
// The outcome is exactly AddEvent's on the unquoted _raw.
func (d *Detector) AddCSVField(field []byte, quoted bool) {
	if !quoted {
		d.AddEvent(field)
		return
	}
	// Blanks and braces are not quotes, so the shape test reads the same
	// on the quoted bytes.
	if !looksLikeObject(field) {
		d.nonJSON++
		return
	}
	if !candidateQuoted(field) {
		return
	}
	d.unquoted = jsonscan.UnquoteCSV(d.unquoted[:0], field)
	d.addCandidate(d.unquoted)
}

// candidateQuoted is candidate on the CSV-quoted form of the event. The
// signs it looks for are made of backslashes, letters, a colon and hex
// digits, which quoting leaves alone, and a JSON \" which it writes \"".
// So the quoted bytes hold a sign exactly when the unquoted ones do.
// nextSign skips the backslashes that cannot start one (signAt).
func candidateQuoted(q []byte) bool {
	for i := 0; ; {
		p := nextSign(q, i)
		if p < 0 {
			return false
		}
		if p+1 < len(q) {
			switch q[p+1] {
			case '"':
				if p+2 >= len(q) || q[p+2] != '"' {
					return true // a lone quote: not a cell, let the exact path decide
				}
				// privileged\"":true
				if p >= len(privileged) && p+4+len(trueLit) <= len(q) && q[p+2] == '"' && q[p+3] == ':' &&
					equalFold(q[p-len(privileged):p], privileged) &&
					equalFold(q[p+4:p+4+len(trueLit)], trueLit) {
					return true
				}
			case 'u':
				r, ok := jsonscan.Hex4(q[p+2:])
				if !ok || r < 0x80 && (r == '"' || r == ':' || 'a' <= r|0x20 && r|0x20 <= 'z') {
					return true
				}
			}
		}
		i = p + 1
	}
}
