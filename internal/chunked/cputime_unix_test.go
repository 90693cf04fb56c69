//go:build unix

package chunked

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used. Benchmarks report
// throughput per CPU second beside the wall-clock figure, because the
// development machine is shared and wall time there measures the
// neighbours as much as the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
