package cpufeat

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestAgreesWithKernel holds the flags to the ones Linux lists for the
// first CPU in /proc/cpuinfo (where the kernel also hides AVX2 when it does
// not save the YMM registers).
func TestAgreesWithKernel(t *testing.T) {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil || runtime.GOARCH != "amd64" {
		t.Skip("needs Linux on amd64")
	}
	var flags []string
	for line := range strings.Lines(string(info)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = strings.Fields(value)
			break
		}
	}
	has := func(f string) bool {
		for _, g := range flags {
			if g == f {
				return true
			}
		}
		return false
	}
	if SSSE3 != has("ssse3") || AVX2 != has("avx2") {
		t.Fatalf("SSSE3 %v, AVX2 %v; /proc/cpuinfo: ssse3 %v, avx2 %v", SSSE3, AVX2, has("ssse3"), has("avx2"))
	}
}

func TestFlag(t *testing.T) {
	if Flag(true) != 1 || Flag(false) != 0 {
		t.Fatalf("Flag(true) = %d, Flag(false) = %d", Flag(true), Flag(false))
	}
}
