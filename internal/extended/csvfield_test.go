package extended

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
	"github.com/kubeprivpod/kubeprivpod/testsupport/corpus"
)

// csvQuote is how splunkd writes _raw into a CSV cell, without the outer
// quotes: every '"' doubled.
func csvQuote(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`"`), []byte(`""`)) }

// sameAsAddEvent requires AddCSVField on the quoted events to leave the
// detector exactly as AddEvent on the events: rows, messages and the
// partial rows a map phase would flush.
func sameAsAddEvent(t *testing.T, name string, evs [][]byte) {
	t.Helper()
	slow, fast := New(), New()
	for _, e := range evs {
		slow.AddEvent(e)
		fast.AddCSVField(csvQuote(e), true)
	}
	if got, want := fast.Result(), slow.Result(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: AddCSVField gives\n%q\nAddEvent gives\n%q", name, got.Rows, want.Rows)
	}
	if got, want := fast.Messages(), slow.Messages(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: AddCSVField's messages %q, AddEvent's %q", name, got, want)
	}
}

// TestCSVFieldSameAsAddEvent runs every event corpus of this package's
// tests through both entry points: the sample log, the shared fixtures,
// the envelopes, the precision days and a generated mix with reads,
// writes and traps.
func TestCSVFieldSameAsAddEvent(t *testing.T) {
	sameAsAddEvent(t, "sample", sampleEvents(t))
	for _, f := range auditFixtures(t) {
		sameAsAddEvent(t, filepath.Base(f), fixtureEvents(t, f))
	}
	envs, err := filepath.Glob(filepath.Join("testdata", "envelopes", "*.json"))
	if err != nil || len(envs) < 10 {
		t.Fatalf("envelopes: %d files, %v", len(envs), err)
	}
	for _, f := range envs {
		sameAsAddEvent(t, f, [][]byte{envelopeFile(t, filepath.Base(f))})
	}
	for _, day := range []string{"day-request", "day-requestresponse"} {
		evs := precisionDay(t, day)
		if len(evs) < 100 {
			t.Fatalf("%s: %d events", day, len(evs))
		}
		sameAsAddEvent(t, day, evs)
	}
	g := corpus.New(7)
	var evs [][]byte
	rejected := 0
	for range 5000 {
		e := g.Append(nil)
		evs = append(evs, e)
		d := New()
		d.AddCSVField(csvQuote(e), true)
		if len(d.unquoted) < len(e) {
			rejected++ // on the quoted bytes
		}
	}
	sameAsAddEvent(t, "generated", evs)
	// The shortcut must be taken for most events, or the comparison
	// above proves nothing about it.
	if rejected < len(evs)/2 {
		t.Fatalf("only %d of %d generated events rejected on their quoted bytes", rejected, len(evs))
	}
}

// TestCSVFieldEscapedQuotes puts runs of escaped quotes (\"" in the
// cell) and backslashes before the verb and inside objectRef, where the
// quoted walk must pair quotes as unquoting does.
func TestCSVFieldEscapedQuotes(t *testing.T) {
	for n := range 12 {
		for _, verb := range []string{"get", "create", "update"} {
			x := strings.Repeat(`\"`, n) + strings.Repeat(`\\`, n%3)
			e := []byte(`{"kind":"Event","x":"` + x + `","verb":"` + verb + `","objectRef":{"name":"` + x +
				`","resource":"pods"},"stage":"ResponseComplete",` +
				`"requestObject":{"spec":{"containers":[{"name":"c","securityContext":{"privileged":true}}]}}}`)
			sameAsAddEvent(t, itoa(n)+" "+verb, [][]byte{e})
			w, _, reject := preCSV(csvQuote(e), nil)
			if verb == "get" && !reject || verb != "get" && (reject || w != resources["pods"]) {
				t.Errorf("%s: preCSV = %v, reject %v", e, w, reject)
			}
		}
	}
}

// TestPreCSVObjectRefStart checks the pre-filter's answer from the first
// members of an objectRef: a write to an object without a pod spec is
// rejected however its objectRef goes on, broken or cut short after the
// resource, and leaves no trace in AddEvent either; a pod-spec resource,
// or a broken objectRef before its resource, is passed on to the full
// path.
func TestPreCSVObjectRefStart(t *testing.T) {
	head := `{"kind":"Event","verb":"update","user":{"username":"u"},"objectRef":`
	empty := New()
	for _, c := range []struct {
		ref    string
		reject bool
	}{
		{`{"resource":"leases","namespace":"kube-system","name":"x"},"stage":"ResponseComplete"}`, true},
		{`{"resource":"leases","namespace":"kube-system","name":"x}`, true},
		{`{"resource":"leases","namespace":[}`, true},
		{`{"resource":"leases","x":"\"}`, true},
		{`{"apiGroup":"coordination.k8s.io","resource":"leases","name":}`, true},
		{`{"namespace":"x","resource":"pods","name":"p"},"stage":"ResponseComplete"}`, false},
		{`{"resource":"pods","namespace":"kube-system","name":"x}`, false},
		{`{"namespace":"x" "resource":"leases"}}`, false},
		{`{"resource":"lea\"ses","name":"x"}}`, false},
		{`"leases"}`, false},
	} {
		e := []byte(head + c.ref)
		if _, _, reject := preCSV(csvQuote(e), nil); reject != c.reject {
			t.Errorf("%s: preCSV rejects %v, want %v", e, reject, c.reject)
		}
		d := New()
		d.AddEvent(e)
		if c.reject && (!reflect.DeepEqual(d.Result(), empty.Result()) || len(d.Messages()) > 0) {
			t.Errorf("%s: rejected, but AddEvent gives %q, %q", e, d.Result().Rows, d.Messages())
		}
		sameAsAddEvent(t, string(e), [][]byte{e})
	}
}

