package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// tableOnly hides a detector's WriteRows, so writeResult takes the
// Result path.
type tableOnly struct{ detect.Detector }

// scan's formats give the same bytes whether the detector streams its
// rows or hands over its table, for every mode, with and without rows.
func TestWriteResultStreamsAsTheTable(t *testing.T) {
	sample, err := os.ReadFile("../../testdata/audit.log")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range modeNames {
		for name, input := range map[string][]byte{"sample": sample, "no events": nil} {
			d, err := newDetector(mode)
			if err != nil {
				t.Fatal(err)
			}
			for line := range bytes.Lines(input) {
				d.AddEvent(bytes.TrimRight(line, "\n"))
			}
			_, streams := d.(detect.RowsWriter)
			if mode == "escu" && !streams {
				t.Fatal("escu does not write its rows")
			}
			for format, newFormat := range formats {
				o := outputOptions{width: 100, types: jsonSchemas[mode]}
				var got, want bytes.Buffer
				n, err := writeResult(d, newFormat(&got, o))
				if err != nil {
					t.Fatal(err)
				}
				m, err := writeResult(tableOnly{d}, newFormat(&want, o))
				if err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() || n != m {
					t.Errorf("%s, %s, %s: streamed %d rows:\n%s\nfrom the table %d rows:\n%s", mode, name, format, n, got.String(), m, want.String())
				}
				if name == "sample" && n == 0 {
					t.Errorf("%s, %s: no rows from the sample", mode, format)
				}
			}
		}
	}
}
