package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/auditlog"
	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/internal/extended"
)

// ScanCommand runs a detection over audit log files, the offline
// counterpart of '... | kubeprivpod' in Splunk: the same detection, the
// same table.
type ScanCommand struct {
	Stdin          io.Reader // read for "-" or when no file is named
	Stdout, Stderr io.Writer
	// StdinIsTerminal makes a scan of stdin say that it waits for input.
	StdinIsTerminal bool

	// NewDetector makes the detection for a mode name.
	NewDetector func(mode string) (detect.Detector, error)

	// Width is the terminal width the table format fits its output to;
	// zero means defaultWidth.
	Width int

	// Schemas gives, per mode, the JSON type of each column for
	// --format json (jsonSchemas); a mode without one is written untyped.
	Schemas map[string]map[string]columnType
}

// defaultWidth is a common terminal width; wider tables are printed one
// block per row.
const defaultWidth = 120

// maxErrorsPerFile bounds the bad-document messages printed for one file
// (a binary file given by mistake would print one per line); the rest are
// counted.
const maxErrorsPerFile = 10

// scanStats counts what a scan read.
type scanStats struct {
	files, events int
	badDocs       int // documents skipped, with a message
	failedFiles   int // files that could not be opened or read to the end
	missingFiles  int // files that do not exist
}

