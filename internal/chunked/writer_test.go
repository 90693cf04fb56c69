package chunked

import (
	"bufio"
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/table"
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

func TestAppendCSV(t *testing.T) {
	tests := []struct {
		name string
		t    table.Table
		want string
	}{
		{"no columns", table.Table{}, ""},
		{"header only", table.Table{Columns: []string{"a", "b c", "d,e"}}, "a,b c,\"d,e\"\r\n"},
		{"plain", table.Table{Columns: []string{"kind", "count"}, Rows: []table.Row{
			{{"Event"}, {"3"}},
			{{`say "hi"`}, {"x\ny"}},
			{nil, {""}},
			{{"cr\r"}, {}},
		}}, "kind,count\r\nEvent,3\r\n\"say \"\"hi\"\"\",\"x\ny\"\r\n,\r\n\"cr\r\",\r\n"},
		{"multivalue", table.Table{Columns: []string{"user", "user_groups", "count"}, Rows: []table.Row{
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
		{"one column with empty values", table.Table{Columns: []string{"x"}, Rows: []table.Row{{nil}, {{""}}, {{"v"}}}},
			"x\r\n\"\"\r\n\"\"\r\nv\r\n"},
		{"short row", table.Table{Columns: []string{"a", "b"}, Rows: []table.Row{{{"1"}}}}, "a,b\r\n1,\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(AppendCSV([]byte("prefix:"), tc.t))
			if got != "prefix:"+tc.want {
				t.Errorf("got  %q\nwant %q", got, "prefix:"+tc.want)
			}
		})
	}
}

// TestAppendCSVRoundTrip reads AppendCSV's output back with RecordReader:
// every cell, multivalue or not, must come back as written.
func TestAppendCSVRoundTrip(t *testing.T) {
	tb := table.Table{Columns: []string{"a", "b", "c"}, Rows: []table.Row{
		{{"x"}, {"1", "2", "3"}, nil},
		{{""}, {"$", "", "$$;$"}, {"new\nline", "q\"uote"}},
		{{"ทt", "\xff"}, nil, {"a,b"}},
	}}
	rr := NewRecordReader(strings.NewReader(string(AppendCSV(nil, tb))))
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
