package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/pipesize"
)

func TestChooseAction(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		terminal bool
		want     action
	}{
		{nil, false, actionServe}, // splunkd: no arguments, a pipe
		{nil, true, actionUsage},  // a person: do not wait for splunkd
		{[]string{}, true, actionUsage},
		{[]string{"scan"}, false, actionCommand},
		{[]string{"scan"}, true, actionCommand},
		{[]string{"bogus"}, false, actionCommand},
	} {
		if got := chooseAction(tc.args, tc.terminal); got != tc.want {
			t.Errorf("chooseAction(%q, %v) = %v, want %v", tc.args, tc.terminal, got, tc.want)
		}
	}
}

// run runs the program with args and stdin, as a pipe unless terminal.
func run(t *testing.T, terminal bool, stdin string, args ...string) (code int, stdout, stderr string, served bool) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, StdinIsTerminal: terminal,
		Serve: func(in io.Reader, o, e io.Writer) int {
			served = true
			b, _ := io.ReadAll(in)
			io.WriteString(o, "served:"+string(b))
			return 7
		},
	}
	code = m.Run(context.Background(), args)
	return code, out.String(), errb.String(), served
}

func TestNoArgumentsServesSplunk(t *testing.T) {
	code, out, errs, served := run(t, false, "chunked 1.0,20,0\n")
	if !served || code != 7 || out != "served:chunked 1.0,20,0\n" || errs != "" {
		t.Errorf("code %d served %v out %q err %q", code, served, out, errs)
	}
}

func TestNoArgumentsOnTerminalPrintsUsage(t *testing.T) {
	code, out, errs, served := run(t, true, "")
	if served || code != exitUsage || out != "" {
		t.Fatalf("code %d served %v out %q", code, served, out)
	}
	if !strings.HasPrefix(errs, "kubeprivpod finds privileged Kubernetes pods") || !strings.Contains(errs, "\tscan ") {
		t.Errorf("usage: %q", errs)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		code, out, errs, _ := run(t, true, "", args...)
		if code != 0 || errs != "" || !strings.HasPrefix(out, "kubeprivpod finds privileged") {
			t.Errorf("%q: code %d out %q err %q", args, code, out, errs)
		}
	}
	code, out, _, _ := run(t, true, "", "help", "scan")
	if code != 0 || !strings.HasPrefix(out, "Usage: kubeprivpod scan [--mode MODE] [--format FORMAT] [FILE|-]...\n") ||
		!strings.Contains(out, "--mode MODE       escu or extended (default escu)") {
		t.Errorf("help scan: %d %q", code, out)
	}
	code, out, _, _ = run(t, true, "", "scan", "-h")
	if code != 0 || !strings.HasPrefix(out, "Usage: kubeprivpod scan") {
		t.Errorf("scan -h: %d %q", code, out)
	}
	code, out, _, _ = run(t, true, "", "help", "version")
	if code != 0 || !strings.HasPrefix(out, "Usage: kubeprivpod version") {
		t.Errorf("help version: %d %q", code, out)
	}
	code, _, errs, _ := run(t, true, "", "help", "bogus")
	if code != exitUsage || errs != "kubeprivpod help: unknown command \"bogus\"\n" {
		t.Errorf("help bogus: %d %q", code, errs)
	}
}

func TestUnknownCommand(t *testing.T) {
	code, out, errs, served := run(t, false, "", "scna")
	if served || code != exitUsage || out != "" ||
		!strings.HasPrefix(errs, "kubeprivpod: unknown command \"scna\"\n\nkubeprivpod finds privileged") {
		t.Errorf("code %d out %q err %q", code, out, errs)
	}
}

func TestVersionCommand(t *testing.T) {
	old := version
	defer func() { version = old }()
	version = "v1.2.3"
	code, out, errs, _ := run(t, true, "", "version")
	if code != 0 || errs != "" || !strings.HasPrefix(out, "kubeprivpod v1.2.3 (go1.") || !strings.HasSuffix(out, ")\n") {
		t.Errorf("code %d out %q err %q", code, out, errs)
	}
	code, _, errs, _ = run(t, true, "", "version", "extra")
	if code != exitUsage || !strings.HasPrefix(errs, "kubeprivpod version: unexpected argument \"extra\"\n") {
		t.Errorf("code %d err %q", code, errs)
	}
}

