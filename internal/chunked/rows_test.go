package chunked

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// rowsCmd answers the final request through Response.Rows with the table
// tb, and counts how often Rows ran.
type rowsCmd struct {
	tb      table
	calls   int
	failAt  int  // the call of Rows (1-based) that fails
	change  bool // write one more row on the second call
	alsoOut bool // also write a row to Execute's RecordWriter
}

func (c *rowsCmd) GetInfo(*SearchInfo, bool) (*Metadata, error) {
	return &Metadata{Type: "reporting"}, nil
}

func (c *rowsCmd) Execute(req *Request, rows *RecordReader, out *RecordWriter) (*Response, error) {
	for rows.Next() {
	}
	resp := &Response{Finished: req.Finished}
	if !req.Finished {
		return resp, nil
	}
	if c.alsoOut {
		out.WriteHeader([]string{"x"}, nil)
		out.Write([][]string{{"1"}})
	}
	resp.Messages = []Message{Info("done")}
	resp.Rows = func(out *RecordWriter) error {
		c.calls++
		if c.calls == c.failAt {
			return errors.New("rows failed")
		}
		if err := writeTable(out, c.tb); err != nil {
			return err
		}
		if c.change && c.calls == 2 {
			return out.Write([][]string{{"extra"}})
		}
		return nil
	}
	return resp, nil
}

const reportingReply = "chunked 1.0,20,0\n{\"type\":\"reporting\"}"

// A reply written through Response.Rows is byte for byte the reply the
// same rows make through Execute's RecordWriter, whatever its size.
func TestServeRows(t *testing.T) {
	in := gi("") + frame(execMeta, "v\n1\n") + frame(execMetaDone, "v\n2\n")
	for _, rows := range []int{1, 3, 2000} {
		tb := benchTable(rows)
		var want bytes.Buffer
		w := NewWriter(&want)
		w.WriteChunk(&Metadata{Finished: Bool(false)}, nil)
		w.WriteChunk(&Metadata{Finished: Bool(true), Inspector: &Inspector{Messages: []Message{Info("done")}}}, referenceCSV(nil, tb))

		var out bytes.Buffer
		cmd := &rowsCmd{tb: tb}
		if err := Serve(strings.NewReader(in), &out, cmd); err != nil {
			t.Fatal(err)
		}
		if out.String() != reportingReply+want.String() {
			t.Errorf("%d rows: reply differs\n got %.300q\nwant %.300q", rows, out.String(), reportingReply+want.String())
		}
		if cmd.calls != 2 {
			t.Errorf("%d rows: Rows called %d times, want 2 (count, then write)", rows, cmd.calls)
		}
	}

	// No rows: no body, as for Execute's RecordWriter.
	var out bytes.Buffer
	if err := Serve(strings.NewReader(gi("")+frame(execMetaDone, "")), &out, &rowsCmd{tb: table{Columns: []string{"a"}}}); err != nil {
		t.Fatal(err)
	}
	if want := reportingReply + "chunked 1.0,60,0\n" + `{"finished":true,"inspector":{"messages":[["INFO","done"]]}}`; out.String() != want {
		t.Errorf("no rows: %q, want %q", out.String(), want)
	}
}

func TestServeRowsErrors(t *testing.T) {
	g := gi("")
	in := g + frame(execMetaDone, "")
	where := "chunk 1 (execute, byte offset " + fmt.Sprint(len(g)) + "): "

	// Failing while counting: nothing was sent, so splunkd gets the
	// usual error reply.
	var out bytes.Buffer
	err := Serve(strings.NewReader(in), &out, &rowsCmd{tb: benchTable(3), failAt: 1})
	if err == nil || err.Error() != where+"rows failed" || out.String() != reportingReply+errFrame(where+"rows failed") {
		t.Errorf("failing first call: %v\n%q", err, out.String())
	}

	// Rows and rows written to Execute's RecordWriter: refused.
	out.Reset()
	err = Serve(strings.NewReader(in), &out, &rowsCmd{tb: benchTable(3), alsoOut: true})
	if !errors.Is(err, ErrProtocol) || !strings.HasSuffix(out.String(), errFrame(err.Error())) {
		t.Errorf("rows both ways: %v\n%q", err, out.String())
	}

	// Failing or changing while writing: the header is out, the chunk is
	// broken, and the writer refuses anything more.
	for name, cmd := range map[string]*rowsCmd{
		"failing second call": {tb: benchTable(3), failAt: 2},
		"changing rows":       {tb: table{Columns: []string{"v"}, Rows: [][][]string{{{"a"}}}}, change: true},
	} {
		out.Reset()
		err := Serve(strings.NewReader(in), &out, cmd)
		if err == nil || strings.Contains(out.String(), `"ERROR"`) {
			t.Errorf("%s: %v\n%q", name, err, out.String())
		}
		if name == "changing rows" && !errors.Is(err, errRowsChanged) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestServeRowsMemory is the point of Response.Rows: a 30 MB reply is
// written without the process allocating anything near its size.
func TestServeRowsMemory(t *testing.T) {
	tb := benchTable(20000) // ≈ 10 MB of CSV …
	big := make([][][]string, 0, 3*len(tb.Rows))
	for range 3 {
		big = append(big, tb.Rows...) // … three times over
	}
	tb.Rows = big
	in := gi("") + frame(execMetaDone, "")
	var n countWriter
	out := bufio.NewWriterSize(&n, 64<<10)
	cmd := &rowsCmd{tb: tb}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := Serve(strings.NewReader(in), out, cmd); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	if n.n < 30e6 || alloc > 2<<20 {
		t.Errorf("reply of %d bytes allocated %d bytes; want a 30 MB reply in under 2 MiB", n.n, alloc)
	}
}
