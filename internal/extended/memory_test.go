package extended

import (
	"runtime"
	"testing"
)

// requestEvents returns n events of n distinct requests (two stages each
// when stages is true) that make few distinct findings, as a cluster
// re-creating the same privileged workloads does: what the per-request
// state of the dedupe costs is what grows with the log.
func requestEvents(n int, stages bool) [][]byte {
	users := []string{"system:serviceaccount:ci:deployer", "eve@example.com", "system:serviceaccount:kube-system:daemon-set-controller"}
	var evs [][]byte
	for i := range n {
		id := "5b1c7d2e-" + pad4(i/10000) + "-4a3b-9c8d-" + pad12(i)
		tm := "2026-11-24T" + pad2(i/3600%24) + ":" + pad2(i/60%60) + ":" + pad2(i%60) + "." + pad6(i*37%1000000) + "Z"
		e := ev{id: id, time: tm, user: users[i%3], ns: "monitoring", nm: "log-shipper-" + itoa(i%4),
			ips: []string{"10.20.88." + itoa(i%5)}, req: pod("log-shipper-"+itoa(i%4), privSpec)}
		if stages {
			rr := e
			rr.stage, rr.code = "RequestReceived", -1
			evs = append(evs, rr.raw())
		}
		evs = append(evs, e.raw())
	}
	return evs
}

func pad(i, w int) string {
	s := itoa(i)
	for len(s) < w {
		s = "0" + s
	}
	return s
}
func pad2(i int) string  { return pad(i, 2) }
func pad4(i int) string  { return pad(i%10000, 4) }
func pad6(i int) string  { return pad(i, 6) }
func pad12(i int) string { return pad(i, 12) }

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMemoryPerRequest reports the live heap a detector holds per
// distinct finding request (B/request) after 50,000 requests of two stages
// each that make 12 distinct findings: the part of the memory that grows
// with the log rather than with the findings.
func BenchmarkMemoryPerRequest(b *testing.B) {
	const n = 50000
	evs := requestEvents(n, true)
	var perReq float64
	for b.Loop() {
		before := heapInUse()
		d := New()
		for _, e := range evs {
			d.AddEvent(e)
		}
		after := heapInUse()
		perReq = float64(int64(after)-int64(before)) / n
		if rows := len(d.Result().Rows); rows != 12 {
			b.Fatalf("%d rows, want 12", rows)
		}
		runtime.KeepAlive(d)
	}
	b.ReportMetric(perReq, "B/request")
}

// BenchmarkMemoryPerRequestReduce is the same for a reduce process fed
// the partial rows of those requests.
func BenchmarkMemoryPerRequestReduce(b *testing.B) {
	const n = 50000
	var rows [][]byte
	m := run(requestEvents(n, false)...)
	if err := m.Flush(func(p []byte) error {
		rows = append(rows, append([]byte(nil), p...))
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	var perReq float64
	for b.Loop() {
		before := heapInUse()
		d := New()
		for _, p := range rows {
			if err := d.AddPartial(p); err != nil {
				b.Fatal(err)
			}
		}
		after := heapInUse()
		perReq = float64(int64(after)-int64(before)) / n
		if rows := len(d.Result().Rows); rows != 12 {
			b.Fatalf("%d rows, want 12", rows)
		}
		runtime.KeepAlive(d)
	}
	b.ReportMetric(perReq, "B/request")
}