// Both binaries answer --version and version alike.
func TestVersionFlag(t *testing.T) {
	old := version
	defer func() { version = old }()
	version = "v1.2.3"
	_, want, _, _ := run(t, true, "", "version")
	for _, args := range [][]string{{"--version"}, {"-version"}} {
		code, out, errs, served := run(t, false, "", args...)
		if code != 0 || errs != "" || served || out != want {
			t.Errorf("%q: code %d out %q (want %q) err %q", args, code, out, want, errs)
		}
	}
	code, _, errs, _ := run(t, true, "", "--version", "extra")
	if code != exitUsage || !strings.HasPrefix(errs, "kubeprivpod version: unexpected argument \"extra\"\n") {
		t.Errorf("--version extra: code %d err %q", code, errs)
	}
	// Without a linked version, the VCS fallback names a build, not "".
	version = ""
	if _, out, _, _ := run(t, true, "", "--version"); !strings.HasPrefix(out, "kubeprivpod ") || strings.HasPrefix(out, "kubeprivpod  ") {
		t.Errorf("unstamped: %q", out)
	}
}

func TestWidthFromEnv(t *testing.T) {
	for in, want := range map[string]int{"": 0, "80": 80, " 200\n": 200, "wide": 0, "5": 0, "-3": 0, "99999": 0} {
		if got := widthFromEnv(in); got != want {
			t.Errorf("widthFromEnv(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestScanFollowsWidth(t *testing.T) {
	// The test double's table is 48 columns wide: a table at 80, blocks at 40.
	for width, prefix := range map[int]string{80: "objectRef.name  verb", 40: "--- row 1 of 2 ---"} {
		var out, errb bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &errb, Width: width}
		c := m.scanCommand()
		c.NewDetector = newCountDetector
		if err := c.Run(context.Background(), []string{"testdata/events.log"}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out.String(), prefix) {
			t.Errorf("width %d: %q", width, out.String())
		}
	}
}

func TestScanOfTerminalSaysItWaits(t *testing.T) {
	code, _, errs, _ := run(t, true, "", "scan", "--format", "csv")
	if code != 0 || !strings.HasPrefix(errs, "kubeprivpod: reading audit events from the terminal; end with Ctrl-D") {
		t.Errorf("code %d stderr %q", code, errs)
	}
	code, _, errs, _ = run(t, false, "", "scan", "--format", "csv")
	if code != 0 || errs != "" {
		t.Errorf("pipe: code %d stderr %q", code, errs)
	}
}

// TestSearchGrowsPipes: run by splunkd, the command raises its stdin and
// stdout pipes to searchStdinBytes and searchStdoutBytes before it reads
// a byte.
func TestSearchGrowsPipes(t *testing.T) {
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	go io.Copy(io.Discard, outR)
	inW.Close() // splunkd went away at once: the command fails, after growing the pipes
	var errb bytes.Buffer
	m := &Main{Stdin: inR, Stdout: outW, Stderr: &errb}
	if code := m.Run(context.Background(), nil); code != exitError {
		t.Errorf("exit %d on an empty stdin, want %d; stderr %q", code, exitError, errb.String())
	}
	outW.Close()
	wantIn, wantOut := searchStdinBytes, searchStdoutBytes
	if runtime.GOOS != "linux" {
		wantIn, wantOut = 0, 0
	}
	if got := pipesize.Grow(inR, 0); got != wantIn {
		t.Errorf("stdin pipe: %d bytes, want %d", got, wantIn)
	}
	if got := pipesize.Grow(outR, 0); got != wantOut {
		t.Errorf("stdout pipe: %d bytes, want %d", got, wantOut)
	}
}
