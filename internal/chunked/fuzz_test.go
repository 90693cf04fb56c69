package chunked

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

var csvSeeds = []string{
	"",
	"a,b\n",
	"\"_serial\",\"_time\",text,\"__mv__serial\",\"__mv__time\",\"__mv_text\"\n0,1380899494,\"excellent review\",,,\n",
	"a,b\n\"x\ny\",\"say \"\"hi\"\"\"\n",
	"a,b\r\n1,2\r\n\"3\",\"4\"\r\n",
	"a\n\"x\r\ny\"\n",
	"a,b\n1,",
	"\n\na,b\n\n1,2\r\n\r\n3,4\n\n",
	"a\n\"\"\n",
	"a,b\n\xff\xfe,\"\xc3\x28\"\n",
	"\"_raw\",\"__mv__raw\"\n\"{\"\"kind\"\":\"\"Event\"\",\"\"a\"\":[\"\"\"\"]}\",\n",
	"a,b\nx,y\"z\n",
	"a,b\n\"x\"y,2\n",
	"a,b\n3,\"abc\n\n",
	"a,b\n1,2,3\n",
	"a,b,\"__mv_a\"\n\"x\ny\",1,\"$x$;$y$\"\n\"\nx\",4,\"$$;$x$\"\nz,5,$a$$$;$b$\nq,6,$broken\n",
	"a\n\"x\"\"\"\n\"\"\"\"\"\"\n",
	"a\n\"0123456789\"\"abcdefgh\"\"\"\"ijklmnop\"\"\"\n",
	"a,b\n\"x\"\r",
	"a\r",
	"a,b\n\"1234567\"\"12345678\"\"\"\"1\"\"2\"\"3\"\"\"\"\"\"\"\"\"\"abcdefghijklm\"\"\"\",x\n\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"x\",y\n",
}

func init() {
	// A realistic row: the fast paths of the quoted-field decoder.
	csvSeeds = append(csvSeeds, string(benchBody(2, true)))
	// Unquoted fields of every length up to five words, each stop byte
	// after them (plainEnd's words and the byte-by-byte start before
	// them), and bare quotes in long ones.
	var b strings.Builder
	b.WriteString("a,b\n")
	for n := range 41 {
		fmt.Fprintf(&b, "%s,%d\n", strings.Repeat("+-#!", 11)[:n], n)
	}
	csvSeeds = append(csvSeeds, b.String(), "a,b\n0123456789abcdefghij\n",
		"a,b\n0123456789x\"y,1\n", "a,b\n0123456789abcdefghijk\"\n")
}

// FuzzRecordReader checks the CSV reader never panics or hangs, gives the
// same result however the input is split into reads, and agrees with
// encoding/csv wherever the dialects agree: no CR (encoding/csv turns
// quoted CRLF into LF) and no __mv_ column names (those columns are not
// plain fields here).
func FuzzRecordReader(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		type result struct {
			header []string
			rows   [][]string
			vals   [][][]string
			err    string
		}
		read := func(r io.Reader) result {
			rr := NewRecordReader(r)
			var res result
			var err error
			res.header, err = rr.Header()
			for err == nil && rr.Next() {
				row := make([]string, len(res.header))
				var vals [][]string
				for i := range res.header {
					row[i] = string(rr.Field(i))
					var v []string
					for _, x := range rr.Values(i) {
						v = append(v, string(x))
					}
					vals = append(vals, v)
				}
				res.rows = append(res.rows, row)
				res.vals = append(res.vals, vals)
			}
			if err == nil {
				err = rr.Err()
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %v is not a *ParseError", err)
				}
				if pe.Line < 1 || pe.Column < 1 || pe.Row < 0 {
					t.Fatalf("bad position in %v", pe)
				}
				res.err = err.Error()
			}
			return res
		}
		whole := read(bytes.NewReader(body))
		if len(body) < 4096 {
			if split := read(iotest.OneByteReader(bytes.NewReader(body))); !reflect.DeepEqual(whole, split) {
				t.Fatalf("byte-by-byte reads differ:\n%+v\n%+v", whole, split)
			}
		}
		if bytes.IndexByte(body, '\r') >= 0 || bytes.Contains(body, []byte(mvPrefix)) {
			return
		}
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if (err != nil) != (whole.err != "") {
			t.Fatalf("encoding/csv error %v, ours %q", err, whole.err)
		}
		if err != nil {
			return
		}
		var want []string
		if len(recs) > 0 {
			want, recs = recs[0], recs[1:]
		}
		if !reflect.DeepEqual(whole.header, want) {
			t.Fatalf("header %q, encoding/csv %q", whole.header, want)
		}
		if len(recs) != len(whole.rows) {
			t.Fatalf("%d rows, encoding/csv %d", len(whole.rows), len(recs))
		}
		for i := range recs {
			if !reflect.DeepEqual(whole.rows[i], recs[i]) {
				t.Fatalf("row %d %q, encoding/csv %q", i+1, whole.rows[i], recs[i])
			}
		}
	})
}

