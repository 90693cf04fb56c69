//go:build unix

package extended

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used. On a shared machine the
// wall clock measures the neighbours too; CPU time measures the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the throughput by CPU time, as cpu-MB/s.
func reportCPU(b *testing.B, size int64, cpu0 time.Duration, _ time.Time) {
	if d := cpuTime() - cpu0; d > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/d.Seconds()/1e6, "cpu-MB/s")
	}
}
