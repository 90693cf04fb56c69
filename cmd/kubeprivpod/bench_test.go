package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// benchScan runs 'kubeprivpod scan --mode mode --format csv -' over
// 20,000 corpus events (≈40 MB of JSON lines) per op.
func benchScan(b *testing.B, mode string) {
	g := corpus.New(1)
	var log []byte
	for i := 0; i < 20000; i++ {
		log = append(g.Append(log), '\n')
	}
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		c := &ScanCommand{Stdin: bytes.NewReader(log), Stdout: io.Discard, Stderr: io.Discard, NewDetector: newDetector}
		if err := c.Run(context.Background(), []string{"--mode", mode, "--format", "csv", "-"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanESCU(b *testing.B)     { benchScan(b, "escu") }
func BenchmarkScanExtended(b *testing.B) { benchScan(b, "extended") }

// benchSearch runs the search command as splunkd would, over 20,000
// corpus events in 5,000-row chunks, per op; args are the SPL arguments.
func benchSearch(b *testing.B, args ...string) {
	g := corpus.New(1)
	var in bytes.Buffer
	getinfo(&in, args...)
	for c := 0; c < 4; c++ {
		events := make([][]byte, 5000)
		for i := range events {
			events[i] = g.Append(nil)
		}
		execute(&in, c == 3, rawBody(events))
	}
	b.SetBytes(int64(in.Len()))
	b.ReportAllocs()
	for b.Loop() {
		c := &SearchCommand{Stdin: bytes.NewReader(in.Bytes()), Stdout: io.Discard, Stderr: io.Discard, NewDetector: newDetector}
		if err := c.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearchESCU(b *testing.B)        { benchSearch(b) }
func BenchmarkSearchExtended(b *testing.B)    { benchSearch(b, "mode=extended") }
func BenchmarkSearchExtendedMap(b *testing.B) { benchSearch(b, "phase=map", "mode=extended") }
