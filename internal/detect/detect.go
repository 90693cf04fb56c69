// Package detect names the contract every detection mode fulfils, so that
// the search command, its map and reduce phases and the offline scanner can
// drive any mode the same way, and the result every mode produces: a Table
// as Splunk sees a search result.
package detect

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
