package chunked

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/sharedtest"
)

// recording reads a gzipped splunklib recording of splunkd's input.
func recording(t *testing.T, elem ...string) []byte {
	t.Helper()
	path := filepath.Join(sharedtest.Dir(t, append([]string{"fixtures", "scpv2-recordings"}, elem[:len(elem)-1]...)...), elem[len(elem)-1])
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type chunkSummary struct {
	action   string
	finished bool
	bodyLen  int64
	fields   int
	rows     int
}

// replay reads every request of a recording, every row of every body, and
// cross-checks each body against encoding/csv (the dialects agree on these
// bodies: none has a CR). It returns the summaries, the rows of each body
// (plain fields) and the error that ended the input (nil for io.EOF).
func replay(t *testing.T, in []byte) ([]chunkSummary, [][][]string, []*SearchInfo, error) {
	t.Helper()
	var sums []chunkSummary
	var bodies [][][]string
	var infos []*SearchInfo
	r := NewReader(bytes.NewReader(in))
	for {
		req, err := r.Next()
		if err == io.EOF {
			return sums, bodies, infos, nil
		}
		if err != nil {
			return sums, bodies, infos, err
		}
		infos = append(infos, req.Info)
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return sums, bodies, infos, err
		}
		header, rows, err := readAll(t, NewRecordReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatalf("chunk %d: %v", req.Chunk, err)
		}
		sums = append(sums, chunkSummary{req.Action, req.Finished, req.BodyLen, len(header), len(rows)})
		bodies = append(bodies, rows)

		if bytes.IndexByte(body, '\r') >= 0 {
			t.Fatalf("chunk %d has a CR: the encoding/csv comparison would not hold", req.Chunk)
		}
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("chunk %d: encoding/csv: %v", req.Chunk, err)
		}
		var plain []int
		for c, name := range firstOr(recs) {
			if !strings.HasPrefix(name, "__mv_") {
				plain = append(plain, c)
			}
		}
		if len(recs) > 0 {
			recs = recs[1:]
		}
		if len(recs) != len(rows) {
			t.Fatalf("chunk %d: %d rows, encoding/csv %d", req.Chunk, len(rows), len(recs))
		}
		for i, rec := range recs {
			for j, c := range plain {
				if rows[i][j] != rec[c] {
					t.Fatalf("chunk %d row %d column %d: %q, encoding/csv %q", req.Chunk, i+1, c, rows[i][j], rec[c])
				}
			}
		}
	}
}

func firstOr(recs [][]string) []string {
	if len(recs) == 0 {
		return nil
	}
	return recs[0]
}

