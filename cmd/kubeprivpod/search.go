package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/chunked"
	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// commandName is the command's name in SPL, used to build its own
// streaming_preop.
const commandName = "kubeprivpod"

// The phases of a reporting command. splunkd starts the reduce process for
// the command in the search; that process asks for a map process (our own
// streaming_preop) that runs on the indexers, next to the data.
const (
	phaseMap    = "map"
	phaseReduce = "reduce"
)

// rawField is Splunk's field holding the event text.
const rawField = "_raw"

// partialField is the column in which a map-phase process hands its
// partial state to the reduce phase. Its content is private to the mode
// that wrote it.
const partialField = "__kubeprivpod_partial"

// SearchCommand is kubeprivpod as splunkd runs it: the search command
// '... | kubeprivpod [mode=MODE]', speaking the chunked protocol
// (internal/chunked) on Stdin and Stdout and driving one detection
// (internal/detect) through Splunk's map and reduce phases.
type SearchCommand struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// NewDetector makes the detection for a mode name.
	NewDetector func(mode string) (detect.Detector, error)
}

// Run serves one splunkd conversation. It returns nil after a normal end
// and the error otherwise, which splunkd was already told in an inspector
// message.
func (c *SearchCommand) Run() error {
	in := &firstBytes{r: c.Stdin}
	out := bufio.NewWriterSize(c.Stdout, 64<<10)
	err := chunked.Serve(in, out, &searchSession{newDetector: c.NewDetector})
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	var ce *chunked.ChunkError
	if errors.As(err, &ce) && ce.Chunk == 0 && errors.Is(err, chunked.ErrHeader) && in.looksLikeAuditLog() {
		// Someone ran 'kubeprivpod < audit.log': say what they wanted.
		err = fmt.Errorf("%w\nthe input looks like audit events, not splunkd's search-command protocol: to scan them, use `kubeprivpod scan -` (or kubeprivpod scan FILE)", err)
	}
	return err
}

// firstBytes remembers the first bytes read through it, so an input that
// is not the protocol at all can be recognised after the fact.
type firstBytes struct {
	r    io.Reader
	head []byte
}

func (f *firstBytes) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if len(f.head) < 16 {
		f.head = append(f.head, p[:min(n, 16-len(f.head))]...)
	}
	return n, err
}

// looksLikeAuditLog reports whether the input starts as a JSON document
// (audit events, an EventList) or a gzip stream (a rotated log) would.
func (f *firstBytes) looksLikeAuditLog() bool {
	h := bytes.TrimLeft(f.head, " \t\r\n\ufeff")
	return len(h) > 0 && (h[0] == '{' || h[0] == '[') || bytes.HasPrefix(f.head, []byte{0x1f, 0x8b})
}

// searchSession implements chunked.Command for one process of the search.
type searchSession struct {
	newDetector func(mode string) (detect.Detector, error)

	mode  string
	phase string
	det   detect.Detector

	// Column positions in the current chunk, looked up once per chunk.
	raw, partial int
}

// GetInfo validates the arguments and tells splunkd how to run this phase.
func (s *searchSession) GetInfo(info *chunked.SearchInfo, preview bool) (*chunked.Metadata, error) {
	args, err := chunked.ParseArgs(info.Args, "mode", "phase")
	if err != nil {
		return nil, err
	}
	if len(args.Positional) > 0 {
		return nil, fmt.Errorf("unexpected argument %q; usage: kubeprivpod [mode=%s]", args.Positional[0], strings.Join(modeNames, "|"))
	}
	s.mode = defaultMode
	if m, ok := args.Options["mode"]; ok {
		s.mode = m
	}
	s.phase = phaseReduce
	if p, ok := args.Options["phase"]; ok {
		if p != phaseMap && p != phaseReduce {
			return nil, fmt.Errorf("invalid phase=%q (phase is internal: %s or %s)", p, phaseMap, phaseReduce)
		}
		s.phase = p
	}
	if s.det, err = s.newDetector(s.mode); err != nil {
		return nil, fmt.Errorf("invalid mode=%s: %w", s.mode, err)
	}
	if s.phase == phaseMap {
		// Runs on the indexers: needs only the event text.
		return &chunked.Metadata{Type: "streaming", RequiredFields: []string{rawField}}, nil
	}
	return &chunked.Metadata{
		Type: "reporting",
		// The reduce process accepts the partials of its map processes and
		// also raw events, for searches where splunkd runs no preop.
		StreamingPreop: fmt.Sprintf("%s phase=%s mode=%s", commandName, phaseMap, s.mode),
		RequiredFields: []string{rawField, partialField},
	}, nil
}

