package extended

import (
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/benchcpu"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// BenchmarkAddEventPassed times the events of the mix that the pre-filter
// hands on to be parsed and judged (writes to watched resources whose
// bytes may spell a node-escape field), each run into a new detector so
// that every request is new, as on a search's stream.
func BenchmarkAddEventPassed(b *testing.B) {
	all, _ := mix(b)
	var evs [][]byte
	var size int64
	for _, e := range all {
		if w, ok := quickWatch(string(e)); ok && w != notWatched && mayFind(string(e)) {
			evs = append(evs, e)
			size += int64(len(e))
		}
	}
	benchPassed(b, evs, size, (*Detector).AddEvent)
}

// BenchmarkAddCSVFieldPassed times the passed path as the search command
// drives it: the quoted cells of a 200,000-event stream that the
// pre-filter hands on, unquoted, parsed, judged and stored, into a new
// detector each run (most requests new, most findings repeats of a few
// hundred, as on a search's stream).
func BenchmarkAddCSVFieldPassed(b *testing.B) {
	g := corpus.New(1)
	var cells [][]byte
	var size int64
	for range 200_000 {
		c := csvQuote(g.Append(nil))
		if _, _, reject := preCSV(c, nil); !reject {
			cells = append(cells, c)
			size += int64(len(c))
		}
	}
	benchPassed(b, cells, size, func(d *Detector, c []byte) { d.AddCSVField(c, true) })
}

// benchPassed offers items (size bytes in all) to a new detector by add
// on each run, reporting their count and the CPU time per byte.
func benchPassed(b *testing.B, items [][]byte, size int64, add func(*Detector, []byte)) {
	b.SetBytes(size)
	b.ReportAllocs()
	b.ReportMetric(float64(len(items)), "events")
	cpu := benchcpu.Start()
	for b.Loop() {
		d := New()
		for _, it := range items {
			add(d, it)
		}
	}
	cpu.Report(b, size)
}
