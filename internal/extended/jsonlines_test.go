package extended

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// writeJSONLines writes tb for the golden files: one object per row, keys
// in column order, a single value as a string, several as an array, null
// cells left out. It is the shape scan --format json had when the goldens
// were made; scan's own output now has types (cmd/kubeprivpod), so the
// goldens keep their own writer and stay comparable across that change.
func writeJSONLines(w io.Writer, tb detect.Table) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	str := func(s string) {
		enc.Encode(s)
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	for _, row := range tb.Rows {
		buf.WriteByte('{')
		first := true
		for i, name := range tb.Columns {
			if i >= len(row) || len(row[i]) == 0 {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			str(name)
			buf.WriteByte(':')
			if len(row[i]) == 1 {
				str(row[i][0])
				continue
			}
			buf.WriteByte('[')
			for j, v := range row[i] {
				if j > 0 {
					buf.WriteByte(',')
				}
				str(v)
			}
			buf.WriteByte(']')
		}
		buf.WriteString("}\n")
	}
	_, err := w.Write(buf.Bytes())
	return err
}
