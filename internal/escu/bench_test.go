package escu

import (
	"bytes"
	"fmt"
	"github.com/kubeprivpod/kubeprivpod/testsupport/benchcpu"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// BenchmarkAddEventMix runs the sample log as it is: 118 events averaging
// 1.9 KB, 25% pod writes, 6% candidates of the pre-filter and 4% passing
// the search — harsher than a real cluster. BenchmarkAddEventMix10 dilutes
// it with the sample's other events to the mix the speed goal names: 10% pod
// writes, 2% privileged.

func corpusBytes(ev [][]byte) int64 {
	var n int64
	for _, e := range ev {
		n += int64(len(e))
	}
	return n
}

func BenchmarkAddEventMix(b *testing.B) {
	ev := sample(b)
	b.SetBytes(corpusBytes(ev))
	b.ReportAllocs()
	d := New()
	cpu := benchcpu.Start()
	for b.Loop() {
		for _, e := range ev {
			d.AddEvent(e)
		}
	}
	cpu.Report(b, corpusBytes(ev))
}

func BenchmarkAddEventMix10(b *testing.B) {
	var pods, rest [][]byte
	for _, e := range sample(b) {
		if bytes.Contains(e, []byte(`"resource":"pods"`)) && !bytes.Contains(e, []byte(`"subresource"`)) &&
			(bytes.Contains(e, []byte(`"verb":"create"`)) || bytes.Contains(e, []byte(`"verb":"update"`)) || bytes.Contains(e, []byte(`"verb":"patch"`))) {
			pods = append(pods, e)
		} else {
			rest = append(rest, e)
		}
	}
	ev := append([][]byte(nil), pods...)
	for i := 0; len(ev) < 10*len(pods); i++ {
		ev = append(ev, rest[i%len(rest)])
	}
	b.SetBytes(corpusBytes(ev))
	b.ReportAllocs()
	d := New()
	cpu := benchcpu.Start()
	for b.Loop() {
		for _, e := range ev {
			d.AddEvent(e)
		}
	}
	cpu.Report(b, corpusBytes(ev))
}

// BenchmarkAddEventGenerated runs 10,000 events of the project's synthetic
// busy-cluster corpus (testsupport/corpus: ≈2 KB events, 10% pod writes, ~3%
// privileged of which about half are kubectl-applied).
func BenchmarkAddEventGenerated(b *testing.B) {
	g := corpus.New(1)
	ev := make([][]byte, 10000)
	for i := range ev {
		ev[i] = g.Append(nil)
	}
	b.SetBytes(corpusBytes(ev))
	b.ReportAllocs()
	d := New()
	cpu := benchcpu.Start()
	for b.Loop() {
		for _, e := range ev {
			d.AddEvent(e)
		}
	}
	cpu.Report(b, corpusBytes(ev))
}

// pick returns the first sample event containing all of subs.
func pick(b *testing.B, subs ...string) []byte {
	for _, e := range sample(b) {
		ok := true
		for _, s := range subs {
			ok = ok && bytes.Contains(e, []byte(s))
		}
		if ok {
			return e
		}
	}
	b.Fatalf("no sample event with %q", subs)
	return nil
}

func benchOne(b *testing.B, e []byte) {
	b.SetBytes(int64(len(e)))
	b.ReportAllocs()
	d := New()
	cpu := benchcpu.Start()
	for b.Loop() {
		d.AddEvent(e)
	}
	cpu.Report(b, int64(len(e)))
}

// A Metadata-level list with \u0026 in its URI, the commonest shape.
func BenchmarkAddEventNoise(b *testing.B) { benchOne(b, pick(b, `"verb":"list"`, `\u0026`)) }

// A benign 4 KB RequestResponse pod create by the replicaset controller.
func BenchmarkAddEventBenignPod(b *testing.B) {
	benchOne(b, pick(b, `"verb":"create"`, `replicaset-controller`, `"name":"web"`))
}

// The trap: a candidate (parsed and evaluated) that does not pass.
func BenchmarkAddEventTrap(b *testing.B) {
	benchOne(b, pick(b, `policy-renderer`, `"stage":"ResponseComplete"`))
}

// A passing event: parse, evaluate, aggregate into two existing groups.
func BenchmarkAddEventPrivileged(b *testing.B) {
	benchOne(b, pick(b, `"name":"node-shell"`, `"verb":"create"`, `"stage":"ResponseComplete"`))
}

// manyGroups returns a detector holding n distinct groups.
func manyGroups(n int) *Detector {
	d := New()
	for i := range n {
		d.AddEvent(event(set(fmt.Sprintf("pod-%d", i), "objectRef", "name"),
			set([]any{fmt.Sprintf("10.0.%d.%d", i/250, i%250)}, "sourceIPs")))
	}
	return d
}

func BenchmarkResult1000Groups(b *testing.B) {
	d := manyGroups(1000)
	b.ReportAllocs()
	for b.Loop() {
		if r := d.Result(); len(r.Rows) != 1000 {
			b.Fatal(len(r.Rows))
		}
	}
}

// Flush in a map process and AddPartial in the reducer, per group row.
func BenchmarkPartialRoundTrip1000Groups(b *testing.B) {
	src := manyGroups(1000)
	var rowsOut [][]byte
	_ = src.Flush(func(p []byte) error { rowsOut = append(rowsOut, append([]byte(nil), p...)); return nil })
	b.ReportAllocs()
	for b.Loop() {
		d := New()
		for _, p := range rowsOut {
			if err := d.AddPartial(p); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.Flush(func([]byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// distinctPrivileged returns n copies of the sample's kubectl-apply create
// of a privileged pod, each with its own pod name, so that every one is
// its own group: the worst case for partial rows, one row per event with
// kubectl's quote-heavy annotation in every key (the events of
// bench/groups.sh).
func distinctPrivileged(b *testing.B, n int) [][]byte {
	e := pick(b, `"auditID":"08c27691-343e-4436-937b-8ceff4c0b0a7"`)
	ev := make([][]byte, n)
	for i := range ev {
		ev[i] = bytes.ReplaceAll(e, []byte("node-shell"), fmt.Appendf(nil, "node-shell-%d", i))
	}
	return ev
}

// The map side of the worst case: Flush of 1,000 groups of one event
// each (the rows' bytes per op in MB/s).
func BenchmarkFlushDistinctGroups(b *testing.B) {
	ev := distinctPrivileged(b, 1000)
	d := New()
	var size int64
	for _, e := range ev {
		d.AddEvent(e)
	}
	_ = d.Flush(func(p []byte) error { size += int64(len(p)); return nil })
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for _, e := range ev {
			d.AddEvent(e)
		}
		b.StartTimer()
		if err := d.Flush(func([]byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// The reduce side of the worst case: AddPartial of those 1,000 rows into
// an empty detector.
func BenchmarkAddPartialDistinctGroups(b *testing.B) {
	src := New()
	for _, e := range distinctPrivileged(b, 1000) {
		src.AddEvent(e)
	}
	var rowsOut [][]byte
	var size int64
	_ = src.Flush(func(p []byte) error {
		rowsOut = append(rowsOut, append([]byte(nil), p...))
		size += int64(len(p))
		return nil
	})
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		d := New()
		for _, p := range rowsOut {
			if err := d.AddPartial(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
