package main

import (
	"bytes"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// eagerOnly hides a detector's AddCSVField, so the command reads _raw
// decoded, as it did before lazy cells.
type eagerOnly struct{ detect.Detector }

// TestLazyCellsSameReply: reading _raw as quoted cells (both modes)
// gives byte for byte the reply of reading it decoded, on the mixed corpus
// in the reduce phase, the map phase and with several chunk sizes.
func TestLazyCellsSameReply(t *testing.T) {
	evs := mixedCorpus(t)
	run := func(in []byte, eager bool) []byte {
		var out bytes.Buffer
		c := &SearchCommand{Stdin: bytes.NewReader(in), Stdout: &out, NewDetector: func(mode string) (detect.Detector, error) {
			d, err := newDetector(mode)
			if eager && err == nil {
				d = eagerOnly{d}
			}
			return d, err
		}}
		if err := c.Run(); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	for _, args := range [][]string{{"mode=escu"}, {"phase=map", "mode=escu"}, {"mode=extended"}, {"phase=map", "mode=extended"}} {
		for _, size := range []int{len(evs), 500, 37} {
			var in bytes.Buffer
			getinfo(&in, args...)
			for i := 0; i < len(evs); i += size {
				end := min(i+size, len(evs))
				execute(&in, end == len(evs), rawBody(evs[i:end]))
			}
			lazy, eager := run(in.Bytes(), false), run(in.Bytes(), true)
			if !bytes.Equal(lazy, eager) {
				t.Errorf("%v, %d rows per chunk: lazy cells change the reply:\n%.2000s\neager:\n%.2000s", args, size, lazy, eager)
			}
			if len(lazy) < 1000 {
				t.Errorf("%v: reply of %d bytes; the comparison would be vacuous", args, len(lazy))
			}
		}
	}
}
