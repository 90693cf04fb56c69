package escu

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// referenceResult is the ESCU pipeline written the slow, obvious way, on
// encoding/json and maps, sharing no code with the detector: flatten every
// event, run the search, fillnull, stats, sort, rename.
func referenceResult(t testing.TB, events [][]byte) detect.Table {
	var passing []map[string][]string
	for _, raw := range events {
		fields, ok := flatten(raw)
		if !ok {
			continue
		}
		has := func(name string, pred func(string) bool) bool {
			return slices.ContainsFunc(fields[name], pred)
		}
		if has("objectRef.resource", func(v string) bool { return asciiLower(v) == "pods" }) &&
			has("verb", func(v string) bool { l := asciiLower(v); return l == "create" || l == "update" }) &&
			has(annotationField, func(v string) bool { return strings.Contains(asciiLower(v), `"privileged":true`) }) {
			passing = append(passing, fields)
		}
	}
	// fillnull: every field some passing result has, filled with 0 elsewhere.
	seen := map[string]bool{}
	for _, f := range passing {
		for name := range f {
			seen[name] = true
		}
	}
	for _, f := range passing {
		for name := range seen {
			if len(f[name]) == 0 {
				f[name] = []string{"0"}
			}
		}
	}
	type agg struct {
		count  int
		groups map[string]bool
	}
	groups := map[string]*agg{}
	keys := map[string][]string{}
	for _, f := range passing {
		combos := [][]string{nil}
		for _, name := range fieldNames[:nBy] {
			vals := f[name]
			if len(vals) == 0 {
				combos = nil // stats drops a result missing a by-field
				break
			}
			var next [][]string
			for _, c := range combos {
				for _, v := range vals {
					next = append(next, append(slices.Clone(c), v))
				}
			}
			combos = next
		}
		for _, c := range combos {
			k := strings.Join(c, "\x00")
			g := groups[k]
			if g == nil {
				g = &agg{groups: map[string]bool{}}
				groups[k] = g
				keys[k] = c
			}
			g.count++
			for _, v := range f["user.groups{}"] {
				g.groups[v] = true
			}
		}
	}
	order := make([]string, 0, len(groups))
	for k := range groups {
		order = append(order, k)
	}
	slices.SortFunc(order, func(a, b string) int { return slices.Compare(keys[a], keys[b]) })
	out := detect.Table{Columns: []string{"kind", "objectRef.name", "objectRef.namespace", "objectRef.resource",
		"requestObject.kind", "responseStatus.code", "src_ip", "stage", "user", "userAgent", "verb",
		annotationField, "count", "user_groups"}, Rows: []detect.Row{}}
	for _, k := range order {
		r := detect.Row{}
		for _, v := range keys[k] {
			r = append(r, []string{v})
		}
		r = append(r, []string{strconv.Itoa(groups[k].count)})
		var gs []string
		for v := range groups[k].groups {
			gs = append(gs, v)
		}
		slices.Sort(gs)
		r = append(r, gs)
		out.Rows = append(out.Rows, r)
	}
	return out
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// flatten gives every Splunk field of a JSON object event, from
// encoding/json's token stream; ok is false for anything else.
func flatten(raw []byte) (map[string][]string, bool) {
	if !json.Valid(raw) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	out := map[string][]string{}
	var walk func(prefix string, tok json.Token)
	walk = func(prefix string, tok json.Token) {
		switch tok := tok.(type) {
		case json.Delim:
			obj := tok == '{'
			for dec.More() {
				name := prefix + "{}"
				if obj {
					k, _ := dec.Token()
					name = k.(string)
					if prefix != "" {
						name = prefix + "." + name
					}
				}
				v, _ := dec.Token()
				walk(name, v)
			}
			dec.Token() // the closing delimiter
		case string:
			if tok != "" {
				out[prefix] = append(out[prefix], tok)
			}
		case json.Number:
			out[prefix] = append(out[prefix], string(tok))
		case bool:
			out[prefix] = append(out[prefix], strconv.FormatBool(tok))
		case nil:
			out[prefix] = append(out[prefix], "null")
		}
	}
	walk("", json.Delim('{'))
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return out, true
}

func compareWithReference(t *testing.T, name string, events [][]byte) {
	t.Helper()
	got, want := run(events...).Result(), referenceResult(t, events)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: detector and reference differ:\n%s\nreference:\n%s", name, strings.Join(rows(got), "\n"), strings.Join(rows(want), "\n"))
	}
}

func TestReferenceSampleAndEdgeCases(t *testing.T) {
	compareWithReference(t, "sample", sample(t))
	compareWithReference(t, "distributed corpus", distCorpus(t))
}

func TestReferenceFixtures(t *testing.T) {
	variants, _ := nearMiss(t, privAnnotation)
	compareWithReference(t, "fixtures and near misses", append(fixtureEvents(t), variants...))
}

// TestReferenceGeneratedCorpus runs the project's synthetic busy-cluster
// corpus (testsupport/corpus), whose own ground truth counts the
// kubectl-apply privileged pod writes the search is written to catch.
func TestReferenceGeneratedCorpus(t *testing.T) {
	g := corpus.New(42)
	events := make([][]byte, 5000)
	for i := range events {
		events[i] = g.Append(nil)
	}
	compareWithReference(t, "generated corpus", events)
	total := 0
	for _, r := range run(events...).Result().Rows {
		n, _ := strconv.Atoi(r[len(r)-2][0])
		total += n
	}
	if applied := g.Stats().Applied; applied == 0 || int64(total) < applied {
		t.Errorf("counted %d events, the generator made %d kubectl-apply privileged pod writes", total, applied)
	}
}

// FuzzAgainstReference compares the detector with the reference on a
// fuzzed event next to an ordinary passing one (so fillnull has something
// to fill from).
func FuzzAgainstReference(f *testing.F) {
	for _, e := range distCorpus(f) {
		if candidate(e) && len(e) < 5000 {
			f.Add(e)
		}
	}
	f.Add([]byte(`{"objectRef":{"resource":"PODS"},"verb":"Update","requestObject.metadata":{"annotations.kubectl.kubernetes.io/last-applied-configuration":"\u0022privileged\":true"},"sourceIPs":["a","a",""]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		events := [][]byte{event(), raw}
		d := run(events...)
		if d.tooMany > 0 {
			return // the reference has no such limit
		}
		if got, want := d.Result(), referenceResult(t, events); !reflect.DeepEqual(got, want) {
			t.Fatalf("event %q: detector and reference differ:\n%s\nreference:\n%s", raw, strings.Join(rows(got), "\n"), strings.Join(rows(want), "\n"))
		}
	})
}
