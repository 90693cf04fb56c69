// Command testsummary reads `go test -json` on standard input and prints
// what `go test` prints (one line per package, the output of failing
// tests), then how many tests passed, failed and were skipped, with each
// skipped test's reason, so that a test skipped for lack of ../shared or
// a tool is seen, not silently counted as passing. It exits 1 if a test or
// a build failed. ./build.sh test pipes go test into it:
//
//	go test -json ./... | go run ./tools/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent).
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Elapsed    float64
	Output     string
}

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

type key struct{ pkg, test string }

func run(in io.Reader, out io.Writer) int {
	output := map[key][]string{} // per test (test "" is the package)
	var passed, failed int
	type skip struct{ name, reason string }
	var skipped []skip
	var failedTests []key
	bad := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (go vet or toolchain messages): pass it on.
			fmt.Fprintf(out, "%s\n", line)
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "build-fail":
			bad = true
		case "output":
			output[k] = append(output[k], e.Output)
		case "pass":
			if e.Test != "" {
				passed++
			} else {
				fmt.Fprintf(out, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
		case "fail":
			bad = true
			if e.Test != "" {
				failed++
				failedTests = append(failedTests, k)
			} else {
				for _, l := range output[k] {
					fmt.Fprint(out, l)
				}
				fmt.Fprintf(out, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
			}
		case "skip":
			if e.Test == "" {
				fmt.Fprintf(out, "?   \t%s\t[no test files]\n", e.Package)
				continue
			}
			skipped = append(skipped, skip{e.Package + " " + e.Test, reason(output[k])})
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(out, "testsummary:", err)
		return 1
	}
	for _, k := range failedTests {
		fmt.Fprintf(out, "\n--- FAIL: %s %s\n", k.pkg, k.test)
		for _, l := range output[k] {
			fmt.Fprint(out, l)
		}
	}
	sort.Slice(skipped, func(i, j int) bool { return skipped[i].name < skipped[j].name })
	fmt.Fprintf(out, "go test: %d passed, %d failed, %d skipped\n", passed, failed, len(skipped))
	for _, s := range skipped {
		fmt.Fprintf(out, "  SKIP %s: %s\n", s.name, s.reason)
	}
	if bad {
		return 1
	}
	return 0
}

// reason returns the message a skipped test logged, without the
// "=== RUN" and "--- SKIP" lines around it.
func reason(lines []string) string {
	var msg []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		msg = append(msg, t)
	}
	if len(msg) == 0 {
		return "(no reason given)"
	}
	return strings.Join(msg, " ")
}
