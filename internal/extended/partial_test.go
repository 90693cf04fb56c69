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
func distCorpus(t testing.TB) [][]byte {
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

func flushTo(t testing.TB, d *Detector, out *[][]byte) {
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
		"kubeprivpod/extended/4 R32:" + hexHash("r1\x00eve@example.com\x00/api/v1/namespaces/default/pods\x002026-11-24T10:00:00.5Z") +
			"9;22:2026-11-24T10:00:00.5Z15:eve@example.com1*20:system:authenticated1*9:192.0.2.7" +
			"48:kubectl/v1.31.2 (linux/amd64) kubernetes/5864a466:create4:pods0:7:default1:p7:allowed201;0:" +
			"1*12:containers/c1*7:busybox1*10:privileged0*16:3d6b489e03ce02a40:0:0;49;" +
			"79:container c (image busybox) runs privileged (all host devices and capabilities)",
		"kubeprivpod/extended/4 C1;0;0;0;0:1*32:" + hexHash("r2\x00eve@example.com\x00/api/v1/namespaces/default/pods\x002026-11-24T10:00:00.000000Z") + "1;",
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

// partialRow is a record row of the partial codec with the fields of a
// minimal valid finding, each replaced by set's value when set names it
// (its encoding, as the codec writes it).
func partialRow(set map[string]string) string {
	fields := []struct{ name, enc string }{
		{"k", "0:"}, {"r", "0;"}, {"t", "0:"}, {"u", "0:"}, {"g", "0*"}, {"ip", "0*"}, {"ua", "0:"},
		{"v", "6:create"}, {"res", "4:pods"}, {"sub", "0:"}, {"ns", "0:"}, {"name", "0:"}, {"o", "7:allowed"},
		{"c", "0;"}, {"own", "0:"}, {"ctr", "0*"}, {"img", "0*"}, {"rsn", "1*10:privileged"}, {"chg", "0*"},
		{"sp", "0:"}, {"brv", "0:"}, {"nrv", "0:"}, {"pend", "0;"}, {"risk", "49;"}, {"d", "1:x"},
	}
	row := "kubeprivpod/extended/4 R"
	for _, f := range fields {
		if v, ok := set[f.name]; ok {
			row += v
		} else {
			row += f.enc
		}
	}
	return row
}

func TestAddPartialRejects(t *testing.T) {
	good := partialRow(nil)
	pendNoChg := map[string]string{"v": "5:patch", "pend": "1;", "rsn": "0*", "risk": "0;"}
	for _, c := range []struct{ row, want string }{
		{``, `not a partial row of kubeprivpod mode=extended: starts with "", want "kubeprivpod/extended/4"`},
		{`not json`, `starts with "not json", want "kubeprivpod/extended/4"`},
		{`{}`, `starts with "{}", want "kubeprivpod/extended/4"`},
		{`{"kpp":"kubeprivpod/escu/1","rec":{}}`, `starts with "{\"kpp\":\"kubeprivpod/escu`},
		{"kubeprivpod/escu/1 R", `starts with "kubeprivpod/escu/1 R"`},
		// Older versions are named, whatever their format.
		{`{"kpp":"kubeprivpod/extended/3","rec":{"v":"create"}}`, `version "kubeprivpod/extended/3", want "kubeprivpod/extended/4"`},
		{`{"kpp":"kubeprivpod/extended/1","rec":{"v":"create"}}`, `version "kubeprivpod/extended/1", want "kubeprivpod/extended/4"`},
		{`{"kpp":"kubeprivpod/extended/2","cnt":{}}`, `version "kubeprivpod/extended/2", want "kubeprivpod/extended/4"`},
		{"kubeprivpod/extended/5 R" + good[len("kubeprivpod/extended/4 R"):], `version "kubeprivpod/extended/5", want "kubeprivpod/extended/4"`},
		{"kubeprivpod/extended/4 ", `at byte 22: want " R" (record) or " C" (counters) after the version, found ' '`},
		{"kubeprivpod/extended/4 C1;0;0;0;0:12", `field "blind": the row ends inside the field`},
		{"kubeprivpod/extended/4 X", `at byte 22: want " R" (record) or " C" (counters) after the version, found ' '`},
		{"kubeprivpod/extended/4", `at byte 22: want " R" (record) or " C" (counters) after the version, found the end of the row`},
		{good + "1:x", fmt.Sprintf("at byte %d: data after the last field", len(good))},
		{good[:len(good)-1], `field "d": length 1 runs past the end of the row`},
		{partialRow(map[string]string{"v": "999:create"}), `at byte 38: field "v": length 999 runs past the end of the row`},
		{partialRow(map[string]string{"v": "06:create"}), `field "v": number with a leading zero`},
		{partialRow(map[string]string{"v": "6;create"}), `field "v": length ends with ';', want ':' or 'x'`},
		{partialRow(map[string]string{"v": "2xzzzz"}), `field "v": bad hex string`},
		{partialRow(map[string]string{"v": "2:a\n"}), `field "v": control character or invalid UTF-8 in a plain string`},
		{partialRow(map[string]string{"v": "2:\xff\xfe"}), `field "v": control character or invalid UTF-8`},
		// A valid row whose string lengths cut a rune.
		{partialRow(map[string]string{"ua": "1:é"}), `field "ua": control character or invalid UTF-8`},
		{partialRow(map[string]string{"d": "1:é"}), `field "d": control character or invalid UTF-8`},
		{partialRow(map[string]string{"d": "2:€"}), `field "d": control character or invalid UTF-8`},
		{partialRow(map[string]string{"ua": "2:€"}), `field "ua": control character or invalid UTF-8`},
		{partialRow(map[string]string{"r": "1:"}), `field "r": number ends with ':', want ';'`},
		{partialRow(map[string]string{"r": "x;"}), `at byte 26: field "r": want a number, found 'x'`},
		{partialRow(map[string]string{"r": "1234567890123456789;"}), `field "r": number ends with '9', want ';'`},
		{partialRow(map[string]string{"g": "1:"}), `field "g": count ends with ':', want '*'`},
		{partialRow(map[string]string{"g": "99999*"}), `field "g": count 99999 runs past the end of the row`},
		{partialRow(map[string]string{"pend": "2;"}), `field "pend": want 0 or 1`},
		{partialRow(map[string]string{"v": "0:"}), `record: field "v" (verb) is empty`},
		{partialRow(map[string]string{"res": "0:"}), `field "res" (resource) is empty`},
		{partialRow(map[string]string{"rsn": "0*"}), `field "rsn" (reasons) is empty`},
		{partialRow(map[string]string{"risk": "0;"}), `field "risk" is not positive`},
		{partialRow(map[string]string{"o": "5:maybe"}), `field "o" (outcome) is "maybe"`},
		{partialRow(map[string]string{"k": "6x723100657665"}), `field "k" (request key) is "r1\x00eve", want 32 hex digits`},
		{partialRow(map[string]string{"r": "10;"}), `field "r" (stage rank) is 10, want 0 to 9`},
		{partialRow(map[string]string{"r": "-1;"}), `field "r" (stage rank) is -1, want 0 to 9`},
		{partialRow(map[string]string{"pend": "1;", "chg": "1*18:image:containers/a", "rsn": "0*", "risk": "0;"}), `field "pend": a pending code patch`},
		{partialRow(pendNoChg), `field "pend": a pending code patch`},
		{partialRow(map[string]string{"v": "5:patch", "pend": "1;", "chg": "1*18:image:containers/a"}), `field "pend": a pending code patch`},
		{"kubeprivpod/extended/4 C-1;0;0;0;0:0*", `at byte 24: field "nonjson": negative count`},
		{"kubeprivpod/extended/4 C0;0;0;0;0:", `at byte 34: field "blind": want a number, found the end of the row`},
		{"kubeprivpod/extended/4 C0;0;0;0;0:0*1:x", `at byte 36: data after the last field`},
		{"kubeprivpod/extended/4 C0;0;0;0;0:1;", `field "blind": count ends with ';', want '*'`},
		{"kubeprivpod/extended/4 C0;0;0;0;0:1*3:xyz1;", `field "blind": count 1 runs past the end of the row`},
		{"kubeprivpod/extended/4 C0;0;0;0;0:1*3:xyz1;" + strings.Repeat(" ", 40), `field "blind": bad entry "xyz": 1`},
		{"kubeprivpod/extended/4 C0;0;0;0;0:1*32:000000000000000000000000000000ff4;", `field "blind": bad entry "000000000000000000000000000000ff": 4`},
		{"kubeprivpod/extended/4 C0;0;0;0;0:1*32:000000000000000000000000000000ff0;", `field "blind": bad entry "000000000000000000000000000000ff": 0`},
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
	if err := New().AddPartial([]byte(`{"kpp":"kubeprivpod/extended/3"}`)); !errors.Is(err, ErrForeignPartial) {
		t.Errorf("older version's error %v does not wrap ErrForeignPartial", err)
	}
	if err := New().AddPartial([]byte(good)); err != nil {
		t.Errorf("minimal row: %v", err)
	}
	d := New()
	if err := d.AddPartial([]byte("kubeprivpod/extended/4 C2;0;1;0;0:1*32:000000000000000000000000000000ff3;")); err != nil {
		t.Errorf("counters row: %v", err)
	} else if m := d.Messages(); len(m) != 2 {
		t.Errorf("counters row: messages %q", m)
	}
}
