package extended

import (
	"bytes"
	"github.com/kubeprivpod/kubeprivpod/testsupport/benchcpu"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/escu"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// The mix is testsupport/corpus's: ~2 KB events, ~10% pod writes, 2%
// workload writes, a few percent privileged or host-level, built once per
// benchmark from a fixed seed. The same events feed the default mode's
// benchmark here, so the ratio of the two is measured under the same
// conditions (the goal: within 2×).

const mixEvents = 10000

func mix(b testing.TB) (evs [][]byte, size int64) {
	g := corpus.New(1)
	for range mixEvents {
		e := g.Append(nil)
		evs = append(evs, e)
		size += int64(len(e))
	}
	return evs, size
}

// adder is what the two modes' benchmarks drive.
type adder interface{ AddEvent([]byte) }

func benchMix(b *testing.B, d adder) {
	evs, size := mix(b)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		for _, e := range evs {
			d.AddEvent(e)
		}
	}
	cpu.Report(b, size)
}

func BenchmarkAddEventMix(b *testing.B) { benchMix(b, New()) }

// The mix as the search command hands it over: each _raw as its CSV cell,
// quotes doubled (the reader's lazy mode).
func BenchmarkAddCSVFieldMix(b *testing.B) {
	evs, size := mix(b)
	cells := make([][]byte, len(evs))
	for i, e := range evs {
		cells[i] = csvQuote(e)
	}
	d := New()
	b.SetBytes(size)
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		for _, c := range cells {
			d.AddCSVField(c, true)
		}
	}
	cpu.Report(b, size)
}

// The default mode on the same events, for the ratio.
func BenchmarkDefaultModeMix(b *testing.B) { benchMix(b, escu.New()) }

func benchOne(b *testing.B, e []byte) {
	b.SetBytes(int64(len(e)))
	b.ReportAllocs()
	d := New()
	for b.Loop() {
		d.AddEvent(e)
	}
}

func pick(b *testing.B, subs ...string) []byte {
	evs, _ := mix(b)
	for _, e := range evs {
		ok := true
		for _, s := range subs {
			ok = ok && bytes.Contains(e, []byte(s))
		}
		if ok {
			return e
		}
	}
	b.Fatalf("no corpus event with %q", subs)
	return nil
}

// A lease renewal: the commonest write, rejected by the pre-filter.
func BenchmarkAddEventLease(b *testing.B) {
	benchOne(b, pick(b, `"resource":"leases"`, `"verb":"update"`))
}

// A benign pod create: a candidate that cannot yield a finding.
func BenchmarkAddEventBenignPod(b *testing.B) {
	for _, e := range sampleEvents(b) {
		if bytes.Contains(e, []byte(`"verb":"create"`)) && bytes.Contains(e, []byte(`"resource":"pods"`)) &&
			bytes.Contains(e, []byte(`ResponseComplete`)) && !mayFind(string(e)) {
			benchOne(b, e)
			return
		}
	}
	b.Fatal("no benign pod create in the sample")
}

// A privileged pod create: validated, walked, recorded (the same
// request each time, so the dedup comparison runs too).
func BenchmarkAddEventPrivileged(b *testing.B) { benchOne(b, sampleEvents(b)[8]) }

// Result over many distinct findings.
func BenchmarkResult(b *testing.B) {
	d := New()
	for i := range 2000 {
		d.AddEvent(ev{id: itoa(i), nm: "p" + itoa(i%500), user: "u" + itoa(i%7), req: pod("p"+itoa(i%500), privSpec)}.raw())
	}
	b.ReportAllocs()
	for b.Loop() {
		d.Result()
	}
}

// The reduce: AddPartial of every row one map process flushed for the
// mix, then Result.
func BenchmarkReduce(b *testing.B) {
	evs, _ := mix(b)
	var rows [][]byte
	if err := run(evs...).Flush(func(p []byte) error {
		rows = append(rows, bytes.Clone(p))
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := New()
		for _, p := range rows {
			if err := r.AddPartial(p); err != nil {
				b.Fatal(err)
			}
		}
		r.Result()
	}
	b.ReportMetric(float64(len(rows)), "rows")
}
