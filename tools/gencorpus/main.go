// Command gencorpus writes synthetic Kubernetes audit events (see
// testsupport/corpus) for benchmarks: as JSON lines, the way the API
// server's log backend writes them, or as the chunked-protocol input
// splunkd would send the kubeprivpod search command.
//
//	gencorpus -n 100000 > audit.log
//	gencorpus -n 150000 -format chunked -rows 5000 -args "mode=extended" > in.chunked
//	kubeprivpod < in.chunked > /dev/null
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/internal/chunked"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

func main() {
	var c config
	fs := flag.NewFlagSet("gencorpus", flag.ContinueOnError)
	fs.Int64Var(&c.events, "n", 100000, "number of events")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed; the output is a function of it")
	fs.StringVar(&c.format, "format", "jsonl", "jsonl (audit log) or chunked (splunkd's input to the search command)")
	fs.IntVar(&c.rows, "rows", 5000, "chunked: events per execute request")
	fs.StringVar(&c.args, "args", "", `chunked: the command's SPL arguments, space-separated (e.g. "mode=extended phase=map")`)
	fs.BoolVar(&c.chunkedIdx, "chunked-idx", false, "chunked: add the _chunked_idx column splunkd sends to streaming commands (the map phase)")
	fs.BoolVar(&c.stats, "stats", false, "print the ground-truth counts to stderr")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "gencorpus: unexpected argument %q\n", fs.Arg(0))
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	st, err := c.write(w)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gencorpus: %v\n", err)
		os.Exit(1)
	}
	if c.stats {
		fmt.Fprintf(os.Stderr, "events %d, event bytes %d (avg %d), pod writes %d, privileged %d, kubectl-apply privileged %d\n",
			st.Events, st.Bytes, st.Bytes/max(st.Events, 1), st.PodWrites, st.Privileged, st.Applied)
	}
}

// config is what the flags ask for.
type config struct {
	events     int64
	seed       uint64
	format     string
	rows       int
	args       string
	chunkedIdx bool
	stats      bool
}

func (c *config) write(w io.Writer) (corpus.Stats, error) {
	g := corpus.New(c.seed)
	switch c.format {
	case "jsonl":
		var buf []byte
		for i := int64(0); i < c.events; i++ {
			buf = append(g.Append(buf[:0]), '\n')
			if _, err := w.Write(buf); err != nil {
				return g.Stats(), err
			}
		}
		return g.Stats(), nil
	case "chunked":
		if c.rows < 1 {
			return corpus.Stats{}, errors.New("-rows must be at least 1")
		}
		err := c.writeChunked(w, g)
		return g.Stats(), err
	}
	return corpus.Stats{}, fmt.Errorf("unknown -format %q (want jsonl or chunked)", c.format)
}

// writeChunked writes a getinfo request, then execute requests of c.rows
// events, the last one marked finished, as splunkd does.
func (c *config) writeChunked(w io.Writer, g *corpus.Generator) error {
	args := strings.Fields(c.args)
	getinfo := struct {
		Action  string             `json:"action"`
		Preview bool               `json:"preview"`
		Restart bool               `json:"streaming_command_will_restart"`
		Info    chunked.SearchInfo `json:"searchinfo"`
	}{Action: "getinfo", Info: chunked.SearchInfo{
		Args: args, RawArgs: args, Command: "kubeprivpod", SID: "1764028800.42", App: "kubeprivpod",
		Owner: "admin", Username: "admin", DispatchDir: "/opt/splunk/var/run/splunk/dispatch/1764028800.42",
		SplunkVersion: "9.3.2", SplunkdURI: "https://127.0.0.1:8089",
		Search:       "search%20index%3Dk8s%20sourcetype%3D_json%20%7C%20kubeprivpod%20" + strings.ReplaceAll(c.args, " ", "%20"),
		EarliestTime: "0", LatestTime: "0", MaxResultRows: 50000,
	}}
	meta, err := json.Marshal(getinfo)
	if err != nil {
		return err
	}
	if err := writeRequest(w, meta, nil); err != nil {
		return err
	}

	// splunkd sends every field with its __mv_ twin, empty for single values.
	columns := []string{"_raw", "__mv__raw"}
	if c.chunkedIdx {
		columns = []string{"_raw", "_chunked_idx", "__mv__raw", "__mv__chunked_idx"}
	}
	var body bytes.Buffer
	var raws []byte // event bytes of the chunk, one allocation reused
	idx := 0
	for sent := int64(0); sent < c.events || sent == 0; {
		n := min(int64(c.rows), c.events-sent)
		body.Reset()
		rw := chunked.NewRecordWriter(&body)
		if err := rw.WriteHeader(columns, nil); err != nil {
			return err
		}
		raws = raws[:0]
		ends := make([]int, 0, n)
		for i := int64(0); i < n; i++ {
			raws = g.Append(raws)
			ends = append(ends, len(raws))
		}
		start := 0
		for _, end := range ends {
			var err error
			if c.chunkedIdx {
				err = rw.WriteFields(raws[start:end], fmt.Append(nil, idx))
				idx++
			} else {
				err = rw.WriteFields(raws[start:end])
			}
			if err != nil {
				return err
			}
			start = end
		}
		sent += n
		finished := sent >= c.events
		if err := rw.Flush(); err != nil {
			return err
		}
		meta := []byte(`{"action":"execute","finished":false}`)
		if finished {
			meta = []byte(`{"action":"execute","finished":true}`)
		}
		if err := writeRequest(w, meta, body.Bytes()); err != nil {
			return err
		}
		if finished {
			break
		}
	}
	return nil
}

// writeRequest frames one request as splunkd does. internal/chunked's
// Writer writes replies (its Metadata has no action or searchinfo), so
// the request side is framed here, to the same header format.
func writeRequest(w io.Writer, meta, body []byte) error {
	if _, err := fmt.Fprintf(w, "chunked 1.0,%d,%d\n", len(meta), len(body)); err != nil {
		return err
	}
	if _, err := w.Write(meta); err != nil {
		return err
	}
	_, err := w.Write(body)
	return err
}
