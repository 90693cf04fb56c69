package escu

import (
	"testing"

	"github.com/tidwall/gjson"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
	"github.com/kubeprivpod/kubeprivpod/testsupport/benchcpu"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// generated returns n events of testsupport/corpus and their CSV-quoted
// cells; with onlyCandidates, only the events the pre-filter lets through
// (what a search with the term privileged sends).
func generated(n int, onlyCandidates bool) (raw, cells [][]byte) {
	g := corpus.New(1)
	for len(raw) < n {
		e := g.Append(nil)
		if onlyCandidates && !candidate(e) {
			continue
		}
		raw = append(raw, e)
		cells = append(cells, csvQuote(e))
	}
	return raw, cells
}

func benchCells(b *testing.B, cells [][]byte) {
	n := corpusBytes(cells)
	b.SetBytes(n)
	b.ReportAllocs()
	d := New()
	cpu := benchcpu.Start()
	for b.Loop() {
		for _, c := range cells {
			d.AddCSVField(c, true)
		}
	}
	cpu.Report(b, n)
}

// BenchmarkCSVFieldGenerated: 10,000 corpus events as quoted cells (10%
// pod writes, ~3% privileged), the default mode's whole detection.
func BenchmarkCSVFieldGenerated(b *testing.B) {
	_, cells := generated(10000, false)
	benchCells(b, cells)
}

// BenchmarkCSVFieldCandidates: 2,000 events that all pass the pre-filter,
// as quoted cells: unquote, then one validating walk.
func BenchmarkCSVFieldCandidates(b *testing.B) {
	_, cells := generated(2000, true)
	benchCells(b, cells)
}

// BenchmarkCandidatesTwoPass is the same work the way it was done before
// the fused walk, for comparison in the same run: unquote, walk, search,
// then gjson.ValidBytes on the events that pass.
func BenchmarkCandidatesTwoPass(b *testing.B) {
	_, cells := generated(2000, true)
	benchTwoPass(b, cells)
}

func benchTwoPass(b *testing.B, cells [][]byte) {
	n := corpusBytes(cells)
	b.SetBytes(n)
	d := New()
	var buf []byte
	cpu := benchcpu.Start()
	for b.Loop() {
		for _, c := range cells {
			buf = jsonscan.UnquoteCSV(buf[:0], c)
			d.clearValues()
			d.x.Extract(buf, d.collect)
			if d.passes() && gjson.ValidBytes(buf) {
				d.aggregate()
			}
		}
	}
	cpu.Report(b, n)
}
