// Package searchcmd is the kubeprivpod search command as splunkd runs it:
// it speaks the chunked protocol (internal/chunked) on stdin and stdout and
// drives one detection (internal/detect) through Splunk's map and reduce
// phases. It is the only place where the two meet.
package searchcmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/chunked"
	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/internal/modes"
	"github.com/kubeprivpod/kubeprivpod/internal/table"
)

// Name is the command's name in SPL, used to build its own streaming_preop.
const Name = "kubeprivpod"

// The phases of a reporting command. splunkd starts the reduce process for
// the command in the search; that process asks for a map process (our own
// streaming_preop) that runs on the indexers, next to the data.
const (
	phaseMap    = "map"
	phaseReduce = "reduce"
)

// rawField is Splunk's field holding the event text.
const rawField = "_raw"

// Run serves one splunkd conversation and returns the process exit code:
// 0 after a normal end, 1 after an error that was reported to splunkd.
func Run(stdin io.Reader, stdout, stderr io.Writer) int {
	out := bufio.NewWriterSize(stdout, 64<<10)
	err := chunked.Serve(stdin, out, &Command{New: modes.New}) // chunked.NewReader buffers; a second buffer would copy every byte once more
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		// stderr lands in search.log; the user already saw the inspector message.
		fmt.Fprintf(stderr, "kubeprivpod: %v\n", err)
		return 1
	}
	return 0
}

// Command implements chunked.Command for one process of the search. Its
// zero value is not usable: New must be set.
type Command struct {
	// New creates the detection for a mode name (modes.New in production).
	New func(mode string) (detect.Detector, error)

	mode  string
	phase string
	det   detect.Detector

	// Column positions in the current chunk, looked up once per chunk.
	cols columns
}

type columns struct {
	raw, partial int
}

// GetInfo validates the arguments and tells splunkd how to run this phase.
func (c *Command) GetInfo(info *chunked.SearchInfo, preview bool) (*chunked.Metadata, error) {
	args, err := chunked.ParseArgs(info.Args, "mode", "phase")
	if err != nil {
		return nil, err
	}
	if len(args.Positional) > 0 {
		return nil, fmt.Errorf("unexpected argument %q; usage: kubeprivpod [mode=%s]", args.Positional[0], strings.Join(modes.Names, "|"))
	}
	c.mode = modes.Default
	if m, ok := args.Options["mode"]; ok {
		c.mode = m
	}
	c.phase = phaseReduce
	if p, ok := args.Options["phase"]; ok {
		if p != phaseMap && p != phaseReduce {
			return nil, fmt.Errorf("invalid phase=%q (phase is internal: %s or %s)", p, phaseMap, phaseReduce)
		}
		c.phase = p
	}
	if c.det, err = c.New(c.mode); err != nil {
		return nil, fmt.Errorf("invalid mode=%s: %w", c.mode, err)
	}
	if c.phase == phaseMap {
		// Runs on the indexers: needs only the event text.
		return &chunked.Metadata{Type: "streaming", RequiredFields: []string{rawField}}, nil
	}
	return &chunked.Metadata{
		Type: "reporting",
		// The reduce process accepts the partials of its map processes and
		// also raw events, for searches where splunkd runs no preop.
		StreamingPreop: fmt.Sprintf("%s phase=%s mode=%s", Name, phaseMap, c.mode),
		RequiredFields: []string{rawField, detect.PartialField},
	}, nil
}

// Execute feeds one chunk of rows to the detection. The map phase answers
// each chunk with its partial rows; the reduce phase accumulates until the
// final request and then answers with the table.
func (c *Command) Execute(req *chunked.Request, rows *chunked.RecordReader) (*chunked.Response, error) {
	if err := c.consume(rows); err != nil {
		return nil, err
	}
	resp := &chunked.Response{Finished: req.Finished}
	if c.phase == phaseMap {
		t := table.Table{Columns: []string{detect.PartialField}}
		err := c.det.Flush(func(p []byte) error {
			t.Rows = append(t.Rows, table.Row{{string(p)}})
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(t.Rows) > 0 {
			resp.Table = &t
		}
		return resp, nil
	}
	if !req.Finished {
		return resp, nil
	}
	t := c.det.Result()
	resp.Table = &t
	for _, m := range c.det.Messages() {
		resp.Messages = append(resp.Messages, chunked.Warn(m))
	}
	return resp, nil
}

// errNoRaw is returned when splunkd sends rows the command cannot read.
var errNoRaw = errors.New("input has neither a _raw field nor kubeprivpod partial results; run kubeprivpod on raw audit events")

// csvFieldAdder is a detector that takes _raw as its CSV cell, quoting and
// all, and rejects most events without unquoting them (escu.Detector).
type csvFieldAdder interface {
	AddCSVField(field []byte, quoted bool)
}

func (c *Command) consume(rows *chunked.RecordReader) error {
	cells, _ := c.det.(csvFieldAdder)
	rows.SetLazy(cells != nil)
	header, err := rows.Header()
	if err != nil {
		return err
	}
	c.cols = columns{raw: rows.Index(rawField), partial: -1}
	if c.phase == phaseReduce {
		c.cols.partial = rows.Index(detect.PartialField)
	}
	for rows.Next() {
		if c.cols.partial >= 0 {
			if p := rows.Field(c.cols.partial); len(p) > 0 {
				if err := c.det.AddPartial(p); err != nil {
					return fmt.Errorf("row %d: %s: %w", rows.Row(), detect.PartialField, err)
				}
				continue
			}
		}
		if c.cols.raw < 0 {
			return fmt.Errorf("row %d: %w (columns: %s)", rows.Row(), errNoRaw, strings.Join(header, ", "))
		}
		if cells != nil {
			cells.AddCSVField(rows.Cell(c.cols.raw))
			continue
		}
		c.det.AddEvent(rows.Field(c.cols.raw))
	}
	return rows.Err()
}
