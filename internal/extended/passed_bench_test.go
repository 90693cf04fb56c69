package extended

import (
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/benchcpu"
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
	b.SetBytes(size)
	b.ReportAllocs()
	b.ReportMetric(float64(len(evs)), "events")
	cpu := benchcpu.Start()
	for b.Loop() {
		d := New()
		for _, e := range evs {
			d.AddEvent(e)
		}
	}
	cpu.Report(b, size)
}
