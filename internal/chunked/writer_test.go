package chunked

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestWriteChunk(t *testing.T) {
	tests := []struct {
		name string
		meta *Metadata
		body string
		want string
	}{
		{"streaming getinfo reply", &Metadata{Type: "streaming"}, "", "chunked 1.0,20,0\n{\"type\":\"streaming\"}"},
		{"finished", &Metadata{Finished: Bool(true)}, "", "chunked 1.0,17,0\n{\"finished\":true}"},
		{"not finished", &Metadata{Finished: Bool(false)}, "", "chunked 1.0,18,0\n{\"finished\":false}"},
		{"reporting with preop", &Metadata{Type: "reporting", RequiredFields: []string{"_raw"},
			StreamingPreop: `kubeprivpod phase=map`, RunInPreview: Bool(false)}, "",
			"chunked 1.0,112,0\n" + `{"type":"reporting","required_fields":["_raw"],"streaming_preop":"kubeprivpod phase=map","run_in_preview":false}`},
		{"generating", &Metadata{Type: "stateful", Generating: true}, "",
			"chunked 1.0,37,0\n{\"type\":\"stateful\",\"generating\":true}"},
		{"error reply", &Metadata{Finished: Bool(true), Inspector: &Inspector{Messages: []Message{Error("bad <thing> & \"quote\" ทt")}}}, "",
			"chunked 1.0,85,0\n" + `{"finished":true,"inspector":{"messages":[["ERROR","bad <thing> & \"quote\" ทt"]]}}`},
		{"messages and error", &Metadata{Finished: Bool(true), Inspector: &Inspector{Messages: []Message{Info("i"), Warn("w")}}, Error: "e"}, "",
			"chunked 1.0,82,0\n" + `{"finished":true,"inspector":{"messages":[["INFO","i"],["WARN","w"]]},"error":"e"}`},
		{"body", &Metadata{Finished: Bool(false)}, "a\r\n1\r\n", "chunked 1.0,18,6\n{\"finished\":false}a\r\n1\r\n"},
		{"nil meta", nil, "", "chunked 1.0,2,0\n{}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := NewWriter(&out).WriteChunk(tc.meta, []byte(tc.body)); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("got  %q\nwant %q", out.String(), tc.want)
			}
		})
	}
}

