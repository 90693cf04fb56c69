package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// This file renders a detection's table for people and programs outside
// Splunk: scan prints its result with one of these.

// rowFormat is an output format fed row by row (a detect.RowWriter):
// csv and json write each row as it comes, the table format needs every
// row before it can align them. Close ends the output.
type rowFormat interface {
	detect.RowWriter
	Close() error
}

// writeFormat writes t through f.
func writeFormat(f rowFormat, t detect.Table) error {
	if err := detect.WriteTable(f, t); err != nil {
		return err
	}
	return f.Close()
}

// writeCSV writes t as CSV with a header row, the way Splunk exports
// results: a multivalue cell holds its values joined by newlines (inside
// the quoted field), a null cell is empty.
func writeCSV(w io.Writer, t detect.Table) error { return writeFormat(newCSVFormat(w), t) }

// csvFormat is writeCSV row by row.
type csvFormat struct {
	cw  *csv.Writer
	rec []string
}

func newCSVFormat(w io.Writer) *csvFormat { return &csvFormat{cw: csv.NewWriter(w)} }

func (f *csvFormat) WriteHeader(columns []string, _ []bool) error {
	f.rec = make([]string, len(columns))
	return f.cw.Write(columns)
}

func (f *csvFormat) Write(row [][]string) error {
	for i := range f.rec {
		f.rec[i] = strings.Join(cell(row, i), "\n")
	}
	return f.cw.Write(f.rec)
}

func (f *csvFormat) Close() error {
	f.cw.Flush()
	return f.cw.Error()
}

// writeJSON writes t as JSON lines: one object per row, keys in column
// order, each value typed by its column in types (see columnType; docs/scan.md
// has the schema). A column types does not name is a string when it holds
// one value and an array when it holds several. Null cells are left out,
// except in list columns, which are always arrays.
func writeJSON(w io.Writer, t detect.Table, types map[string]columnType) error {
	return writeFormat(newJSONFormat(w, types), t)
}

// jsonFormat is writeJSON row by row.
type jsonFormat struct {
	bw      *bufio.Writer
	types   map[string]columnType
	columns []string
	kinds   []columnType
	buf     []byte
}

func newJSONFormat(w io.Writer, types map[string]columnType) *jsonFormat {
	return &jsonFormat{bw: bufio.NewWriter(w), types: types}
}

func (f *jsonFormat) WriteHeader(columns []string, _ []bool) error {
	f.columns = slices.Clone(columns)
	f.kinds = make([]columnType, len(columns))
	for i, name := range columns {
		f.kinds[i] = f.types[name]
	}
	return nil
}

