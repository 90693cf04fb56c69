package corpus

import (
	"bytes"
	"testing"

	"github.com/tidwall/gjson"
)

func generate(seed uint64, n int) ([][]byte, Stats) {
	g := New(seed)
	out := make([][]byte, n)
	for i := range out {
		out[i] = g.Append(nil)
	}
	return out, g.Stats()
}

func TestDeterministic(t *testing.T) {
	a, sa := generate(7, 3000)
	b, sb := generate(7, 3000)
	c, _ := generate(8, 3000)
	if sa != sb {
		t.Fatalf("stats differ: %+v %+v", sa, sb)
	}
	same := 0
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("event %d differs for the same seed", i)
		}
		if bytes.Equal(a[i], c[i]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d events equal across seeds", same)
	}
}

// TestMix checks every event is a valid audit event and that the mix is
// the one documented: ≈2 KB, ~10% pod writes, a few % privileged, some
// of them visible to the ESCU search, with the ground truth counted from
// the events themselves.
func TestMix(t *testing.T) {
	const n = 20000
	evs, st := generate(1, n)
	var bytesTotal, podWrites, privileged, applied, received int64
	ids := map[string]int{}
	for i, ev := range evs {
		if !gjson.ValidBytes(ev) {
			t.Fatalf("event %d is not valid JSON: %s", i, ev)
		}
		bytesTotal += int64(len(ev))
		e := gjson.ParseBytes(ev)
		if e.Get("kind").Str != "Event" || e.Get("apiVersion").Str != "audit.k8s.io/v1" || len(e.Get("auditID").Str) != 36 {
			t.Fatalf("event %d: not an audit event: %.200s", i, ev)
		}
		ids[e.Get("auditID").Str]++
		verb := e.Get("verb").Str
		if e.Get("objectRef.resource").Str == "pods" && (verb == "create" || verb == "update" || verb == "patch") {
			podWrites++
		}
		if e.Get("stage").Str == "RequestReceived" {
			received++
			if e.Get("requestObject").Exists() {
				t.Errorf("event %d: RequestReceived with a body", i)
			}
			continue
		}
		priv := false
		for _, path := range []string{"requestObject.spec.containers", "requestObject.spec.initContainers", "requestObject.spec.template.spec.containers"} {
			e.Get(path).ForEach(func(_, c gjson.Result) bool {
				if c.Get("securityContext.privileged").Type == gjson.True {
					priv = true
				}
				return true
			})
		}
		if priv {
			privileged++
		}
		ann := e.Get(`requestObject.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration`)
		if e.Get("objectRef.resource").Str == "pods" && (verb == "create" || verb == "update") &&
			bytes.Contains([]byte(ann.Str), []byte(`"privileged":true`)) {
			applied++
		}
		if ann.Exists() && !gjson.Valid(ann.Str) {
			t.Fatalf("event %d: annotation is not JSON: %q", i, ann.Str)
		}
	}
	if st.Events != n || st.Bytes != bytesTotal || st.PodWrites != podWrites || st.Privileged != privileged || st.Applied != applied {
		t.Errorf("stats %+v, counted events %d bytes %d pod writes %d privileged %d applied %d", st, n, bytesTotal, podWrites, privileged, applied)
	}
	avg := bytesTotal / n
	if avg < 1700 || avg > 2300 {
		t.Errorf("average event size %d bytes, want ≈2 KB", avg)
	}
	if pct := podWrites * 100 / n; pct < 8 || pct > 13 {
		t.Errorf("pod writes %d%%, want ≈10%%", pct)
	}
	if pm := privileged * 1000 / n; pm < 15 || pm > 50 {
		t.Errorf("privileged %d‰, want a few %%", pm)
	}
	if applied == 0 || applied >= privileged {
		t.Errorf("applied privileged %d of %d privileged", applied, privileged)
	}
	// Only the two stages of one request share an auditID.
	pairs := 0
	for _, c := range ids {
		if c == 2 {
			pairs++
		} else if c != 1 {
			t.Fatalf("auditID used %d times", c)
		}
	}
	if int64(pairs) != received {
		t.Errorf("%d auditIDs in pairs, %d RequestReceived stages", pairs, received)
	}
	t.Logf("avg %d B, pod writes %d, privileged %d, applied %d, stage pairs %d", avg, podWrites, privileged, applied, pairs)
}

func BenchmarkAppend(b *testing.B) {
	g := New(1)
	var buf []byte
	var n int64
	for b.Loop() {
		buf = g.Append(buf[:0])
		n += int64(len(buf))
	}
	b.SetBytes(n / int64(b.N))
}
