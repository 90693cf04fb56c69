package chunked

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
)

// countCmd is a streaming command that answers each execute request with
// the number of rows it read and the distinct values of column "v"
// (multivalue), and no body when the request had no rows.
type countCmd struct {
	readRows  int // rows to read per request, 0 = all
	failAt    int // execute request (1-based) at which Execute fails
	panicAt   int
	finishAt  int  // execute request at which the reply says finished
	ignoreErr bool // return without looking at rows.Err
	anyArgs   bool // accept any arguments
	executes  int
}

func (c *countCmd) GetInfo(info *SearchInfo, preview bool) (*Metadata, error) {
	var args Args
	if !c.anyArgs {
		var err error
		if args, err = ParseArgs(info.Args, "mode"); err != nil {
			return nil, err
		}
	}
	m := &Metadata{Type: "streaming", RequiredFields: []string{"v"}}
	if args.Options["mode"] == "preview" && preview {
		m.RunInPreview = Bool(false)
	}
	return m, nil
}

func (c *countCmd) Execute(req *Request, rows *RecordReader, out *RecordWriter) (*Response, error) {
	c.executes++
	if c.executes == c.failAt {
		return nil, errors.New("boom")
	}
	if c.executes == c.panicAt {
		var rows []int
		_ = rows[c.executes] // a runtime error, as a bug would cause
	}
	v := rows.Index("v")
	n := 0
	var vals []string
	for (c.readRows == 0 || n < c.readRows) && rows.Next() {
		n++
		for _, x := range rows.Values(v) {
			vals = append(vals, string(x))
		}
	}
	if !c.ignoreErr && rows.Err() != nil {
		return nil, rows.Err()
	}
	resp := &Response{Finished: req.Finished || c.executes == c.finishAt}
	if n > 0 {
		out.WriteHeader([]string{"rows", "v"}, []bool{false, len(vals) > 1})
		if err := out.Write([][]string{{strconv.Itoa(n)}, vals}); err != nil {
			return nil, err
		}
		resp.Messages = []Message{Info(fmt.Sprintf("read %d rows", n))}
	}
	return resp, nil
}

const (
	execMeta     = `{"action":"execute","finished":false}`
	execMetaDone = `{"action":"execute","finished":true}`
)

func gi(args string) string {
	return frame(`{"action":"getinfo","preview":false,"searchinfo":{"args":[`+args+`],"earliest_time":"0","latest_time":"0"}}`, "")
}

func errFrame(text string) string {
	js, _ := json.Marshal(text)
	meta := `{"finished":true,"inspector":{"messages":[["ERROR",` + string(js) + `]]}}`
	return "chunked 1.0," + strconv.Itoa(len(meta)) + ",0\n" + meta
}

const getinfoReply = "chunked 1.0,44,0\n{\"type\":\"streaming\",\"required_fields\":[\"v\"]}"

func TestServeSession(t *testing.T) {
	in := gi(`"mode=fast"`) +
		frame(execMeta, "v,\"_chunked_idx\",\"__mv_v\",\"__mv__chunked_idx\"\nx,0,,\n\"a\nb\",1,$a$;$b$,\n") +
		frame(execMeta, "v,\"_chunked_idx\",\"__mv_v\",\"__mv__chunked_idx\"\n") + // header only
		frame(execMeta, "") + // empty body
		frame(execMetaDone, "v,\"_chunked_idx\",\"__mv_v\",\"__mv__chunked_idx\"\r\ny,3,,\r\n") // rows in the final request
	want := getinfoReply +
		"chunked 1.0,68,38\n" + `{"finished":false,"inspector":{"messages":[["INFO","read 2 rows"]]}}` +
		"rows,v,__mv_v\r\n2,\"x\na\nb\",$x$;$a$;$b$\r\n" +
		"chunked 1.0,18,0\n{\"finished\":false}" +
		"chunked 1.0,18,0\n{\"finished\":false}" +
		"chunked 1.0,67,13\n" + `{"finished":true,"inspector":{"messages":[["INFO","read 1 rows"]]}}` +
		"rows,v\r\n1,y\r\n"
	for how, src := range readers(in) {
		t.Run(how, func(t *testing.T) {
			var out bytes.Buffer
			if err := Serve(src(), &out, &countCmd{}); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Errorf("got\n%q\nwant\n%q", out.String(), want)
			}
		})
	}
}

