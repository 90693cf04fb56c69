// Package sharedtest locates the project's shared reference data (real
// splunkd recordings and audit events kept beside the repository, at
// ../shared) for tests.
//
// Outside the development workspace ../shared does not exist: tests that
// need it skip, saying so, unless the CI environment variable is set, in
// which case they fail, so CI never passes by skipping.
package sharedtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the absolute path of shared/<elem...>, skipping (or, under
// CI, failing) the test when it is absent.
func Dir(tb testing.TB, elem ...string) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("sharedtest: cannot locate source file")
	}
	// testsupport/sharedtest/sharedtest.go -> repository root -> ../shared
	root := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	p := filepath.Join(append([]string{root, "..", "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("shared reference data missing at %s (CI is set, so this fails instead of skipping): %v", p, err)
		}
		tb.Skipf("shared reference data not found at %s; this test needs the ../shared folder of the development workspace", p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}
