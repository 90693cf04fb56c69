package extended

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// distCorpus is the sample log plus requests made to stress the reduce:
// stages of one request, duplicates with and without a body, blind and
// truncated writes, events without an audit ID, and non-JSON lines.
func distCorpus(t *testing.T) [][]byte {
	evs := sampleEvents(t)
	body := pod("p", privSpec)
	for i := range 40 {
		id := "aaaaaaaa-0000-4000-8000-" + strings.Repeat("0", 10) + itoa(10+i)
		ns := []string{"default", "shop", "payments"}[i%3]
		user := []string{"eve@example.com", "mallory@example.com"}[i%2]
		tm := "2026-11-24T10:00:" + itoa(10+i) + ".000000Z"
		evs = append(evs,
			ev{id: id, stage: "RequestReceived", code: -1, req: body, ns: ns, user: user, time: tm}.raw(),
			ev{id: id, req: body, ns: ns, user: user, time: tm, ips: []string{"10.0.0." + itoa(i%4)}}.raw(),
		)
		switch i % 5 {
		case 0: // the same request indexed again without its body
			evs = append(evs, ev{id: id, level: "Metadata", ns: ns, user: user, time: tm}.raw())
		case 1: // a blind write
			evs = append(evs, ev{id: "bbbbbbbb-" + itoa(i), level: "Metadata", verb: "update", resource: "deployments", group: "apps", nm: "d"}.raw())
		case 2: // a truncated one, and one Splunk cut
			evs = append(evs, ev{id: "cccccccc-" + itoa(i), annotations: map[string]string{"audit.k8s.io/truncated": "true"}}.raw())
			cut := ev{id: "dddddddd-" + itoa(i), req: body}.raw()
			evs = append(evs, cut[:len(cut)/2])
		case 3: // no audit ID: each event is its own request
			evs = append(evs, []byte(strings.Replace(string(ev{req: body, ns: ns}.raw()), `"auditID":"11111111-2222-4333-8444-555555555555",`, "", 1)))
		case 4: // not JSON, and JSON objects that are no audit event
			evs = append(evs, []byte("not json "+itoa(i)), []byte(`{"k`+itoa(i)+`":1,"preview":false}`))
		}
	}
	return evs
}

type outcome struct {
	rows     [][][]string
	messages []string
}

func resultOf(d *Detector) outcome {
	tb := d.Result()
	var rows [][][]string
	for _, r := range tb.Rows {
		rows = append(rows, r)
	}
	return outcome{rows, d.Messages()}
}

// Splitting the events across map processes, in any order and chunking,
// with some raw events reaching the reduce directly, gives exactly the
// single-process result.
func TestDistributedEqualsSingle(t *testing.T) {
	evs := distCorpus(t)
	want := resultOf(run(evs...))
	if len(want.rows) < 15 || len(want.messages) != 3 {
		t.Fatalf("corpus too weak: %d rows, messages %q", len(want.rows), want.messages)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 30 {
		reduce, how := splitRun(t, evs, rng)
		if got := resultOf(reduce); !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (%s): differs\n got %q\nwant %q", trial, how, got, want)
		}
	}
}