func (f *jsonFormat) Write(row [][]string) error {
	buf := append(f.buf[:0], '{')
	first := true
	for i, name := range f.columns {
		vals := cell(row, i)
		if len(vals) == 0 && f.kinds[i] != listColumn {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendJSONString(buf, name)
		buf = append(buf, ':')
		switch {
		case f.kinds[i] == numberColumn && len(vals) == 1 && isInteger(vals[0]):
			buf = append(buf, vals[0]...)
		case len(vals) == 1 && f.kinds[i] != listColumn:
			buf = appendJSONString(buf, vals[0])
		default:
			buf = append(buf, '[')
			for j, v := range vals {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = appendJSONString(buf, v)
			}
			buf = append(buf, ']')
		}
	}
	buf = append(buf, '}', '\n')
	f.buf = buf
	_, err := f.bw.Write(buf)
	return err
}

func (f *jsonFormat) Close() error { return f.bw.Flush() }

// isInteger reports whether s is an integer as JSON writes one: an
// optional minus, then digits without a leading zero, at most 15 of them
// so every JSON reader holds it exactly in a float64.
func isInteger(s string) bool {
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(d) > 15 || (d[0] == '0' && len(d) > 1) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// textFormat gathers the rows for writeText, which must see every row
// to size the columns.
type textFormat struct {
	detect.TableWriter
	w     io.Writer
	width int
}

func (f *textFormat) Close() error { return writeText(f.w, f.Table, f.width) }

// writeText writes t for a person at a terminal. When the widest row fits
// in width columns (or width <= 0), t is an aligned table; otherwise each
// row is a block of "column  value" lines, since a table wider than the
// terminal wraps into something nobody can read (the ESCU table has 14
// columns, one of them a whole pod manifest). Either way a multivalue cell
// shows one value per line, text inside a value keeps its line breaks, and
// control characters are escaped so that event text cannot drive the
// terminal.
func writeText(w io.Writer, t detect.Table, width int) error {
	bw := bufio.NewWriter(w)
	cells := make([][][]string, len(t.Rows)) // row, column, display lines
	widths := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = displayWidth(c)
	}
	multiLine := false
	for r, row := range t.Rows {
		cells[r] = make([][]string, len(t.Columns))
		for i := range t.Columns {
			lines := displayLines(cell(row, i))
			cells[r][i] = lines
			if len(lines) > 1 {
				multiLine = true
			}
			for _, l := range lines {
				widths[i] = max(widths[i], displayWidth(l))
			}
		}
	}
	total := 0
	for _, wd := range widths {
		total += wd + 2
	}
	if width > 0 && total-2 > width && len(t.Rows) > 0 {
		writeRecords(bw, t.Columns, cells)
	} else {
		writeAligned(bw, t.Columns, cells, widths, multiLine)
	}
	return bw.Flush()
}

func writeAligned(w *bufio.Writer, cols []string, cells [][][]string, widths []int, gap bool) {
	line := func(vals func(i int) string) {
		var b strings.Builder
		pad := 0
		for i := range cols {
			v := vals(i)
			if v != "" {
				b.WriteString(strings.Repeat(" ", pad))
				pad = 0
				b.WriteString(v)
			}
			pad += widths[i] - displayWidth(v)
			if i < len(cols)-1 {
				pad += 2
			}
		}
		b.WriteByte('\n') // trailing spaces dropped: pad is only written before a value
		w.WriteString(b.String())
	}
	line(func(i int) string { return cols[i] })
	for r, row := range cells {
		if gap && r > 0 {
			w.WriteByte('\n')
		}
		height := 1
		for _, c := range row {
			height = max(height, len(c))
		}
		for k := 0; k < height; k++ {
			line(func(i int) string {
				if k < len(row[i]) {
					return row[i][k]
				}
				return ""
			})
		}
	}
}

// recordNameWidth caps the name column of the block layout; a longer
// name gets its value on the lines below it.
const recordNameWidth = 24

func writeRecords(w *bufio.Writer, cols []string, cells [][][]string) {
	nameWidth := 0
	for _, c := range cols {
		if n := displayWidth(c); n <= recordNameWidth {
			nameWidth = max(nameWidth, n)
		}
	}
	indent := strings.Repeat(" ", nameWidth+2)
	for r, row := range cells {
		if r > 0 {
			w.WriteByte('\n')
		}
		fmt.Fprintf(w, "--- row %d of %d ---\n", r+1, len(cells))
		for i, name := range cols {
			lines := row[i]
			w.WriteString(name)
			if displayWidth(name) > nameWidth {
				for _, l := range lines {
					w.WriteString("\n" + indent + l)
				}
				w.WriteByte('\n')
				continue
			}
			for k, l := range lines {
				if k == 0 {
					w.WriteString(strings.Repeat(" ", nameWidth+2-displayWidth(name)))
				} else {
					w.WriteString("\n" + indent)
				}
				w.WriteString(l)
			}
			w.WriteByte('\n')
		}
	}
}

// cell returns the values of column i in row, nil when the row is short.
func cell(row detect.Row, i int) []string {
	if i < len(row) {
		return row[i]
	}
	return nil
}

// displayLines splits the values of a cell into the lines shown for it.
func displayLines(vals []string) []string {
	var out []string
	for _, v := range vals {
		v = strings.TrimRight(v, "\r\n")
		for l := range strings.SplitSeq(v, "\n") {
			out = append(out, escapeControl(strings.TrimSuffix(l, "\r")))
		}
	}
	return out
}

// escapeControl makes control characters and invalid UTF-8 visible
// instead of letting them reach the terminal.
func escapeControl(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				fmt.Fprintf(&b, `\x%02x`, s[i])
			} else {
				b.WriteRune(r)
			}
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func displayWidth(s string) int { return utf8.RuneCountInString(s) }

// appendJSONString appends s as a JSON string. Unlike encoding/json it
// leaves <, > and & alone: the output is read by people and jq, not
// embedded in HTML.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but they end lines in JavaScript.
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}
