// Command ratiotool is bench/ratios.sh's helper (go build -o ratiotool ./bench).
//
//	ratiotool sink [PIPE_BYTES] < input
//	    reads stdin to the end in 1 MiB blocks and throws it away: the
//	    fastest any command could consume the same pipe feed (the ceiling
//	    the search command is measured against). Like the search command
//	    it first raises its stdin pipe to 1 MiB (PIPE_BYTES; 0 leaves
//	    the pipe as it comes): through 64 KiB the sink sleeps and is woken
//	    after every 64 KiB, which on a virtual machine can cost more than
//	    reading, and would measure wake-ups rather than the pipe.
//	ratiotool reduce-input GETINFO < map-reply > reduce-input
//	    turns the map phase's reply into what splunkd sends the reduce
//	    phase: the getinfo request from the file GETINFO (its first chunk),
//	    then one execute request per reply chunk that has a body, then a
//	    final empty one.
//	ratiotool goals DIR
//	    bench/goals.sh's summary: reads the outputs it left in DIR and
//	    prints every speed and memory goal with its figure and whether it
//	    was met; exits 1 when one was not.
//	ratiotool spin
//	    times a fixed loop (300 M dependent multiply-adds, no memory) five
//	    times and prints the median in milliseconds: how fast the machine
//	    runs right now, which on a shared VM moves by 2x between minutes
//	    while instruction counts do not.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/pipesize"
)

func main() {
	var err error
	switch {
	case (len(os.Args) == 2 || len(os.Args) == 3) && os.Args[1] == "sink":
		size := sinkPipeBytes
		if len(os.Args) == 3 {
			if size, err = strconv.Atoi(os.Args[2]); err != nil || size < 0 {
				err = fmt.Errorf("sink: PIPE_BYTES %q is not a byte count", os.Args[2])
				break
			}
		}
		if size > 0 {
			pipesize.Grow(os.Stdin, size)
		}
		err = sink(os.Stdin)
	case len(os.Args) == 3 && os.Args[1] == "reduce-input":
		err = reduceInput(os.Args[2], os.Stdin, os.Stdout)
	case len(os.Args) == 2 && os.Args[1] == "spin":
		fmt.Println(spin())
	case len(os.Args) == 3 && os.Args[1] == "goals":
		var gs []goal
		if gs, err = goals(os.Args[2]); err == nil && !printGoals(os.Stdout, gs) {
			err = fmt.Errorf("not every goal was met")
		}
	default:
		err = fmt.Errorf("usage: ratiotool sink [PIPE_BYTES] | ratiotool reduce-input GETINFO | ratiotool goals DIR | ratiotool spin")
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ratiotool: %v\n", err)
		os.Exit(1)
	}
}

// spin returns the median of five timings, in milliseconds, of a loop of
// 300 M dependent multiply-adds.
func spin() int64 {
	var ms []int64
	x := uint64(1)
	for range 5 {
		t := time.Now()
		for range 300_000_000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		ms = append(ms, time.Since(t).Milliseconds())
	}
	runtime.KeepAlive(x) // keeps the loop
	slices.Sort(ms)
	return ms[2]
}

// sinkPipeBytes is what the search command asks for its stdin
// (searchStdinBytes in cmd/kubeprivpod).
const sinkPipeBytes = 1 << 20

func sink(r io.Reader) error {
	buf := make([]byte, 1<<20)
	for {
		_, err := r.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readChunk reads one "chunked 1.0,M,B\n" frame: metadata and body.
func readChunk(r *bufio.Reader) (meta, body []byte, err error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, nil, err // io.EOF at a clean end
	}
	f := strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "chunked 1.0,"), "\n"), ",")
	if len(f) != 2 {
		return nil, nil, fmt.Errorf("bad chunk header %q", line)
	}
	m, err1 := strconv.Atoi(f[0])
	b, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return nil, nil, fmt.Errorf("bad chunk header %q", line)
	}
	meta, body = make([]byte, m), make([]byte, b)
	if _, err := io.ReadFull(r, meta); err != nil {
		return nil, nil, err
	}
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, nil, err
	}
	return meta, body, nil
}

func writeChunk(w io.Writer, meta string, body []byte) error {
	if _, err := fmt.Fprintf(w, "chunked 1.0,%d,%d\n%s", len(meta), len(body), meta); err != nil {
		return err
	}
	_, err := w.Write(body)
	return err
}

func reduceInput(getinfo string, reply io.Reader, out io.Writer) error {
	f, err := os.Open(getinfo)
	if err != nil {
		return err
	}
	defer f.Close()
	meta, _, err := readChunk(bufio.NewReader(f))
	if err != nil {
		return fmt.Errorf("%s: %w", getinfo, err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	if err := writeChunk(w, string(meta), nil); err != nil {
		return err
	}
	r := bufio.NewReaderSize(reply, 1<<20)
	if _, _, err := readChunk(r); err != nil { // the map's getinfo reply
		return fmt.Errorf("map reply: %w", err)
	}
	for {
		_, body, err := readChunk(r)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("map reply: %w", err)
		}
		if len(body) > 0 {
			if err := writeChunk(w, `{"action":"execute","finished":false}`, body); err != nil {
				return err
			}
		}
	}
	if err := writeChunk(w, `{"action":"execute","finished":true}`, nil); err != nil {
		return err
	}
	return w.Flush()
}
