//go:build !unix

package benchcpu

import "time"

// cpuTime is unknown here; Report then adds no metric.
func cpuTime() time.Duration { return 0 }
