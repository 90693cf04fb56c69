package auditlog

import (
	"bytes"
	"io"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// corpusLog returns n synthetic audit events as JSON lines.
func corpusLog(n int) []byte {
	g := corpus.New(1)
	var b []byte
	for i := 0; i < n; i++ {
		b = append(g.Append(b), '\n')
	}
	return b
}

func benchRead(b *testing.B, in []byte) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(in), "bench")
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n == 0 {
			b.Fatal("no events")
		}
	}
}

// BenchmarkReader reads a log of ≈2 KB events, the common case.
func BenchmarkReader(b *testing.B) { benchRead(b, corpusLog(20000)) }

// BenchmarkReaderGzip reads the same log compressed; bytes are the
// uncompressed size.
func BenchmarkReaderGzip(b *testing.B) {
	plain := corpusLog(20000)
	z := []byte(gz(b, string(plain)))
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(z), "bench")
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkReaderEventList reads webhook-style EventList batches of 100
// events per line.
func BenchmarkReaderEventList(b *testing.B) {
	lines := bytes.Split(bytes.TrimSpace(corpusLog(20000)), []byte("\n"))
	var in []byte
	for i := 0; i < len(lines); i += 100 {
		in = append(in, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`...)
		in = append(in, bytes.Join(lines[i:min(i+100, len(lines))], []byte(","))...)
		in = append(in, "]}\n"...)
	}
	benchRead(b, in)
}