// fuzzCmd reads every row of every request.
type fuzzCmd struct{}

func (fuzzCmd) GetInfo(info *SearchInfo, preview bool) (*Metadata, error) {
	if _, err := ParseArgs(info.Args, "a", "b"); err != nil {
		return nil, err
	}
	return &Metadata{Type: "streaming"}, nil
}

func (fuzzCmd) Execute(req *Request, rows *RecordReader, out *RecordWriter) (*Response, error) {
	n := 0
	for rows.Next() {
		n++
	}
	if n > 0 {
		out.WriteHeader([]string{"n"}, nil)
		out.Write([][]string{{strings.Repeat("x", n%7)}})
	}
	return &Response{Finished: req.Finished}, nil
}

// FuzzReader checks the framing reader and Serve never panic or hang on
// any input, report errors as *ChunkError at increasing offsets, and
// always answer with well-formed chunks whose last one says finished when
// Serve fails.
func FuzzReader(f *testing.F) {
	g := gi(`"a=1"`)
	for _, s := range []string{
		"",
		g,
		g + "\n",
		g + frame(execMeta, "a,b\n1,2\n") + frame(execMetaDone, "a,b\n"),
		g + frame(execMeta, "") + frame(execMetaDone, "x\n\"1\"\n"),
		g + "chunked 1.0,37,500\n" + execMeta + "v\n1\n",
		g + "chunked  1.0 , 37 ,\t0 \r\n" + execMeta,
		g + "chunked 1.0,99999999999999999999,0\n",
		g + frame(`{"action":execute}`, ""),
		frame(execMeta, "") + g,
		"chunked 1.0,3",
		gi(`"c=1"`),
		g + frame(`{"action":"execute","finished":"no"}`, ""),
		frame(`{"action":"getinfo","searchinfo":{"earliest_time":1.5,"latest_time":"x","args":["a=1"]}}`, ""),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		last := int64(-1)
		for i := 0; ; i++ {
			req, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var ce *ChunkError
				// A short body is found when Next skips it: the error is
				// then the previous request's.
				if !errors.As(err, &ce) {
					t.Fatalf("request %d: error %v is not a *ChunkError", i, err)
				}
				prev := ce.Chunk == i-1 && ce.Offset == last && errors.Is(err, ErrTruncated)
				if (!prev && (ce.Chunk != i || ce.Offset <= last)) || ce.Offset > int64(len(in)) {
					t.Fatalf("request %d: bad error %#v", i, err)
				}
				break
			}
			if req.Chunk != i || req.Offset <= last || req.BodyLen < 0 {
				t.Fatalf("request %d: %+v after offset %d", i, req, last)
			}
			last = req.Offset
			rr := NewRecordReader(req.Body)
			for rr.Next() {
			}
			if r.Offset() > int64(len(in)) {
				t.Fatalf("offset %d past the input's %d bytes", r.Offset(), len(in))
			}
		}

		var out bytes.Buffer
		err := Serve(bytes.NewReader(in), &out, fuzzCmd{})
		// The output is a sequence of well-formed chunks.
		or := NewReader(&out)
		var lastMeta []byte
		n := 0
		for {
			meta, err := readReply(or)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("reply %d: %v in output %q", n, err, out.String())
			}
			lastMeta = meta
			n++
		}
		if err != nil {
			var ce *ChunkError
			if !errors.As(err, &ce) {
				t.Fatalf("Serve error %v is not a *ChunkError", err)
			}
			if !bytes.HasPrefix(lastMeta, []byte(`{"finished":true,"inspector":{"messages":[["ERROR",`)) {
				t.Fatalf("last reply %s after error %v", lastMeta, err)
			}
		} else if n == 0 {
			t.Fatal("no reply without an error")
		}
	})
}

// readReply reads one reply chunk written by Writer and returns its
// metadata; replies have no "action", so Reader.Next cannot be used.
func readReply(r *Reader) ([]byte, error) {
	mlen, blen, err := r.readHeader()
	if err != nil {
		return nil, err
	}
	meta := make([]byte, mlen)
	if _, err := io.ReadFull(r.br, meta); err != nil {
		return nil, err
	}
	if _, err := io.CopyN(io.Discard, r.br, blen); err != nil {
		return nil, err
	}
	return meta, nil
}