// splitRun runs evs as Splunk's distributed search may: shuffled, over 1
// to 6 map processes flushing every 1 to 60 events, their partial rows
// shuffled into one reduce process, which also gets some raw events.
func splitRun(t *testing.T, evs [][]byte, rng *rand.Rand) (*Detector, string) {
	t.Helper()
	order := slices.Clone(evs)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	procs := 1 + rng.IntN(6)
	chunk := 1 + rng.IntN(60)
	rawTail := rng.IntN(len(order)/3 + 1)
	var partials [][]byte
	maps := make([]*Detector, procs)
	for i := range maps {
		maps[i] = New()
	}
	head := order[:len(order)-rawTail]
	for i, e := range head {
		m := maps[i%procs]
		m.AddEvent(e)
		if (i/procs)%chunk == chunk-1 {
			flushTo(t, m, &partials)
		}
	}
	for _, m := range maps {
		flushTo(t, m, &partials)
	}
	rng.Shuffle(len(partials), func(i, j int) { partials[i], partials[j] = partials[j], partials[i] })
	reduce := New()
	tail := order[len(order)-rawTail:]
	for i, p := range partials {
		if err := reduce.AddPartial(p); err != nil {
			t.Fatalf("AddPartial(%s): %v", p, err)
		}
		if i < len(tail) {
			reduce.AddEvent(tail[i])
		}
	}
	for i := len(partials); i < len(tail); i++ {
		reduce.AddEvent(tail[i])
	}
	return reduce, fmt.Sprintf("%d procs, chunk %d, %d raw", procs, chunk, rawTail)
}

func flushTo(t *testing.T, d *Detector, out *[][]byte) {
	t.Helper()
	if err := d.Flush(func(p []byte) error {
		*out = append(*out, slices.Clone(p))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// The partial rows of a small run, byte for byte, and Flush forgets.
func TestFlushFormat(t *testing.T) {
	d := run(
		ev{id: "r1", req: pod("p", privSpec), time: "2026-11-24T10:00:00.5Z"}.raw(),
		ev{id: "r2", level: "Metadata"}.raw(),
		[]byte("garbage"),
	)
	var got [][]byte
	flushTo(t, d, &got)
	var lines []string
	for _, p := range got {
		lines = append(lines, string(p))
	}
	equalLines(t, "partials", lines, []string{
		`{"kpp":"kubeprivpod/extended/3","rec":{"k":"` + hexHash("r1\x00eve@example.com\x00/api/v1/namespaces/default/pods\x002026-11-24T10:00:00.5Z") + `","r":9,"t":"2026-11-24T10:00:00.5Z","u":"eve@example.com","g":["system:authenticated"],"ip":["192.0.2.7"],"ua":"kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46","v":"create","res":"pods","ns":"default","name":"p","o":"allowed","c":201,"ctr":["containers/c"],"img":["busybox"],"rsn":["privileged"],"sp":"3d6b489e03ce02a4","risk":49,"d":"container c (image busybox) runs privileged (all host devices and capabilities)"}}`,
		`{"kpp":"kubeprivpod/extended/3","cnt":{"nonjson":1,"blind":{"` + hexHash("r2\x00eve@example.com\x00/api/v1/namespaces/default/pods\x002026-11-24T10:00:00.000000Z") + `":1}}}`,
	})
	if tb := d.Result(); len(tb.Rows) != 0 || len(d.Messages()) != 0 {
		t.Errorf("after Flush: %d rows, messages %q", len(tb.Rows), d.Messages())
	}
	// Emit errors stop Flush and are returned as they are.
	stop := errors.New("stop")
	d = run(ev{req: pod("p", privSpec)}.raw())
	if err := d.Flush(func([]byte) error { return stop }); err != stop {
		t.Errorf("Flush error %v", err)
	}
}

// hexHash is a request key as partial rows carry it: the first 16 bytes
// of its SHA-256, in hex.
func hexHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:16])
}