// partialHeader is the map phase's one column.
var partialHeader = []string{partialField}

// Execute feeds one chunk of rows to the detection. The map phase answers
// each chunk with its partial rows; the reduce phase accumulates until the
// final request and then answers with the table.
func (s *searchSession) Execute(req *chunked.Request, rows *chunked.RecordReader, out *chunked.RecordWriter) (*chunked.Response, error) {
	if err := s.consume(rows); err != nil {
		return nil, err
	}
	resp := &chunked.Response{Finished: req.Finished}
	if s.phase == phaseMap {
		header := false
		err := s.det.Flush(func(p []byte) error {
			if !header {
				header = true
				if err := out.WriteHeader(partialHeader, nil); err != nil {
					return err
				}
			}
			return out.WriteFields(p)
		})
		return resp, err
	}
	if !req.Finished {
		return resp, nil
	}
	// The table can be large (one row per group, over every event of the
	// search): written twice straight to stdout rather than held a second
	// time as a reply body, and straight from the detector's groups when
	// it can write them row by row.
	if rw, ok := s.det.(detect.RowsWriter); ok {
		resp.Rows = func(out *chunked.RecordWriter) error { return rw.WriteRows(out) }
	} else if t := s.det.Result(); len(t.Rows) > 0 {
		resp.Rows = func(out *chunked.RecordWriter) error { return detect.WriteTable(out, t) }
	}
	for _, m := range s.det.Messages() {
		resp.Messages = append(resp.Messages, chunked.Warn(m))
	}
	return resp, nil
}

// The reply's record writer and scan's formats take rows from a
// detect.RowsWriter.
var (
	_ detect.RowWriter = (*chunked.RecordWriter)(nil)
	_ rowFormat        = (*csvFormat)(nil)
	_ rowFormat        = (*jsonFormat)(nil)
	_ rowFormat        = (*textFormat)(nil)
)

// errNoRaw is returned when splunkd sends rows the command cannot read.
var errNoRaw = errors.New("input has neither a _raw field nor kubeprivpod partial results; run kubeprivpod on raw audit events")

// csvFieldAdder is a detector that takes _raw as its CSV cell, quoting and
// all, and rejects most events without unquoting them (escu.Detector).
type csvFieldAdder interface {
	AddCSVField(field []byte, quoted bool)
}

func (s *searchSession) consume(rows *chunked.RecordReader) error {
	cells, _ := s.det.(csvFieldAdder)
	rows.SetLazy(cells != nil)
	header, err := rows.Header()
	if err != nil {
		return err
	}
	s.raw, s.partial = rows.Index(rawField), -1
	if s.phase == phaseReduce {
		s.partial = rows.Index(partialField)
	}
	for rows.Next() {
		if s.partial >= 0 {
			if p := rows.Field(s.partial); len(p) > 0 {
				if err := s.det.AddPartial(p); err != nil {
					return fmt.Errorf("row %d: %s: %w", rows.Row(), partialField, err)
				}
				continue
			}
		}
		if s.raw < 0 {
			return fmt.Errorf("row %d: %w (columns: %s)", rows.Row(), errNoRaw, strings.Join(header, ", "))
		}
		if cells != nil {
			cells.AddCSVField(rows.Cell(s.raw))
			continue
		}
		s.det.AddEvent(rows.Field(s.raw))
	}
	return rows.Err()
}
