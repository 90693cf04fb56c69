// Package detect names the contract every detection mode fulfils, so that
// the search command, its map and reduce phases and the offline scanner can
// drive any mode the same way, and the result every mode produces: a Table
// as Splunk sees a search result.
package detect

import "strings"

// Detector is the state of one run of a detection. It consumes audit events,
// or partial states written by other processes of the same mode, and
// produces the final table. A Detector is not safe for concurrent use.
type Detector interface {
	// AddEvent offers one audit event, the bytes of Splunk's _raw field.
	// It never fails: an event that is not a JSON object is counted and
	// reported by Messages. The detector does not retain raw.
	AddEvent(raw []byte)

	// AddPartial merges one partial row written by Flush, possibly in
	// another process. It fails on a row this mode did not write.
	AddPartial(p []byte) error

	// Flush writes everything accumulated since the last Flush as partial
	// rows, then forgets it, so a map-phase process keeps memory bounded.
	// The bytes passed to emit are valid only during the call.
	Flush(emit func(p []byte) error) error

	// Result returns the final table for everything added.
	Result() Table

	// Messages returns warnings an analyst or admin should see, such as
	// how many events were skipped because they were not JSON.
	Messages() []string
}

// Table is a detection's result: an ordered set of columns and the rows
// under them.
type Table struct {
	Columns []string
	Rows    []Row
}

// Row holds one cell per column, in column order. A cell is the list of the
// field's values: nil or empty means the field is null in that row, one
// value is an ordinary field and more than one is a multivalue field.
type Row [][]string

// Index returns the position of the named column, or -1.
func (t *Table) Index(column string) int {
	for i, c := range t.Columns {
		if c == column {
			return i
		}
	}
	return -1
}

// Multivalue reports, per column, whether some row holds more than one
// value in it: the columns Splunk needs a __mv_ twin for.
func (t *Table) Multivalue() []bool {
	mv := make([]bool, len(t.Columns))
	for _, r := range t.Rows {
		for c, cell := range r {
			if len(cell) > 1 && c < len(mv) {
				mv[c] = true
			}
		}
	}
	return mv
}

// RowWriter receives a result row by row: the header once, then each row.
// chunked.RecordWriter satisfies it, and so do the scan command's output
// formats. The strings of a row are valid only during the call to Write:
// a writer that keeps them must copy them.
type RowWriter interface {
	// WriteHeader names the columns and says which of them hold more than
	// one value in some row (multivalue may be nil: none does).
	WriteHeader(columns []string, multivalue []bool) error
	// Write writes one row, a cell per column as in Row.
	Write(row [][]string) error
}

// RowsWriter is implemented by a Detector that can write its result row by
// row instead of building a Table, so that a large result is never held
// twice. WriteRows writes the header and every row of what Result would
// return, in the same order; it writes nothing when the result has no
// rows. It does not change the detector and may be called more than once.
type RowsWriter interface {
	WriteRows(w RowWriter) error
}

// TableWriter is a RowWriter that builds a Table, copying what it is
// given: the bridge from a RowsWriter to code that needs the whole table.
type TableWriter struct {
	Table Table
}

// WriteHeader sets the table's columns; the multivalue flags are implied
// by the rows.
func (tw *TableWriter) WriteHeader(columns []string, _ []bool) error {
	tw.Table.Columns = cloneStrings(columns)
	return nil
}

// Write appends a copy of row.
func (tw *TableWriter) Write(row [][]string) error {
	r := make(Row, len(row))
	for i, cell := range row {
		if len(cell) > 0 {
			r[i] = cloneStrings(cell)
		}
	}
	tw.Table.Rows = append(tw.Table.Rows, r)
	return nil
}

// cloneStrings copies a list of strings and the bytes under them.
func cloneStrings(s []string) []string {
	c := make([]string, len(s))
	for i, v := range s {
		c[i] = strings.Clone(v)
	}
	return c
}

// WriteTable writes t to w: its header, then its rows. It is how a mode
// without RowsWriter, or a table made in one piece, reaches a RowWriter.
func WriteTable(w RowWriter, t Table) error {
	if err := w.WriteHeader(t.Columns, t.Multivalue()); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	return nil
}
