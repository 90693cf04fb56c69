// Package table holds the result of a detection as Splunk sees a search
// result: named columns and rows whose cells may hold several values.
//
// It is the one type the detections, the chunked protocol glue and the
// offline scanner agree on, so none of them needs to know the others.
package table

// Table is an ordered set of columns and the rows under them.
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
