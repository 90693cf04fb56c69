package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/corpus"
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
