package benchcpu

import (
	"runtime"
	"testing"
)

func TestCPUTimeAdvances(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no getrusage")
	}
	a := cpuTime()
	x := 0
	for i := range 50_000_000 {
		x += i ^ x
	}
	if b := cpuTime(); a <= 0 || b <= a {
		t.Fatalf("cpu time %v then %v (%d)", a, b, x)
	}
}