// FuzzPreCSV checks the pre-filter on quoted bytes against the
// detector on the unquoted event: that mayFindCSV passes whatever mayFind
// or mayPatchCode passes; that preCSV rejects only events AddEvent leaves
// no trace of; that the resource it finds is quickWatch's; and that it
// says mayFind and mayPatchCode are false only where they are; and that
// its answer is the same with the runs of earlier cells kept. For cells
// quoted as splunkd quotes them and for any bytes taken as a cell.
func FuzzPreCSV(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{""verb"":""get"",""objectRef"":{}}`))
	f.Add([]byte(`{"verb":"create","x":"\"","objectRef":{"resource":"pods"}}`))
	f.Add([]byte(`{"requestObject":{},"verb":"create","objectRef":{"resource":"pods"},"stage":"ResponseComplete"}`))
	f.Add([]byte(`{"verb":"create","objectRef":{"resource":"pods"},"stage":"ResponseComplete","requestObject":[]}`))
	f.Add([]byte(`{"verb":"update","objectRef":{"resource":"leases","name":"x`))
	f.Add([]byte(`{"verb":"patch","objectRef":{"apiGroup":"apps","resource":"deployments","name":[}`))
	empty := New()
	// Each input also runs twice through a cache warmed by cells of the
	// generated corpus (the second time its own run is kept), and must
	// answer as with no cache.
	evs, _ := mix(f)
	var warm [][]byte
	for _, e := range evs[:100] {
		warm = append(warm, csvQuote(e))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, q := range [][]byte{csvQuote(raw), raw} {
			if looksLikeObject(q) {
				w0, n0, r0 := preCSV(q, nil)
				var runs jsonscan.RunCache
				for _, c := range warm {
					preCSV(c, &runs)
				}
				for range 2 {
					if w, n, r := preCSV(q, &runs); w != w0 || n != n0 || r != r0 {
						t.Fatalf("cell %q: with runs kept %v %v %v, without %v %v %v", q, w, n, r, w0, n0, r0)
					}
				}
			}
			u := jsonscan.UnquoteCSV(nil, q)
			if !mayFindCSV(view(q)) && (mayFind(view(u)) || mayPatchCode(view(u))) {
				t.Fatalf("cell %q: mayFindCSV false, but mayFind or mayPatchCode true on %q", q, u)
			}
			if !looksLikeObject(q) {
				continue
			}
			w, noName, reject := preCSV(q, nil)
			if reject {
				d := New()
				d.AddEvent(u)
				if !reflect.DeepEqual(d.Result(), empty.Result()) || len(d.Messages()) > 0 {
					t.Fatalf("cell %q rejected, but AddEvent on %q gives %q, %q", q, u, d.Result().Rows, d.Messages())
				}
				continue
			}
			if w == nil {
				continue
			}
			if w2, ok2 := quickWatch(view(u)); !ok2 || w2 != w {
				t.Fatalf("cell %q: preCSV finds %v, quickWatch on %q = %v, %v", q, w, u, w2, ok2)
			}
			if noName && (mayFind(view(u)) || mayPatchCode(view(u))) {
				t.Fatalf("cell %q: preCSV says no name, but mayFind or mayPatchCode is true on %q", q, u)
			}
		}
	})
}

// FuzzCSVField checks AddCSVField against AddEvent on any bytes, both
// quoted as splunkd quotes them and taken as a cell as they are (lone
// quotes and all).
func FuzzCSVField(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		sameAsAddEvent(t, "fuzzed", [][]byte{raw})
		slow, fast := New(), New()
		u := jsonscan.UnquoteCSV(nil, raw)
		slow.AddEvent(u)
		fast.AddCSVField(raw, true)
		if got, want := fast.Result(), slow.Result(); !reflect.DeepEqual(got, want) {
			t.Fatalf("cell %q: AddCSVField gives\n%q\nAddEvent gives\n%q", raw, got.Rows, want.Rows)
		}
		if got, want := fast.Messages(), slow.Messages(); !reflect.DeepEqual(got, want) {
			t.Fatalf("cell %q: AddCSVField's messages %q, AddEvent's %q", raw, got, want)
		}
	})
}