func TestAddPartialRejects(t *testing.T) {
	good := `"v":"create","res":"pods","o":"allowed","rsn":["privileged"],"risk":49,"d":"x"`
	for _, c := range []struct{ row, want string }{
		{``, "not a partial row of kubeprivpod mode=extended"},
		{`not json`, "not a partial row"},
		{`{}`, `field "kpp" is "", want "kubeprivpod/extended/3"`},
		{`{"kpp":"kubeprivpod/escu/1","rec":{` + good + `}}`, `field "kpp" is "kubeprivpod/escu/1"`},
		{`{"kpp":"kubeprivpod/extended/3"}`, `want exactly one of the fields "rec" and "cnt"`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{` + good + `},"cnt":{}}`, `want exactly one of the fields "rec" and "cnt"`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{` + good + `,"extra":1}}`, `unknown field "extra"`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{` + good + `}} {}`, "data after the object at byte"},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"res":"pods","o":"allowed","rsn":["privileged"],"risk":49}}`, `field "rec": field "v" (verb) is empty`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"v":"create","o":"allowed","rsn":["privileged"],"risk":49}}`, `field "res" (resource) is empty`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"v":"create","res":"pods","o":"allowed","risk":49}}`, `field "rsn" (reasons) is empty`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"v":"create","res":"pods","o":"allowed","rsn":["x"],"risk":0}}`, `field "risk" is not positive`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"v":"create","res":"pods","o":"maybe","rsn":["x"],"risk":1}}`, `field "o" (outcome) is "maybe"`},
		{`{"kpp":"kubeprivpod/extended/1","rec":{` + good + `}}`, `field "kpp" is "kubeprivpod/extended/1", want "kubeprivpod/extended/3"`},
		{`{"kpp":"kubeprivpod/extended/2","rec":{` + good + `}}`, `field "kpp" is "kubeprivpod/extended/2", want "kubeprivpod/extended/3"`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"k":"r1\u0000eve","v":"create","res":"pods","o":"allowed","rsn":["x"],"risk":1}}`, `field "k" (request key) is "r1\x00eve", want 32 hex digits`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"r":10,"v":"create","res":"pods","o":"allowed","rsn":["x"],"risk":1}}`, `field "r" (stage rank) is 10, want 0 to 9`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"r":-1,"v":"create","res":"pods","o":"allowed","rsn":["x"],"risk":1}}`, `field "r" (stage rank) is -1, want 0 to 9`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"v":"create","res":"pods","o":"allowed","pend":true,"chg":["image:containers/a"],"risk":0}}`, `field "pend": a pending code patch`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"v":"patch","res":"pods","o":"allowed","pend":true,"risk":0}}`, `field "pend": a pending code patch`},
		{`{"kpp":"kubeprivpod/extended/3","rec":{"v":"patch","res":"pods","o":"allowed","pend":true,"chg":["image:containers/a"],"rsn":["privileged"],"risk":49}}`, `field "pend": a pending code patch`},
		{`{"kpp":"kubeprivpod/extended/3","cnt":{"nonjson":-1}}`, `field "cnt": negative count`},
		{`{"kpp":"kubeprivpod/extended/3","cnt":{"blind":{"xyz":1}}}`, `field "cnt.blind": bad entry "xyz"`},
		{`{"kpp":"kubeprivpod/extended/3","cnt":{"blind":{"ff":1}}}`, `field "cnt.blind": bad entry "ff"`},
		{`{"kpp":"kubeprivpod/extended/3","cnt":{"blind":{"000000000000000000000000000000ff":4}}}`, `field "cnt.blind": bad entry "000000000000000000000000000000ff": 4`},
		{`{"kpp":"kubeprivpod/extended/3","cnt":{"blind":{"000000000000000000000000000000ff":0}}}`, `field "cnt.blind": bad entry "000000000000000000000000000000ff": 0`},
	} {
		d := New()
		err := d.AddPartial([]byte(c.row))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AddPartial(%s) = %v, want error containing %q", c.row, err, c.want)
		}
		if tb := d.Result(); len(tb.Rows) != 0 || len(d.Messages()) != 0 {
			t.Errorf("AddPartial(%s) changed the state", c.row)
		}
	}
	if err := New().AddPartial([]byte(`{"kpp":"x"}`)); !errors.Is(err, ErrForeignPartial) {
		t.Errorf("foreign row error %v does not wrap ErrForeignPartial", err)
	}
	if err := New().AddPartial([]byte(`{"kpp":"kubeprivpod/extended/3","rec":{` + good + `}}`)); err != nil {
		t.Errorf("minimal row: %v", err)
	}
}
