//go:build !unix

package extended

import (
	"testing"
	"time"
)

func cpuTime() time.Duration { return 0 }

// reportCPU reports nothing where getrusage is missing.
func reportCPU(*testing.B, int64, time.Duration, time.Time) {}