// TestIndexAt checks the anchored searches against strings.Contains
// at every position of every needle, near both ends of the text.
func TestIndexAt(t *testing.T) {
	for _, n := range []struct {
		needle string
		at     int
	}{{"privileged", 3}, {"capabilities", 4}, {"runAs", 3}} {
		for _, pad := range []int{0, 1, 2, 3, 17, 40} {
			for _, text := range []string{
				strings.Repeat("v", pad) + n.needle,
				n.needle + strings.Repeat("b", pad),
				strings.Repeat("x", pad) + n.needle[:len(n.needle)-1],
				n.needle[1:] + strings.Repeat("A", pad),
				strings.Repeat("privilegeb", pad) + "capabilitie",
			} {
				if got, want := indexAt(text, n.needle, n.at), strings.Index(text, n.needle); got != want {
					t.Errorf("indexAt(%q, %q) = %v, want %v", text, n.needle, got, want)
				}
			}
		}
	}
	for _, text := range []string{"host", "xhost", "hos", "patch", "xpatch", "atch", "patc", "hpatc", "hhost", "patchost"} {
		for _, patch := range []bool{false, true} {
			want := strings.Contains(text, "host") || patch && strings.Contains(text, "patch")
			if got := hasHostOrPatch(text, patch); got != want {
				t.Errorf("hasHostOrPatch(%q, %v) = %v", text, patch, got)
			}
		}
	}
}

// FuzzIndexAt checks the anchored searches against strings.Contains.
func FuzzIndexAt(f *testing.F) {
	f.Add("a privileged host", true)
	f.Add("capabilitiesrunAs patch", false)
	f.Fuzz(func(t *testing.T, s string, patch bool) {
		for _, n := range []struct {
			needle string
			at     int
		}{{"privileged", 3}, {"capabilities", 4}, {"runAs", 3}} {
			if got, want := indexAt(s, n.needle, n.at), strings.Index(s, n.needle); got != want {
				t.Fatalf("indexAt(%q, %q) = %v, want %v", s, n.needle, got, want)
			}
		}
		want := strings.Contains(s, "host") || patch && strings.Contains(s, "patch")
		if got := hasHostOrPatch(s, patch); got != want {
			t.Fatalf("hasHostOrPatch(%q, %v) = %v", s, patch, got)
		}
	})
}

// TestPreCSVRepeatedClient runs one client's writes through preCSV with
// the runs kept: from the second cell on, the members after the verb are
// passed over by the cache, and a write whose objectRef then opens with a
// resource without a pod spec is rejected there. Every answer is the one
// preCSV gives with no cache.
func TestPreCSVRepeatedClient(t *testing.T) {
	client := `"user":{"username":"system:serviceaccount:kube-system:replicaset-controller","groups":["system:serviceaccounts"]},"sourceIPs":["10.0.0.1"],"userAgent":"kube-controller-manager/v1.31.2"`
	body := `"requestObject":{"spec":{"containers":[{"name":"c","securityContext":{"privileged":true}}]}}`
	cases := []struct {
		rest   string
		reject bool
	}{
		{`"objectRef":{"resource":"leases","name":"a"}`, true},
		{`"objectRef":{"resource":"leases","name":"b"}`, true},
		{`"objectRef":{"resource":"pods","name":"p"},` + body, false},
		{`"objectRef":{"resource":"configmaps","name":"c"}`, true},
		{`"objectRef":{"name":"c","resource":"configmaps"}`, true},
		{`"objectRef":{"resource":"po\"ds"},` + body, false},
		{`"objectRef":{"resource":"pods"` + `,"subresource":"status"}`, true},
		{body + `,"objectRef":{"resource":"pods"}`, false},
		{`"objectRef" :{"resource":"leases"}`, true},
		{`"objectRef":{"resource":"leases"`, true},
	}
	var runs jsonscan.RunCache
	for round := range 2 {
		for _, verb := range []string{"update", "create", "get"} {
			for _, c := range cases {
				e := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"x","stage":"ResponseComplete","verb":"` +
					verb + `",` + client + `,` + c.rest + `}`)
				q := csvQuote(e)
				w0, n0, r0 := preCSV(q, nil)
				w, n, r := preCSV(q, &runs)
				if w != w0 || n != n0 || r != r0 {
					t.Errorf("round %d %s: with runs kept %v %v %v, without %v %v %v", round, e, w, n, r, w0, n0, r0)
				}
				if want := c.reject || verb == "get"; r != want {
					t.Errorf("round %d %s: rejected %v, want %v", round, e, r, want)
				}
			}
		}
	}
}
