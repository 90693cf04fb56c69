package extended

import (
	"bytes"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// refWatchEqual checks refWatch against watchOfCSV, the walk it cuts
// short, on one quoted objectRef and what follows it, for each verb.
func refWatchEqual(t *testing.T, rest []byte) {
	t.Helper()
	for _, verb := range []string{`""create""`, `""get""`, `""pa\tch""`, `""patch""`, `"update"`} {
		w, ok := refWatch([]byte(verb), rest)
		w2, ok2 := watchOfCSV([]byte(verb), rest, true)
		if w != w2 || ok != ok2 {
			t.Fatalf("verb %s, objectRef %q: refWatch %v %v, watchOfCSV %v %v", verb, rest, w, ok, w2, ok2)
		}
	}
	if rs, ok := leadingResourceCSV(rest); ok {
		walk := jsonscan.MembersCSV(rest)
		k, _ := walk.Key()
		v, more := walk.Value()
		want, ok2 := refStringCSV(v, more)
		if string(k) != "resource" || !ok2 || rs != want {
			t.Fatalf("objectRef %q: leadingResourceCSV %q, the walk %q %q %v", rest, rs, k, want, ok2)
		}
	}
}

func TestRefWatch(t *testing.T) {
	for _, ref := range []string{
		`{"resource":"leases","namespace":"kube-system"},"stage":"x"}`,
		`{"resource":"pods","namespace":"x","subresource":"status"}}`,
		`{"resource":"pods","namespace":"x"}}`,
		`{"resource":"deployments","apiGroup":"apps"}}`,
		`{"resource":"deployments","apiGroup":"extensions"}}`,
		`{"resource":"lea\"ses"}}`,
		`{"resource":"lea\\ses"}}`,
		`{"resource":"leases`,
		`{"resource":"leases"`,
		`{"resource":""}`,
		`{"resource": "leases"}`,
		`{ "resource":"leases"}`,
		`{"resource":["leases"]}`,
		`{"namespace":"x","resource":"leases"}`,
		`{}`,
		`"leases"`,
	} {
		refWatchEqual(t, csvQuote([]byte(ref)))
		refWatchEqual(t, []byte(ref))
	}
}

// FuzzRefWatch checks refWatch against watchOfCSV on any bytes, quoted
// as splunkd quotes them and taken as they are.
func FuzzRefWatch(f *testing.F) {
	f.Add([]byte(`{"resource":"leases","namespace":"kube-system"}`))
	f.Add([]byte(`{"resource":"pods","subresource":"status"}`))
	f.Add([]byte(`{"resource":"le\"ases"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		refWatchEqual(t, csvQuote(raw))
		refWatchEqual(t, raw)
		refWatchEqual(t, append([]byte(`{""resource"":""`), raw...))
		refWatchEqual(t, bytes.ReplaceAll(raw, []byte(`'`), []byte(`{""resource"":""`)))
	})
}
