// Command kubeprivpod finds privileged Kubernetes pods in audit events, as a
// Splunk search command and as an offline scanner.
//
// Run by splunkd (no arguments, stdin a pipe), it speaks the chunked
// search-command protocol. Run by a person, it takes a subcommand:
// scan, version or help.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/pipesize"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	m := &Main{
		Stdin:           os.Stdin,
		Stdout:          os.Stdout,
		Stderr:          os.Stderr,
		StdinIsTerminal: isTerminal(os.Stdin),
		Width:           widthFromEnv(os.Getenv("COLUMNS")),
	}
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Main is the program with its environment as data, so tests run it
// without a process or a terminal.
type Main struct {
	Stdin           io.Reader
	Stdout, Stderr  io.Writer
	StdinIsTerminal bool
	// Width is the terminal width for table output; zero means a default.
	Width int

	// Serve, when set, replaces the search command (SearchCommand) that
	// answers splunkd; tests set it to see that it was chosen.
	Serve func(stdin io.Reader, stdout, stderr io.Writer) int
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command ran but something failed (see stderr)
	exitUsage = 2 // the command line was wrong
)

// errUsage marks an error in the command line: exit 2 after the usage.
type errUsage struct{ msg string }

// Error returns the message.
func (e *errUsage) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &errUsage{fmt.Sprintf(format, args...)}
}

// errReported is returned by a command that already told the user what
// went wrong, so main only sets the exit code.
var errReported = errors.New("reported")

// action is what the program does for its arguments and stdin.
type action int

const (
	actionServe   action = iota // speak the chunked protocol to splunkd
	actionUsage                 // a person ran it bare: explain, do not wait for splunkd
	actionCommand               // run the subcommand in args[0]
)

// chooseAction decides what to do. splunkd starts the command with no
// arguments and a pipe on stdin; a person trying the binary at a terminal
// would otherwise see it hang waiting for splunkd.
func chooseAction(args []string, stdinIsTerminal bool) action {
	switch {
	case len(args) > 0:
		return actionCommand
	case stdinIsTerminal:
		return actionUsage
	default:
		return actionServe
	}
}

// widthFromEnv reads $COLUMNS, which shells set for the terminal's width
// when exported; zero when absent or not a width.
func widthFromEnv(columns string) int {
	n, err := strconv.Atoi(strings.TrimSpace(columns))
	if err != nil || n < 20 || n > 10000 {
		return 0
	}
	return n
}

// isTerminal reports whether f is a character device, such as a
// terminal. (/dev/null is one too, which is fine: splunkd never uses it.)
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Run runs the program and returns its exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	switch chooseAction(args, m.StdinIsTerminal) {
	case actionServe:
		if m.Serve != nil {
			return m.Serve(m.Stdin, m.Stdout, m.Stderr)
		}
		return m.search()
	case actionUsage:
		m.usage(m.Stderr)
		return exitUsage
	}
	var err error
	switch name, rest := args[0], args[1:]; name {
	case "scan":
		err = m.scanCommand().Run(ctx, rest)
	case "version", "--version", "-version":
		err = (&VersionCommand{Stdout: m.Stdout}).Run(ctx, rest)
	case "help", "-h", "-help", "--help":
		return m.help(rest)
	default:
		fmt.Fprintf(m.Stderr, "kubeprivpod: unknown command %q\n\n", name)
		m.usage(m.Stderr)
		return exitUsage
	}
	name := args[0]
	if strings.HasPrefix(name, "-") {
		name = strings.TrimLeft(name, "-") // --version reports as version
	}
	return m.exitCode(name, err)
}

// exitCode reports err of the named command and returns the exit code.
func (m *Main) exitCode(name string, err error) int {
	var ue *errUsage
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(m.Stderr, "kubeprivpod %s: %v\nRun 'kubeprivpod help %s' for usage.\n", name, err, name)
		return exitUsage
	case errors.Is(err, errReported):
		return exitError
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(m.Stderr, "kubeprivpod: interrupted\n")
		return exitError
	default:
		fmt.Fprintf(m.Stderr, "kubeprivpod: %v\n", err)
		return exitError
	}
}

// searchStdinBytes and searchStdoutBytes are the capacities asked for
// stdin and stdout when they are pipes, against Linux's 64 KiB. Through a
// 64 KiB pipe the command waits to be woken after every 64 KiB splunkd
// writes, and in a virtual machine those wake-ups cost more than reading
// the bytes: the default mode read 0.8–1.1 GB/s of events through 64 KiB
// and 1.1–1.5 GB/s through 256 KiB; a 1 MiB stdin, which the CSV reader
// drains in one read (chunked's readBuffer), took another 11–14% off its
// time (BENCHMARKS.md). Replies are small, so stdout keeps 256 KiB: each
// concurrent search holds both pipes, and a user past 16,384 pages of
// pipes (/proc/sys/fs/pipe-user-pages-soft) gets two-page pipes from then
// on, splunkd's included (docs/admin.md).
const (
	searchStdinBytes  = 1 << 20
	searchStdoutBytes = 256 << 10
)

// search runs the search command for splunkd.
func (m *Main) search() int {
	if f, ok := m.Stdin.(*os.File); ok {
		pipesize.Grow(f, searchStdinBytes)
	}
	if f, ok := m.Stdout.(*os.File); ok {
		pipesize.Grow(f, searchStdoutBytes)
	}
	c := &SearchCommand{Stdin: m.Stdin, Stdout: m.Stdout, Stderr: m.Stderr, NewDetector: newDetector}
	if err := c.Run(); err != nil {
		// stderr lands in search.log; the user already saw the inspector message.
		fmt.Fprintf(m.Stderr, "kubeprivpod: %v\n", err)
		return exitError
	}
	return exitOK
}

func (m *Main) scanCommand() *ScanCommand {
	return &ScanCommand{Stdin: m.Stdin, Stdout: m.Stdout, Stderr: m.Stderr, NewDetector: newDetector, Width: m.Width, StdinIsTerminal: m.StdinIsTerminal,
		Schemas: jsonSchemas}
}

func (m *Main) help(args []string) int {
	if len(args) == 0 {
		m.usage(m.Stdout)
		return exitOK
	}
	switch args[0] {
	case "scan":
		m.scanCommand().Usage(m.Stdout)
	case "version", "--version":
		(&VersionCommand{}).Usage(m.Stdout)
	default:
		fmt.Fprintf(m.Stderr, "kubeprivpod help: unknown command %q\n", args[0])
		return exitUsage
	}
	return exitOK
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprint(w, strings.TrimLeft(`
kubeprivpod finds privileged Kubernetes pods in API-server audit events.

Usage:

	kubeprivpod <command> [arguments]

Commands:

	scan      run the detection over audit log files and print the result
	version   print the version (also --version)
	help      show this text, or the help of a command (also -h, --help)

In Splunk, the app runs kubeprivpod with no arguments as the search command
'... | kubeprivpod [mode=escu|extended]', speaking the chunked protocol on
stdin and stdout. Started by hand with no arguments, it prints this text.

Run 'kubeprivpod help <command>' for more about a command.
`, "\n"))
}
