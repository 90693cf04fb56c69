// Package benchcpu lets benchmarks report throughput per CPU second of the
// whole process (GC included) beside Go's wall-clock figure. On a shared
// machine wall time measures the neighbours as much as the code; CPU time
// does not.
package benchcpu

import (
	"testing"
	"time"
)

// Meter remembers the process's CPU time when a measurement started.
type Meter struct{ start time.Duration }

// Start begins a measurement; call it after the benchmark's setup and
// b.ResetTimer.
func Start() Meter { return Meter{start: cpuTime()} }

// Report adds the metric "cpu-MB/s": bytesPerOp × b.N bytes per CPU
// second used since Start. It reports nothing where CPU time is unknown.
func (m Meter) Report(b *testing.B, bytesPerOp int64) {
	if used := cpuTime() - m.start; used > 0 && m.start > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/used.Seconds()/1e6, "cpu-MB/s")
	}
}
