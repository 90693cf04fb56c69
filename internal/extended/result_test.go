package extended

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/chunked"
	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// replyOf writes rows to a RecordWriter, as the search command's reply
// does, and returns the CSV.
func replyOf(t testing.TB, rows func(w *chunked.RecordWriter) error) string {
	t.Helper()
	var b bytes.Buffer
	w := chunked.NewRecordWriter(&b)
	if err := rows(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// tableReply is the reply as written from a whole table.
func tableReply(t testing.TB, tb detect.Table) string {
	return replyOf(t, func(w *chunked.RecordWriter) error {
		if len(tb.Rows) == 0 {
			return nil
		}
		return detect.WriteTable(w, tb)
	})
}

// manyOrigins corpus: one pod written from more source IPs and with more
// HTTP codes than a group keeps in its small lists, so that the row's
// union comes from the indexed origins.
func manyOriginEvents() [][]byte {
	var evs [][]byte
	for i := range 3 * manyOrigins {
		evs = append(evs, ev{id: "9d0f3a41-0000-4000-8000-" + pad12(i), nm: "node-shell",
			time:   "2026-11-24T10:00:" + twoDigits(i) + ".000000Z",
			ips:    []string{"10.9.0." + itoa(i%(2*manyOrigins)), "10.9.1.1"},
			groups: []string{"system:authenticated", "team-" + itoa(i%3)},
			code:   []int{201, 200, 202}[i%3], req: pod("node-shell", privSpec)}.raw())
	}
	return evs
}

// WriteRows writes Result's table: into a TableWriter it is the same
// table, and as a reply the same bytes with the same multivalue columns,
// on the sample, the shared fixtures, the precision days and generated
// corpora, written twice as the search command does (count, then write).
func TestWriteRowsIsResult(t *testing.T) {
	g := corpus.New(7)
	generated := make([][]byte, 3000)
	for i := range generated {
		generated[i] = g.Append(nil)
	}
	var fixtures [][]byte
	for _, f := range auditFixtures(t) {
		fixtures = append(fixtures, fixtureEvents(t, f)...)
	}
	folded := append(daemonSetPods("a", 3*maxNames, "calico/node:v3.28.0"), daemonSetPods("b", 2, "evil/node:1")...)
	for name, events := range map[string][][]byte{
		"sample":         sampleEvents(t),
		"fixtures":       fixtures,
		"precision day":  precisionDay(t, "day-request"),
		"generated":      generated,
		"requests":       requestEvents(2000, true, false),
		"named requests": requestEvents(2000, false, true),
		"folded":         folded,
		"many origins":   manyOriginEvents(),
		"none":           nil,
	} {
		d := run(events...)
		want := d.Result()
		wantReply := tableReply(t, want)
		if name != "none" && len(want.Rows) == 0 {
			t.Errorf("%s: no rows", name)
		}
		for round := range 2 {
			var tw detect.TableWriter
			if err := d.WriteRows(&tw); err != nil {
				t.Fatal(err)
			}
			if len(want.Rows) == 0 {
				if tw.Table.Columns != nil || len(tw.Table.Rows) != 0 {
					t.Errorf("%s, round %d: rows written for an empty result: %v", name, round, tw.Table)
				}
			} else if !reflect.DeepEqual(tw.Table, want) {
				t.Errorf("%s, round %d: written table differs from Result:\n%v\nwant:\n%v", name, round, tw.Table, want)
			}
			if got := replyOf(t, func(w *chunked.RecordWriter) error { return d.WriteRows(w) }); got != wantReply {
				t.Errorf("%s, round %d: streamed reply differs from the table's:\n%s\nwant:\n%s", name, round, got, wantReply)
			}
		}
		if again := d.Result(); !reflect.DeepEqual(again, want) {
			t.Errorf("%s: Result changed after WriteRows", name)
		}
	}
}

// The many-origins corpus does reach the indexed origins and multivalue
// user_groups and src_ip, so the test above covers them.
func TestWriteRowsManyOrigins(t *testing.T) {
	d := run(manyOriginEvents()...)
	tb := d.Result()
	if len(tb.Rows) != 1 {
		t.Fatalf("%d rows, want 1", len(tb.Rows))
	}
	r := tb.Rows[0]
	if got := len(col(tb, r, "src_ip")); got != 2*manyOrigins+1 {
		t.Errorf("%d source IPs, want %d", got, 2*manyOrigins+1)
	}
	if got := strings.Join(col(tb, r, "user_groups"), ","); got != "system:authenticated,team-0,team-1,team-2" {
		t.Errorf("user_groups %s", got)
	}
	if msg := col(tb, r, "message")[0]; !strings.Contains(msg, "(HTTP 200, 201, 202)") {
		t.Errorf("message does not list the codes sorted: %s", msg)
	}
	mv := tb.Multivalue()
	if !mv[colGroups] || !mv[colIPs] {
		t.Error("user_groups and src_ip not multivalue")
	}
}

// The sorted groups are kept between writes, and dropped when a finding is
// added or the detector is flushed.
func TestWriteRowsFollowsChanges(t *testing.T) {
	d := run(requestEvents(3, false, true)...)
	first := replyOf(t, func(w *chunked.RecordWriter) error { return d.WriteRows(w) })
	d.AddEvent(requestEvents(5, false, true)[4])
	second := replyOf(t, func(w *chunked.RecordWriter) error { return d.WriteRows(w) })
	if second == first || !strings.Contains(second, "log-shipper-00004") {
		t.Errorf("a new event did not show:\n%s", second)
	}
	if want := tableReply(t, d.Result()); second != want {
		t.Errorf("after a new event:\n%s\nwant:\n%s", second, want)
	}
	if err := d.Flush(func([]byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := replyOf(t, func(w *chunked.RecordWriter) error { return d.WriteRows(w) }); got != "" {
		t.Errorf("rows after Flush:\n%s", got)
	}
}

// A group key is its fields joined by NUL and its lists' items by \x01,
// written without the intermediate strings.
func TestGroupKeyBytes(t *testing.T) {
	d := run(append(sampleEvents(t), daemonSetPods("a", 2, "calico/node:v3.28.0")...)...)
	n := 0
	for _, q := range d.keyed {
		r := q.fin
		for _, folded := range []bool{false, true} {
			name := r.Name
			if folded {
				name = "\x02folded"
			}
			want := strings.Join([]string{
				r.User, r.UserAgent, r.Verb, r.Resource, r.Sub, r.Namespace, name, r.Outcome, r.Owner,
				strings.Join(r.Containers, "\x01"), strings.Join(r.Images, "\x01"), strings.Join(r.Reasons, "\x01"),
				strings.Join(r.Changed, "\x01"), r.Spec, r.Detail,
			}, "\x00")
			if got := string(r.appendGroupKey([]byte("x"), folded)); got != "x"+want {
				t.Errorf("key %q, want %q", got, want)
			}
			n++
		}
	}
	if n < 10 {
		t.Errorf("only %d keys checked", n)
	}
}

// compareKeys orders groups as their written keys do, also where a field
// is a prefix of the other's, holds a separator byte, or a list differs.
func TestCompareKeysIsKeyOrder(t *testing.T) {
	var gs []*group
	for _, name := range []string{"", "a", "ab", "a\x00", "a\x01b", "b", "\x02folded"} {
		for _, ctrs := range [][]string{nil, {""}, {"c"}, {"c", "d"}, {"c\x01d"}, {"cd"}} {
			for _, detail := range []string{"x", "xy", "y"} {
				for _, folded := range []bool{false, true} {
					f := &finding{User: "u", Name: name, Containers: ctrs, Detail: detail, Owner: "DaemonSet n"}
					gs = append(gs, &group{fin: f, folded: folded})
				}
			}
		}
	}
	var ka, kb []byte
	for _, a := range gs {
		for _, b := range gs {
			want := bytes.Compare(a.fin.appendGroupKey(nil, a.folded), b.fin.appendGroupKey(nil, b.folded))
			if got := compareKeys(a, b, &ka, &kb); got != want {
				t.Fatalf("compareKeys(%q/%v, %q/%v) = %d, want %d", a.fin.groupKey(a.folded), a.folded,
					b.fin.groupKey(b.folded), b.folded, got, want)
			}
		}
	}
}
