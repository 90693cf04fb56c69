package extended

import (
	"runtime"
	"testing"
)

// requestEvents returns the events of n distinct requests (two stages
// each when stages is true). With names false they make 12 distinct
// findings, as a CI job re-creating the same privileged workloads does:
// what the per-request state of the dedupe costs is what grows with the
// log. With names true every request creates a pod of its own name, as a
// controller does, so each is a finding of its own.
func requestEvents(n int, stages, names bool) [][]byte {
	users := []string{"system:serviceaccount:ci:deployer", "eve@example.com", "system:serviceaccount:kube-system:daemon-set-controller"}
	var evs [][]byte
	for i := range n {
		id := "5b1c7d2e-" + pad4(i/10000) + "-4a3b-9c8d-" + pad12(i)
		tm := "2026-11-24T" + pad2(i/3600%24) + ":" + pad2(i/60%60) + ":" + pad2(i%60) + "." + pad6(i*37%1000000) + "Z"
		name := "log-shipper-" + itoa(i%4)
		if names {
			name = "log-shipper-" + pad(i, 5)
		}
		e := ev{id: id, time: tm, user: users[i%3], ns: "monitoring", nm: name,
			ips: []string{"10.20.88." + itoa(i%5)}, req: pod(name, privSpec)}
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
// distinct request (B/request) after 50,000 requests of two stages each,
// for the two shapes of requestEvents.
func BenchmarkMemoryPerRequest(b *testing.B) {
	for _, c := range []struct {
		name  string
		names bool
		rows  int
	}{{"12findings", false, 12}, {"distinctNames", true, 50000}} {
		b.Run(c.name, func(b *testing.B) {
			const n = 50000
			evs := requestEvents(n, true, c.names)
			var perReq float64
			for b.Loop() {
				before := heapInUse()
				d := New()
				for _, e := range evs {
					d.AddEvent(e)
				}
				after := heapInUse()
				perReq = float64(int64(after)-int64(before)) / n
				if rows := len(d.Result().Rows); rows != c.rows {
					b.Fatalf("%d rows, want %d", rows, c.rows)
				}
				runtime.KeepAlive(d)
			}
			b.ReportMetric(perReq, "B/request")
		})
	}
}

// BenchmarkMemoryPerRequestReduce is the same for a reduce process fed
// the partial rows of 50,000 requests of 12 findings.
func BenchmarkMemoryPerRequestReduce(b *testing.B) {
	const n = 50000
	var rows [][]byte
	m := run(requestEvents(n, false, false)...)
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

// A request's early stage is a finding of its own until its complete
// stage replaces it; the replaced finding is then forgotten, so the stored
// findings are those of the result rows, whatever the number of requests.
func TestInternForgetsReplacedFindings(t *testing.T) {
	d := run(requestEvents(300, true, false)...)
	if got := len(d.keyed); got != 300 {
		t.Fatalf("%d requests, want 300", got)
	}
	if got := len(d.intern.findings); got != 12 {
		t.Errorf("%d stored findings, want 12 (one per row)", got)
	}
	refs := 0
	for _, f := range d.intern.findings {
		for ; f != nil; f = f.next {
			refs += f.refs
		}
	}
	if refs != 300 {
		t.Errorf("findings held by %d requests, want 300", refs)
	}
	if got := len(d.intern.origins); got != 5 {
		t.Errorf("%d stored origins, want 5 (the users' one group list × 5 IPs)", got)
	}
}

// Findings whose hashes collide are chained, found by value, and unlinked
// one by one.
func TestInternCollisionChain(t *testing.T) {
	var in interner
	in.reset()
	r1 := record{Verb: "create", Resource: "pods", Name: "a", Outcome: OutcomeAllowed, Reasons: []string{"privileged"}, Risk: 49, Detail: "x"}
	r2 := r1
	r2.Name = "b"
	f1, f2 := in.finding(&r1), in.finding(&r2)
	if f1 == f2 || f1.hash == f2.hash {
		t.Fatal("distinct findings share a stored copy or a hash")
	}
	// Make f2 collide with f1: one chain, f2 first.
	delete(in.findings, f2.hash)
	f2.hash, f2.next = f1.hash, f1
	in.findings[f1.hash] = f2
	if in.finding(&r1) != f1 {
		t.Fatal("look-up along the chain failed")
	}
	f2.refs++
	if f1.refs != 2 || f2.refs != 2 {
		t.Fatalf("refs %d, %d, want 2, 2", f1.refs, f2.refs)
	}
	in.release(f1)
	in.release(f1) // the tail goes
	if p := in.findings[f1.hash]; p != f2 || f2.next != nil {
		t.Fatalf("after releasing the tail: chain %p -> %p, want only f2 %p", p, f2.next, f2)
	}
	in.release(f2)
	if len(in.findings) != 1 {
		t.Fatal("f2 went while held")
	}
	in.release(f2)
	if len(in.findings) != 0 {
		t.Fatalf("%d findings left, want none", len(in.findings))
	}
	// A new copy after all holders went.
	if f := in.finding(&r1); f == f1 || f.refs != 1 || f.Name != "a" {
		t.Fatalf("re-added finding %+v", f)
	}
}

// Request keys travel as 32 hex digits and are read back only in that form.
func TestReqKeyText(t *testing.T) {
	var buf []byte
	k := keyOf(&buf, "r1\x00eve@example.com\x00/api/v1/namespaces/default/pods")
	if s := k.String(); len(s) != 32 {
		t.Fatalf("String() = %q", s)
	}
	if back, ok := parseReqKey(k.String()); !ok || back != k {
		t.Errorf("parseReqKey(%q) = %v, %v", k.String(), back, ok)
	}
	for _, bad := range []string{"", "ff", k.String()[:31] + "g", k.String() + "00"} {
		if _, ok := parseReqKey(bad); ok {
			t.Errorf("parseReqKey(%q) accepted", bad)
		}
	}
}