func TestRecordings(t *testing.T) {
	tests := []struct {
		file  []string
		want  []chunkSummary
		check func(t *testing.T, bodies [][][]string, infos []*SearchInfo)
		err   error
	}{
		{[]string{"scpv2", "Splunk-6.3", "countmatches.input.gz"},
			[]chunkSummary{{"getinfo", false, 0, 0, 0}, {"execute", true, 48108, 3, 500}},
			func(t *testing.T, bodies [][][]string, infos []*SearchInfo) {
				if !reflect.DeepEqual(infos[0].Args, []string{"fieldname=word_count", `pattern=\w+`, "text"}) ||
					!reflect.DeepEqual(infos[0].RawArgs, []string{"fieldname=word_count", `pattern="\w+"`, "text"}) {
					t.Errorf("args %q raw %q", infos[0].Args, infos[0].RawArgs)
				}
				if infos[0].SplunkVersion != "20150522" || infos[0].EarliestTime != "0" {
					t.Errorf("info %+v", infos[0])
				}
				row := bodies[1][0]
				if row[0] != "0" || row[1] != "1380899494" || !strings.HasPrefix(row[2], "excellent review my friend") {
					t.Errorf("row 1 %q", row)
				}
			}, nil},
		{[]string{"scpv2", "Splunk-6.3", "sum.map.input.gz"},
			[]chunkSummary{{"getinfo", false, 0, 0, 0}, {"execute", true, 16109782, 24, 50000}},
			func(t *testing.T, bodies [][][]string, infos []*SearchInfo) {
				if !reflect.DeepEqual(infos[0].Args, []string{"total=total", "value1", "phase=map"}) {
					t.Errorf("args %q", infos[0].Args)
				}
				row := bodies[1][0]
				if row[0] != "[2014-06-11T15:19:59+00:00] this is incredibly stupid value1:33.563009 value2:0.135876" ||
					row[1] != "2014-06-11T08:19:59.000-0700" || row[2] != "" || row[3] != "15" ||
					row[22] != "33.563009" || row[23] != "0.135876" {
					t.Errorf("row 1 %q", row)
				}
			}, nil},
		{[]string{"scpv2", "Splunk-6.3", "sum.reduce.input.gz"},
			[]chunkSummary{{"getinfo", false, 0, 0, 0}, {"execute", true, 36, 1, 1}},
			func(t *testing.T, bodies [][][]string, infos []*SearchInfo) {
				if !reflect.DeepEqual(bodies[1], [][]string{{"2147943.07811"}}) {
					t.Errorf("body %q", bodies[1])
				}
			}, nil},
		// Hand-edited in 2017: the execute header promises a 150-byte body
		// that is not there.
		{[]string{"scpv2", "Splunk-6.3", "generatehello.input.gz"},
			[]chunkSummary{{"getinfo", false, 0, 0, 0}}, nil, ErrTruncated},
		// getinfo, then a stray "\n": a clean end (see TestReaderTrailingWhitespace).
		{[]string{"scpv2", "Splunk-6.3", "pypygeneratetext.input.gz"},
			[]chunkSummary{{"getinfo", false, 0, 0, 0}}, nil, nil},
		{[]string{"sdk-unit-data", "custom_search", "multibyte_input.gz"},
			[]chunkSummary{{"getinfo", false, 0, 0, 0},
				{"execute", false, 172638, 2, 6638}, {"execute", false, 152436, 2, 5861}, {"execute", false, 76, 2, 1},
				{"execute", false, 170974, 2, 6574}, {"execute", false, 154126, 2, 5926}, {"execute", false, 166762, 2, 6412},
				{"execute", false, 158338, 2, 6088}, {"execute", false, 45286, 2, 1741}, {"execute", true, 37516, 2, 1441}},
			func(t *testing.T, bodies [][][]string, infos []*SearchInfo) {
				total := 0
				for _, b := range bodies {
					total += len(b)
				}
				if total != 40682 {
					t.Errorf("%d rows in all", total)
				}
				if !reflect.DeepEqual(bodies[1][0], []string{"1599171244.277", "ทt"}) ||
					!reflect.DeepEqual(bodies[3][0], []string{"1599172247.704", "ทt"}) {
					t.Errorf("rows %q %q", bodies[1][0], bodies[3][0])
				}
				if infos[0].Command != "harvest" || infos[0].MaxResultRows != 50000 || infos[0].EarliestTime != "1599084000.0" {
					t.Errorf("info %+v", infos[0])
				}
			}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file[len(tc.file)-1], func(t *testing.T) {
			in := recording(t, tc.file...)
			sums, bodies, infos, err := replay(t, in)
			if !reflect.DeepEqual(sums, tc.want) {
				t.Errorf("chunks\n got %v\nwant %v", sums, tc.want)
			}
			if (tc.err == nil) != (err == nil) || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if tc.check != nil {
				tc.check(t, bodies, infos)
			}
		})
	}
}

// TestRecordingsServe runs Serve over the recordings: every one ends
// cleanly except the truncated generatehello, which gets an error reply
// instead of a hang.
func TestRecordingsServe(t *testing.T) {
	for _, file := range [][]string{
		{"scpv2", "Splunk-6.3", "countmatches.input.gz"},
		{"scpv2", "Splunk-6.3", "sum.reduce.input.gz"},
		{"scpv2", "Splunk-6.3", "pypygeneratetext.input.gz"},
		{"scpv2", "Splunk-6.3", "generatehello.input.gz"},
		{"sdk-unit-data", "custom_search", "multibyte_input.gz"},
	} {
		name := file[len(file)-1]
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			cmd := &countCmd{anyArgs: true}
			err := Serve(bytes.NewReader(recording(t, file...)), &out, cmd)
			replies := strings.Count(out.String(), "chunked 1.0,")
			switch name {
			case "generatehello.input.gz":
				want := getinfoReply + errFrame(`chunk 1 (execute, byte offset 788): input ends inside a chunk: body has 0 of its 150 bytes`)
				if !errors.Is(err, ErrTruncated) || out.String() != want {
					t.Errorf("err %v, output %q", err, out.String())
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if replies != 1+cmd.executes {
					t.Errorf("%d replies for getinfo + %d executes", replies, cmd.executes)
				}
				if !slices.Contains([]int{0, 1, 9}, cmd.executes) {
					t.Errorf("%d executes", cmd.executes)
				}
			}
		})
	}
}