// Run parses args and scans. Flags may come before or after the files.
func (c *ScanCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	mode := fs.String("mode", defaultMode, "")
	format := fs.String("format", "table", "")
	allowFile := fs.String("allowlist", "", "")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.Usage(c.Stdout)
				return nil
			}
			return usageErrorf("%v", err)
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			files = append(files, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
	newFormat, ok := formats[*format]
	if !ok {
		return usageErrorf("unknown format %q (want table, csv or json)", *format)
	}
	d, err := c.NewDetector(*mode)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := checkSPLOptions(files); err != nil {
		return err
	}
	var allow *extended.Allowlist
	if *allowFile != "" {
		if *mode != "extended" {
			return usageErrorf("--allowlist applies to --mode extended only")
		}
		if allow, err = readAllowlist(*allowFile); err != nil {
			return err
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	if c.StdinIsTerminal && slices.Contains(files, "-") {
		fmt.Fprintln(c.Stderr, "kubeprivpod: reading audit events from the terminal; end with Ctrl-D (files are named as arguments)")
	}

	var st scanStats
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.scanFile(ctx, d, name, &st)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	width := c.Width
	if width == 0 {
		width = defaultWidth
	}
	out := newFormat(c.Stdout, outputOptions{width: width, types: c.Schemas[*mode]})
	var rows int
	if allow != nil {
		// The allowlist marks rows of the whole table (extended mode only).
		rows, err = writeTableRows(out, allow.Apply(d.Result(), time.Now()))
	} else {
		rows, err = writeResult(d, out)
	}
	if err != nil {
		return err
	}
	for _, msg := range d.Messages() {
		fmt.Fprintf(c.Stderr, "kubeprivpod: warning: %s\n", msg)
	}
	if *format == "table" {
		fmt.Fprintf(c.Stderr, "kubeprivpod: %s scanned in %s: %s\n",
			plural(st.events, "event"), plural(st.files, "file"), plural(rows, "result"))
	}
	if st.badDocs > 0 || st.failedFiles > 0 || st.missingFiles > 0 {
		var parts []string
		if st.badDocs > 0 {
			parts = append(parts, plural(st.badDocs, "bad document")+" skipped")
		}
		if st.failedFiles > 0 {
			parts = append(parts, plural(st.failedFiles, "file")+" not read to the end")
		}
		if st.missingFiles > 0 {
			parts = append(parts, plural(st.missingFiles, "file")+" not found")
		}
		fmt.Fprintf(c.Stderr, "kubeprivpod: %s; the result covers the rest\n", strings.Join(parts, ", "))
		return errReported
	}
	return nil
}

// checkSPLOptions catches options written as in SPL ('scan mode=extended
// FILE'), which would otherwise be taken for a file name, scanned in the
// default mode and reported as a missing file. A file of that name that
// exists is scanned as usual.
func checkSPLOptions(files []string) error {
	for _, name := range files {
		key, value, ok := strings.Cut(name, "=")
		if !ok || (key != "mode" && key != "format") {
			continue
		}
		if _, err := os.Stat(name); err == nil {
			continue
		}
		return usageErrorf("%q is not a file; options are flags here: did you mean --%s %s?", name, key, value)
	}
	return nil
}

// scanFile feeds every event of one file to d, reporting bad documents
// and read errors on stderr.
func (c *ScanCommand) scanFile(ctx context.Context, d detect.Detector, name string, st *scanStats) {
	r, err := auditlog.Open(name, c.Stdin)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(c.Stderr, "kubeprivpod: %s: not found\n", name)
		st.missingFiles++
		return
	}
	if err != nil {
		fmt.Fprintf(c.Stderr, "kubeprivpod: %v\n", err)
		st.failedFiles++
		return
	}
	defer r.Close()
	st.files++
	bad := 0
	for n := 0; ; n++ {
		if n&0xfff == 0 && ctx.Err() != nil {
			return
		}
		ev, err := r.Next()
		if err == nil {
			d.AddEvent(ev)
			st.events++
			continue
		}
		if err == io.EOF {
			break
		}
		var pe *auditlog.ParseError
		if !errors.As(err, &pe) {
			fmt.Fprintf(c.Stderr, "kubeprivpod: %v\n", err)
			st.failedFiles++
			break
		}
		bad++
		if bad <= maxErrorsPerFile {
			fmt.Fprintf(c.Stderr, "kubeprivpod: skipped %v\n", err)
		}
	}
	if enc := r.Encoding(); enc != "" {
		fmt.Fprintf(c.Stderr, "kubeprivpod: %s: decoded from %s\n", r.Name(), enc)
	}
	if bad > maxErrorsPerFile {
		fmt.Fprintf(c.Stderr, "kubeprivpod: %s: %d more bad documents skipped\n", r.Name(), bad-maxErrorsPerFile)
	}
	st.badDocs += bad
}

// outputOptions is what the formats need besides the table.
type outputOptions struct {
	width int                   // table: the terminal's width
	types map[string]columnType // json: the mode's schema
}

// readAllowlist reads an allowlist file for --allowlist.
func readAllowlist(name string) (*extended.Allowlist, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return extended.ParseAllowlist(f, name)
}

// formats maps --format values to output formats.
var formats = map[string]func(w io.Writer, o outputOptions) rowFormat{
	"table": func(w io.Writer, o outputOptions) rowFormat { return &textFormat{w: w, width: o.width} },
	"csv":   func(w io.Writer, _ outputOptions) rowFormat { return newCSVFormat(w) },
	"json":  func(w io.Writer, o outputOptions) rowFormat { return newJSONFormat(w, o.types) },
}

// writeResult writes d's result through f and returns the number of rows.
// A detector that can write its rows one by one does, so that a large
// result is not built as a table first (the table format still gathers
// it to align the columns).
func writeResult(d detect.Detector, f rowFormat) (int, error) {
	rw, ok := d.(detect.RowsWriter)
	if !ok {
		return writeTableRows(f, d.Result())
	}
	cw := &rowCounter{RowWriter: f}
	if err := rw.WriteRows(cw); err != nil {
		return 0, err
	}
	if !cw.header {
		// No row: the formats still show the columns.
		t := d.Result()
		if err := f.WriteHeader(t.Columns, t.Multivalue()); err != nil {
			return 0, err
		}
	}
	return cw.rows, f.Close()
}

// writeTableRows writes the table t through f and returns its row count.
func writeTableRows(f rowFormat, t detect.Table) (int, error) {
	cw := &rowCounter{RowWriter: f}
	if err := detect.WriteTable(cw, t); err != nil {
		return 0, err
	}
	if !cw.header {
		if err := f.WriteHeader(t.Columns, t.Multivalue()); err != nil {
			return 0, err
		}
	}
	return cw.rows, f.Close()
}

// rowCounter passes rows on and counts them.
type rowCounter struct {
	detect.RowWriter
	header bool
	rows   int
}

func (c *rowCounter) WriteHeader(columns []string, multivalue []bool) error {
	c.header = true
	return c.RowWriter.WriteHeader(columns, multivalue)
}

func (c *rowCounter) Write(row [][]string) error {
	c.rows++
	return c.RowWriter.Write(row)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Usage writes the command's help.
func (c *ScanCommand) Usage(w io.Writer) {
	fmt.Fprintf(w, strings.TrimLeft(`
Usage: kubeprivpod scan [--mode MODE] [--format FORMAT] [FILE|-]...

Runs the detection over Kubernetes audit log files and prints the table the
Splunk search '... | kubeprivpod mode=MODE' would give for the same events.

Files may hold JSON lines, as the API server's log backend writes them,
audit EventList documents (one per line, or pretty-printed), JSON arrays
of events (gcloud logging read --format=json), or any mix; gzip, UTF-16
and UTF-32 are recognised by their content. --mode extended also reads
the cloud envelopes (GKE log entries, Pub/Sub messages, AKS and Event Hub
records, CloudWatch Logs subscription records). With no FILE, or with -,
it reads stdin. Bad documents are reported with their file and line and
skipped; a broken pretty-printed document costs only itself.

Options:

	--mode MODE       %s (default %s)
	                    escu: the ESCU search "Kubernetes Create or Update
	                    Privileged Pod", exactly
	                    extended: privileged pods from any client or
	                    controller, with the reasons
	--format FORMAT   table (default), csv (as Splunk exports), or json
	                  (one object per line)
	--allowlist FILE  with --mode extended: mark the rows an entry of FILE
	                  (kubeprivpod_allowlist.csv) allows, as the Splunk
	                  macro kubeprivpod_allowlist does (columns allowlisted,
	                  allowlist_note; no row is removed)

Exit status: 0 when every file was read; 1 when some input was bad or
unreadable (the result covers the rest, stderr says what was skipped);
2 for a usage error.
`, "\n"), strings.Join(modeNames, " or "), defaultMode)
}