func TestWriteChunkFlushes(t *testing.T) {
	var out bytes.Buffer
	bw := bufio.NewWriterSize(&out, 1<<16)
	if err := NewWriter(bw).WriteChunk(&Metadata{Type: "streaming"}, nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != "chunked 1.0,20,0\n{\"type\":\"streaming\"}" {
		t.Errorf("not flushed: %q", out.String())
	}
}

// failWriter accepts n bytes, then fails.
type failWriter struct {
	n      int
	writes []string
}

func (f *failWriter) Write(p []byte) (int, error) {
	f.writes = append(f.writes, string(p))
	if len(p) > f.n {
		return f.n, errors.New("pipe closed")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteChunkOneWriteAndStickyError(t *testing.T) {
	fw := &failWriter{n: 50} // room for the first chunk (38 bytes) only
	w := NewWriter(fw)
	if err := w.WriteChunk(&Metadata{Finished: Bool(false)}, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if len(fw.writes) != 1 || fw.writes[0] != "chunked 1.0,18,3\n{\"finished\":false}abc" {
		t.Fatalf("writes %q: want the whole chunk in one write", fw.writes)
	}
	err := w.WriteChunk(&Metadata{Finished: Bool(true)}, nil)
	if err == nil {
		t.Fatal("want an error")
	}
	if err2 := w.WriteChunk(&Metadata{Finished: Bool(true)}, nil); err2 != err || len(fw.writes) != 2 {
		t.Errorf("after a failed write: %v, %d writes", err2, len(fw.writes))
	}
}

// table is a test's result table: columns and rows of cells.
type table struct {
	Columns []string
	Rows    [][][]string
}

// multivalue is the header's multivalue flags for t: the columns with a
// cell of several values.
func (t table) multivalue() []bool {
	mv := make([]bool, len(t.Columns))
	for _, r := range t.Rows {
		for c, cell := range r {
			if len(cell) > 1 && c < len(mv) {
				mv[c] = true
			}
		}
	}
	return mv
}

// writeTable writes t through a RecordWriter on w.
func writeTable(rw *RecordWriter, t table) error {
	if err := rw.WriteHeader(t.Columns, t.multivalue()); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := rw.Write(r); err != nil {
			return err
		}
	}
	return rw.Flush()
}

// csvOf is t as RecordWriter writes it.
func csvOf(t testing.TB, tb table) string {
	t.Helper()
	var b bytes.Buffer
	if err := writeTable(NewRecordWriter(&b), tb); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRecordWriter(t *testing.T) {
	tests := []struct {
		name string
		t    table
		want string
	}{
		{"header only", table{Columns: []string{"a", "b c", "d,e"}}, "a,b c,\"d,e\"\r\n"},
		{"plain", table{Columns: []string{"kind", "count"}, Rows: [][][]string{
			{{"Event"}, {"3"}},
			{{`say "hi"`}, {"x\ny"}},
			{nil, {""}},
			{{"cr\r"}, {}},
		}}, "kind,count\r\nEvent,3\r\n\"say \"\"hi\"\"\",\"x\ny\"\r\n,\r\n\"cr\r\",\r\n"},
		{"multivalue", table{Columns: []string{"user", "user_groups", "count"}, Rows: [][][]string{
			{{"alice"}, {"a", "b"}, {"1"}},
			{{"bob"}, {"solo"}, {"2"}},
			{{"carol"}, nil, {"3"}},
			{{"dave"}, {"", "x"}, {"4"}},
			{{"eve"}, {"a$", "b"}, {"5"}},
			{{"frank"}, {"$", "x"}, {"6"}},
			{{"gina"}, {"a,b", `q"`}, {"7"}},
		}}, "user,user_groups,count,__mv_user_groups\r\n" +
			"alice,\"a\nb\",1,$a$;$b$\r\n" +
			"bob,solo,2,\r\n" +
			"carol,,3,\r\n" +
			"dave,\"\nx\",4,$$;$x$\r\n" +
			"eve,\"a$\nb\",5,$a$$$;$b$\r\n" +
			"frank,\"$\nx\",6,$$$$;$x$\r\n" +
			"gina,\"a,b\nq\"\"\",7,\"$a,b$;$q\"\"$\"\r\n"},
		{"one column with empty values", table{Columns: []string{"x"}, Rows: [][][]string{{nil}, {{""}}, {{"v"}}}},
			"x\r\n\"\"\r\n\"\"\r\nv\r\n"},
		{"short row", table{Columns: []string{"a", "b"}, Rows: [][][]string{{{"1"}}}}, "a,b\r\n1,\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := csvOf(t, tc.t); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			// The reference writer (the codec's former AppendCSV) agrees.
			if ref := string(referenceCSV(nil, tc.t)); ref != tc.want {
				t.Errorf("reference %q", ref)
			}
		})
	}
}

func TestRecordWriterFields(t *testing.T) {
	var b bytes.Buffer
	rw := NewRecordWriter(&b)
	if err := rw.WriteHeader([]string{"p"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{[]byte(`{"a":1}`), nil, []byte("x\r\ny"), []byte("plain")} {
		if err := rw.WriteFields(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.WriteFields(); err != nil {
		t.Fatal(err)
	}
	if err := rw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "p\r\n\"{\"\"a\"\":1}\"\r\n\"\"\r\n\"x\r\ny\"\r\nplain\r\n\"\"\r\n"
	if b.String() != want || rw.Rows() != 5 {
		t.Errorf("got %q (%d rows)\nwant %q", b.String(), rw.Rows(), want)
	}

	// Beside a multivalue column, byte fields leave its __mv_ twin empty.
	b.Reset()
	rw = NewRecordWriter(&b)
	rw.WriteHeader([]string{"a", "b"}, []bool{false, true})
	rw.WriteFields([]byte("1"), []byte("x,y"))
	rw.WriteFields([]byte("2"))
	rw.Flush()
	if want := "a,b,__mv_b\r\n1,\"x,y\",\r\n2,,\r\n"; b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}
}

func TestRecordWriterErrors(t *testing.T) {
	var b bytes.Buffer
	rw := NewRecordWriter(&b)
	if err := rw.Write([][]string{{"x"}}); !errors.Is(err, ErrWriteOrder) {
		t.Errorf("row before header: %v", err)
	}
	if err := rw.WriteFields([]byte("x")); !errors.Is(err, ErrWriteOrder) {
		t.Errorf("fields before header: %v", err)
	}
	if err := rw.WriteHeader(nil, nil); err == nil {
		t.Error("a header without columns: no error")
	}
	if err := rw.WriteHeader([]string{"a"}, []bool{true, true}); err == nil {
		t.Error("more multivalue flags than columns: no error")
	}
	if err := rw.WriteHeader([]string{"a", "b"}, []bool{false, true}); err != nil {
		t.Fatal(err)
	}
	if err := rw.WriteHeader([]string{"a"}, nil); !errors.Is(err, ErrWriteOrder) {
		t.Errorf("second header: %v", err)
	}
	err := rw.Write([][]string{{"1"}, {"2"}, {"3"}})
	if !errors.Is(err, ErrFieldCount) || err.Error() != "row 1 has 3 cells for 2 columns: wrong number of fields" {
		t.Errorf("wide row: %v", err)
	}
	if err := rw.WriteFields(nil, nil, nil); !errors.Is(err, ErrFieldCount) {
		t.Errorf("wide fields: %v", err)
	}
	err = rw.Write([][]string{{"1", "2"}, {"3"}})
	if !errors.Is(err, ErrNotMultivalue) || !strings.HasPrefix(err.Error(), "row 1 column 1: ") {
		t.Errorf("undeclared multivalue: %v", err)
	}
	if err := rw.Write([][]string{{"1"}, {"2", "3"}}); err != nil {
		t.Fatal(err)
	}
	rw.Flush()
	// Refused rows wrote nothing.
	if want := "a,b,__mv_b\r\n1,\"2\n3\",$2$;$3$\r\n"; b.String() != want {
		t.Errorf("got %q\nwant %q", b.String(), want)
	}

	// A write error sticks.
	fw := &failWriter{n: 3}
	rw = NewRecordWriter(fw)
	rw.WriteHeader([]string{"column"}, nil)
	if err := rw.Flush(); err == nil || rw.Error() != err {
		t.Fatalf("flush: %v, Error %v", err, rw.Error())
	}
	if err := rw.Write([][]string{{"x"}}); err != rw.Error() {
		t.Errorf("after a failed flush: %v", err)
	}
}

// TestRecordWriterFlushes checks that a long body reaches the io.Writer
// in pieces, before Flush, and whole after it.
func TestRecordWriterFlushes(t *testing.T) {
	var b bytes.Buffer
	rw := NewRecordWriter(&b)
	rw.WriteHeader([]string{"v"}, nil)
	row := [][]string{{strings.Repeat("x", 1000)}}
	for range 200 {
		if err := rw.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() == 0 || b.Len() >= 200*1002 {
		t.Errorf("%d bytes written before Flush", b.Len())
	}
	rw.Flush()
	if b.Len() != 3+200*1002 {
		t.Errorf("%d bytes after Flush", b.Len())
	}
}

// TestRecordWriterRoundTrip reads RecordWriter's output back with
// RecordReader: every cell, multivalue or not, must come back as written.
func TestRecordWriterRoundTrip(t *testing.T) {
	tb := table{Columns: []string{"a", "b", "c"}, Rows: [][][]string{
		{{"x"}, {"1", "2", "3"}, nil},
		{{""}, {"$", "", "$$;$"}, {"new\nline", "q\"uote"}},
		{{"ทt", "\xff"}, nil, {"a,b"}},
	}}
	rr := NewRecordReader(strings.NewReader(csvOf(t, tb)))
	h, err := rr.Header()
	if err != nil || !reflect.DeepEqual(h, tb.Columns) {
		t.Fatalf("header %q, %v", h, err)
	}
	for r, row := range tb.Rows {
		if !rr.Next() {
			t.Fatalf("row %d: %v", r+1, rr.Err())
		}
		for c, cell := range row {
			var got []string
			for _, v := range rr.Values(c) {
				got = append(got, string(v))
			}
			want := cell
			if len(cell) == 1 && cell[0] == "" {
				want = nil // an empty single value is a null field in Splunk
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("row %d column %d: %q, want %q", r+1, c, got, want)
			}
		}
	}
	if rr.Next() || rr.Err() != nil {
		t.Errorf("trailing row or error %v", rr.Err())
	}
}

// randomTable is a table of quote-, dollar- and newline-dense cells, some
// null, some multivalue.
func randomTable(rng *rand.Rand) table {
	alphabet := []string{"a", "b", ",", "\"", "$", ";", "\n", "\r", " ", "ท", "\xff", ""}
	str := func() string {
		var s strings.Builder
		for range rng.IntN(6) {
			s.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return s.String()
	}
	tb := table{Columns: make([]string, 1+rng.IntN(4))}
	for i := range tb.Columns {
		tb.Columns[i] = str()
	}
	for range rng.IntN(6) {
		row := make([][]string, rng.IntN(len(tb.Columns)+1))
		for c := range row {
			for range rng.IntN(4) {
				row[c] = append(row[c], str())
			}
		}
		tb.Rows = append(tb.Rows, row)
	}
	return tb
}

// TestRecordWriterMatchesReference checks, on random tables, that the
// RecordWriter writes the bytes the codec wrote before it streamed (the
// reference below): both through an io.Writer and as a reply body sent by
// Serve's path, framing included.
func TestRecordWriterMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	reply := newReplyBody()
	var viaReply, viaChunk bytes.Buffer
	rw, cw := NewWriter(&viaReply), NewWriter(&viaChunk)
	for i := range 5000 {
		tb := randomTable(rng)
		want := referenceCSV(nil, tb)
		if got := csvOf(t, tb); got != string(want) {
			t.Fatalf("table %d %q:\ngot  %q\nwant %q", i, tb, got, want)
		}
		reply.resetReply()
		if err := writeTable(reply, tb); err != nil {
			t.Fatal(err)
		}
		meta := &Metadata{Finished: Bool(i%2 == 0)}
		if i%100 == 0 { // metadata too long for the room before the body
			meta.Inspector = &Inspector{Messages: []Message{Warn(strings.Repeat("w", 2*replyReserve))}}
		}
		viaReply.Reset()
		viaChunk.Reset()
		rw.writeReply(meta, reply)
		cw.WriteChunk(meta, want)
		if !bytes.Equal(viaReply.Bytes(), viaChunk.Bytes()) {
			t.Fatalf("table %d: reply %q, chunk %q", i, viaReply.Bytes(), viaChunk.Bytes())
		}
	}
}

// referenceCSV is the codec's former AppendCSV, which wrote a whole table
// at once: kept as the reference the streaming RecordWriter must equal
// byte for byte, so that replies to splunkd did not change.
func referenceCSV(dst []byte, t table) []byte {
	if len(t.Columns) == 0 {
		return dst
	}
	mv := make([]bool, len(t.Columns))
	anyMV := false
	for _, r := range t.Rows {
		for c, cell := range r {
			if len(cell) > 1 && c < len(mv) {
				mv[c] = true
				anyMV = true
			}
		}
	}
	width := len(t.Columns)
	for _, m := range mv {
		if m {
			width++
		}
	}
	for c, name := range t.Columns {
		if c > 0 {
			dst = append(dst, ',')
		}
		dst = appendField(dst, name, width)
	}
	if anyMV {
		for c, name := range t.Columns {
			if mv[c] {
				dst = append(dst, ',')
				dst = appendField(dst, mvPrefix+name, width)
			}
		}
	}
	dst = append(dst, '\r', '\n')
	var scratch []byte
	for _, r := range t.Rows {
		for c := range t.Columns {
			if c > 0 {
				dst = append(dst, ',')
			}
			var cell []string
			if c < len(r) {
				cell = r[c]
			}
			switch len(cell) {
			case 0:
				if width == 1 {
					dst = append(dst, '"', '"')
				}
			case 1:
				dst = appendField(dst, cell[0], width)
			default:
				scratch = scratch[:0]
				for k, v := range cell {
					if k > 0 {
						scratch = append(scratch, '\n')
					}
					scratch = append(scratch, v...)
				}
				dst = appendQuoted(dst, scratch)
			}
		}
		if anyMV {
			for c := range t.Columns {
				if !mv[c] {
					continue
				}
				dst = append(dst, ',')
				if c < len(r) && len(r[c]) > 1 {
					scratch = appendMV(scratch[:0], r[c])
					dst = appendFieldBytes(dst, scratch, width)
				}
			}
		}
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// FuzzRecordWriter checks the writer against the reference on tables
// built from arbitrary cells, and that RecordReader reads every value back.
func FuzzRecordWriter(f *testing.F) {
	f.Add("a", "b\nc", "", "$x$;\"", uint8(3))
	f.Add("", "", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, a, b, c, d string, shape uint8) {
		vals := []string{a, b, c, d}
		tb := table{Columns: []string{a + "1", "k"}}
		for i := range 4 {
			// Column 0: one to four values from i on; column 1: null or
			// one value; shape's bits choose.
			n := 1 + int(shape>>(2*i))%4
			first := vals[i:min(i+n, 4)]
			var second []string
			if shape>>i&1 == 1 {
				second = vals[3-i : 4-i]
			}
			tb.Rows = append(tb.Rows, [][]string{first, second})
		}
		got := csvOf(t, tb)
		if want := string(referenceCSV(nil, tb)); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		rr := NewRecordReader(strings.NewReader(got))
		for r, row := range tb.Rows {
			if !rr.Next() {
				t.Fatalf("row %d: %v", r+1, rr.Err())
			}
			for col, cell := range row {
				var back []string
				for _, v := range rr.Values(col) {
					back = append(back, string(v))
				}
				if len(cell) == 1 && cell[0] == "" {
					cell = nil
				}
				if !reflect.DeepEqual(back, cell) {
					t.Fatalf("row %d column %d: %q, wrote %q", r+1, col, back, cell)
				}
			}
		}
	})
}