func TestServeCleanEnds(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cmd  *countCmd
		want string
	}{
		{"EOF after getinfo", gi(""), &countCmd{}, getinfoReply},
		{"stray newline after getinfo", gi("") + "\n", &countCmd{}, getinfoReply},
		{"command reads part of the rows", gi("") + frame(execMeta, "v\n1\n2\n3\n") + frame(execMetaDone, "v\n4\n"),
			&countCmd{readRows: 1}, getinfoReply +
				"chunked 1.0,68,13\n" + `{"finished":false,"inspector":{"messages":[["INFO","read 1 rows"]]}}` + "rows,v\r\n1,1\r\n" +
				"chunked 1.0,67,13\n" + `{"finished":true,"inspector":{"messages":[["INFO","read 1 rows"]]}}` + "rows,v\r\n1,4\r\n"},
		{"finished reply stops reading", gi("") + frame(execMeta, "") + "garbage that is never read",
			&countCmd{finishAt: 1}, getinfoReply + "chunked 1.0,17,0\n{\"finished\":true}"},
		{"EOF without a finished request", gi("") + frame(execMeta, ""), &countCmd{},
			getinfoReply + "chunked 1.0,18,0\n{\"finished\":false}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := Serve(strings.NewReader(tc.in), &out, tc.cmd); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", out.String(), tc.want)
			}
		})
	}
}

