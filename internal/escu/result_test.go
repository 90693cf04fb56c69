package escu

import (
	"bytes"
	"fmt"
	"runtime"
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

// The streamed rows are the reference's table, byte for byte once written
// as a reply, on every corpus the reference runs on; and writing twice
// (count, then write) gives the same bytes.
func TestWriteRowsIsTheReferenceTable(t *testing.T) {
	g := corpus.New(7)
	generated := make([][]byte, 3000)
	for i := range generated {
		generated[i] = g.Append(nil)
	}
	variants, _ := nearMiss(t, privAnnotation)
	for name, events := range map[string][][]byte{
		"sample":      sample(t),
		"distributed": distCorpus(t),
		"near misses": append(fixtureEvents(t), variants...),
		"generated":   generated,
		"none":        nil,
	} {
		d := run(events...)
		want := tableReply(t, referenceResult(t, events))
		for round := range 2 {
			if got := replyOf(t, func(w *chunked.RecordWriter) error { return d.WriteRows(w) }); got != want {
				t.Errorf("%s, round %d: streamed rows differ from the reference:\n%s\nwant:\n%s", name, round, got, want)
			}
		}
		if name == "none" && want != "" {
			t.Errorf("no event, reply %q, want nothing", want)
		}
	}
}

// fillnull can make two groups one row (a missing name becomes "0", like a
// pod named "0"): their counts add and their user_groups merge, with the
// "0" fillnull gives the group that had none, and the column turns
// multivalue.
func TestWriteRowsMergesWhatFillnullMakesEqual(t *testing.T) {
	d := run(
		event(set("0", "objectRef", "name"), set([]any{"b"}, "user", "groups")),
		event(del("objectRef", "name"), del("user", "groups")),
		event(del("objectRef", "name"), set([]any{"a"}, "user", "groups")),
	)
	tb := d.Result()
	if len(tb.Rows) != 1 {
		t.Fatalf("%d rows, want 1:\n%s", len(tb.Rows), strings.Join(rows(tb), "\n"))
	}
	r := tb.Rows[0]
	if got := fmt.Sprint(r[1], r[nBy], r[nBy+1]); got != "[0] [3] [0 a b]" {
		t.Errorf("name, count, user_groups = %s, want [0] [3] [0 a b]", got)
	}
	if mv := tb.Multivalue(); !mv[nBy+1] {
		t.Error("user_groups not multivalue")
	}
}

// The plan behind WriteRows is cached: events, partials and Flush after a
// write must show in the next one.
func TestWriteRowsFollowsChanges(t *testing.T) {
	d := run(event())
	first := tableReply(t, d.Result())
	d.AddEvent(event(set("other", "objectRef", "name")))
	second := replyOf(t, func(w *chunked.RecordWriter) error { return d.WriteRows(w) })
	if second == first || !strings.Contains(second, ",other,") {
		t.Errorf("a new event did not show:\n%s", second)
	}
	var parts [][]byte
	if err := d.Flush(func(p []byte) error { parts = append(parts, bytes.Clone(p)); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := replyOf(t, func(w *chunked.RecordWriter) error { return d.WriteRows(w) }); got != "" {
		t.Errorf("after Flush, rows %q, want none", got)
	}
	for _, p := range parts {
		if err := d.AddPartial(p); err != nil {
			t.Fatal(err)
		}
	}
	if got := replyOf(t, func(w *chunked.RecordWriter) error { return d.WriteRows(w) }); got != second {
		t.Errorf("after the partials came back:\n%s\nwant:\n%s", got, second)
	}
}

// Memory follows the groups' keys: the whole aggregation costs little
// more than the bytes of the distinct by-field values it must keep (here
// mostly the annotation, a pod manifest per group as in a real search).
func TestGroupMemoryFollowsKeys(t *testing.T) {
	const n = 20000
	events := make([][]byte, n)
	for i := range events {
		ann := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-%d","namespace":"default"},"spec":{"containers":[{"image":"busybox:%d","name":"c","securityContext":{"privileged":true}}]}}`, i, i)
		ann += strings.Repeat(" ", 1000)
		events[i] = event(set(fmt.Sprintf("pod-%d", i), "objectRef", "name"),
			set(map[string]any{"kubectl.kubernetes.io/last-applied-configuration": ann}, "requestObject", "metadata", "annotations"))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d := New()
	for _, e := range events {
		d.AddEvent(e)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if d.groups.len() != n {
		t.Fatalf("%d groups, want %d", d.groups.len(), n)
	}
	keys := 0
	for i := range d.groups.len() {
		keys += len(d.groups.key(i))
	}
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	perGroup := float64(heap-int64(keys)) / n
	t.Logf("%d groups: %.0f key bytes, %.0f heap bytes per group", n, float64(keys)/n, float64(heap)/n)
	if perGroup > 128 {
		t.Errorf("%.0f bytes per group besides the key, want at most 128", perGroup)
	}
	runtime.KeepAlive(d)
	runtime.KeepAlive(events)
}
