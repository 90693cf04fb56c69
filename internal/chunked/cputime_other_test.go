//go:build !unix

package chunked

import "time"

// cpuTime is not measured on this platform; the CPU metric is then omitted.
func cpuTime() time.Duration { return 0 }
