package main

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/chunked"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

func events(seed uint64, n int) []string {
	g := corpus.New(seed)
	out := make([]string, n)
	for i := range out {
		out[i] = string(g.Append(nil))
	}
	return out
}

func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	c := config{events: 50, seed: 3, format: "jsonl"}
	st, err := c.write(&b)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(events(3, 50), "\n") + "\n"
	if b.String() != want {
		t.Error("JSON lines differ from the corpus events")
	}
	if st.Events != 50 || st.Bytes != int64(len(want)-50) {
		t.Errorf("stats %+v", st)
	}
}

// TestChunked reads the output back with the codec the command uses: a
// getinfo request with the arguments, then execute requests of -rows
// events each whose _raw fields are the corpus events, the last finished.
func TestChunked(t *testing.T) {
	for _, idx := range []bool{false, true} {
		var b bytes.Buffer
		c := config{events: 23, seed: 5, format: "chunked", rows: 10, args: "mode=extended phase=map", chunkedIdx: idx}
		if _, err := c.write(&b); err != nil {
			t.Fatal(err)
		}
		want := events(5, 23)
		r := chunked.NewReader(bufio.NewReader(&b))
		req, err := r.Next()
		if err != nil || req.Action != "getinfo" || req.Info == nil ||
			strings.Join(req.Info.Args, " ") != "mode=extended phase=map" || req.BodyLen != 0 {
			t.Fatalf("getinfo: %+v %v", req, err)
		}
		var got []string
		var sizes []int
		for {
			req, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.Action != "execute" || req.Finished != (len(got)+10 >= 23) {
				t.Fatalf("request %d: action %q finished %v", req.Chunk, req.Action, req.Finished)
			}
			rr := chunked.NewRecordReader(req.Body)
			raw := rr.Index("_raw")
			cidx := rr.Index("_chunked_idx")
			if raw < 0 || (cidx >= 0) != idx {
				t.Fatalf("columns: _raw %d _chunked_idx %d", raw, cidx)
			}
			n := 0
			for rr.Next() {
				if idx && string(rr.Field(cidx)) != itoa(len(got)) {
					t.Errorf("_chunked_idx %q at row %d", rr.Field(cidx), len(got))
				}
				got = append(got, string(rr.Field(raw)))
				n++
			}
			if err := rr.Err(); err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, n)
		}
		if len(got) != len(want) || len(sizes) != 3 || sizes[0] != 10 || sizes[2] != 3 {
			t.Fatalf("got %d events in chunks %v", len(got), sizes)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("event %d differs:\n%s\n%s", i, got[i], want[i])
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestBadConfig(t *testing.T) {
	for _, c := range []config{{format: "xml"}, {format: "chunked", rows: 0}} {
		if _, err := c.write(io.Discard); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