func TestServeErrors(t *testing.T) {
	g := gi("")
	off := strconv.Itoa(len(g))
	tests := []struct {
		name    string
		in      string
		cmd     *countCmd
		replies string // replies before the error reply
		err     error
		text    string
	}{
		{"malformed header", g + "chunked 1.0;37;0\n" + execMeta, &countCmd{}, getinfoReply, ErrHeader,
			`chunk 1 (byte offset ` + off + `): malformed chunk header: "chunked 1.0;37;0\n"`},
		{"length past the end", g + "chunked 1.0,37,500\n" + execMeta + "v\n1\n", &countCmd{}, getinfoReply, ErrTruncated,
			`chunk 1 (execute, byte offset ` + off + `): input ends inside a chunk: body has 4 of its 500 bytes`},
		{"length past the end, body unread", g + "chunked 1.0,37,500\n" + execMeta + "v\n1\n", &countCmd{readRows: 1, ignoreErr: true},
			getinfoReply, ErrTruncated,
			`chunk 1 (execute, byte offset ` + off + `): input ends inside a chunk: body has 4 of its 500 bytes`},
		{"metadata past the end", g + "chunked 1.0,99,0\n" + execMeta, &countCmd{}, getinfoReply, ErrTruncated,
			`chunk 1 (byte offset ` + off + `): input ends inside a chunk: metadata has 37 of its 99 bytes`},
		{"non-JSON metadata", g + frame(`{"action":execute}`, ""), &countCmd{}, getinfoReply, ErrMetadata,
			`chunk 1 (byte offset ` + off + `): invalid chunk metadata: invalid character 'e' looking for beginning of value`},
		{"broken CSV", g + frame(execMeta, "v\n1\n2\nx\"y\n"), &countCmd{}, getinfoReply, ErrBareQuote,
			`chunk 1 (execute, byte offset ` + off + `): body row 3 line 4 column 2: bare " in non-quoted field`},
		{"broken CSV the command ignored", g + frame(execMeta, "v,w\n1\n"), &countCmd{ignoreErr: true}, getinfoReply, ErrFieldCount,
			`chunk 1 (execute, byte offset ` + off + `): body row 1 line 2 column 1: wrong number of fields: row has 1, header has 2`},
		{"empty input", "", &countCmd{}, "", ErrNoGetinfo,
			`chunk 0 (byte offset 0): expected a getinfo request first: the input is empty`},
		{"execute before getinfo", frame(execMeta, "v\n1\n") + g, &countCmd{}, "", ErrNoGetinfo,
			`chunk 0 (execute, byte offset 0): expected a getinfo request first, got "execute"`},
		{"getinfo with a body", "chunked 1.0,62,3\n" + `{"action":"getinfo","searchinfo":{"args":[]},"finished":false}` + "abc",
			&countCmd{}, "", ErrProtocol, `chunk 0 (getinfo, byte offset 0): protocol violation: getinfo request with a 3-byte body`},
		{"second getinfo", g + g, &countCmd{}, getinfoReply, ErrProtocol,
			`chunk 1 (getinfo, byte offset ` + off + `): protocol violation: unexpected "getinfo" request after getinfo`},
		{"unknown option", gi(`"mode=x","total=total"`), &countCmd{}, "", ErrOption,
			`chunk 0 (getinfo, byte offset 0): invalid option: unknown option "total" in "total=total" (allowed: mode)`},
		{"execute fails", g + frame(execMeta, "") + frame(execMetaDone, ""), &countCmd{failAt: 2},
			getinfoReply + "chunked 1.0,18,0\n{\"finished\":false}", nil,
			`chunk 2 (execute, byte offset ` + strconv.Itoa(len(g)+len(frame(execMeta, ""))) + `): boom`},
		{"execute panics", g + frame(execMeta, ""), &countCmd{panicAt: 1}, getinfoReply, ErrPanic,
			`chunk 1 (execute, byte offset ` + off + `): command panicked: runtime error: index out of range [1] with length 0`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := Serve(strings.NewReader(tc.in), &out, tc.cmd)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("error %v does not wrap %v", err, tc.err)
			}
			var ce *ChunkError
			if !errors.As(err, &ce) {
				t.Errorf("error %v is not a *ChunkError", err)
			}
			if err.Error() != tc.text {
				t.Errorf("error\n got %s\nwant %s", err, tc.text)
			}
			if want := tc.replies + errFrame(tc.text); out.String() != want {
				t.Errorf("output\n got %q\nwant %q", out.String(), want)
			}
		})
	}
}

// TestServeErrorReplyBytes pins one error reply byte for byte, without
// the test's own JSON encoding.
func TestServeErrorReplyBytes(t *testing.T) {
	var out bytes.Buffer
	Serve(strings.NewReader(gi(`"bad=1"`)), &out, &countCmd{})
	want := "chunked 1.0,158,0\n" + `{"finished":true,"inspector":{"messages":[["ERROR","chunk 0 (getinfo, byte offset 0): invalid option: unknown option \"bad\" in \"bad=1\" (allowed: mode)"]]}}`
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
}

// deadWriter fails every write, like a closed stdout.
type deadWriter struct{}

func (deadWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestServeOutputGone(t *testing.T) {
	err := Serve(strings.NewReader(gi("")+frame(execMeta, "")), deadWriter{}, &countCmd{})
	if !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("got %v", err)
	}
}

// TestServePreview checks that getinfo's preview flag reaches GetInfo.
func TestServePreview(t *testing.T) {
	in := frame(`{"action":"getinfo","preview":true,"searchinfo":{"args":["mode=preview"]}}`, "")
	var out bytes.Buffer
	if err := Serve(strings.NewReader(in), &out, &countCmd{}); err != nil {
		t.Fatal(err)
	}
	want := "chunked 1.0,67,0\n" + `{"type":"streaming","required_fields":["v"],"run_in_preview":false}`
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}
