package extended

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/cpufeat"
)

// mayFindCSVRef is mayFindCSV as five searches over the whole cell: the
// answer the one search must give.
func mayFindCSVRef(q string) bool {
	return containsAt(q, "privileged", 3) || hasHostOrPatch(q, true) || containsAt(q, "capabilities", 4) ||
		mayRunAsRoot(q, `""`) || hasLetterEscape(q)
}

// needlesEqual checks nextNeedle against nextNeedleGo from every offset,
// and mayFindCSV against mayFindCSVRef.
func needlesEqual(t *testing.T, s string) {
	t.Helper()
	// Both vector paths, where the CPU runs AVX2.
	defer func(was bool) { useAVX2Needles = was }(useAVX2Needles)
	for _, avx2 := range []bool{false, true} {
		if avx2 && !cpufeat.AVX2 {
			continue
		}
		useAVX2Needles = avx2
		needlesEqualOn(t, s)
	}
}

func needlesEqualOn(t *testing.T, s string) {
	t.Helper()
	for i := 0; i <= len(s); i++ {
		at, kind := nextNeedle(s, i)
		at2, kind2 := nextNeedleGo(s, i)
		if at != at2 || kind != kind2 {
			t.Fatalf("%q from %d: nextNeedle %d %d, nextNeedleGo %d %d", s, i, at, kind, at2, kind2)
		}
	}
	if got, want := mayFindCSV(s), mayFindCSVRef(s); got != want {
		t.Fatalf("%q: mayFindCSV %v, the five searches %v", s, got, want)
	}
}

func TestNextNeedle(t *testing.T) {
	pad := strings.Repeat("x", 20)
	for _, c := range []string{
		`""securityContext"":{""privileged"":true}`,
		`""capabilities"":{""add"":[""NET_ADMIN""]}`,
		`""hostNetwork"":true`,
		`[{""op"":""add"",""path"":""/spec/x""}]`,
		`""runAsUser"":0`,
		`""runAsUser"":1000,""runAsNonRoot"":true,""runAsGroup"":0`,
		`""runAsNonRoot"":false`,
		`\""runAsUser\"":0`,
		`""\u0068ostPID"":true`,
		`""\u00e9"":1,""x"":""\u0026""`,
		`""\u12"`,
		`privileg`, `rivileged`, `capabilitie`, `apabilities`, `hos`, `atch`, `runA`, `unAs`, `\`,
		`vvvv bbbb hhhh AAAA \\\\ patc`,
	} {
		for _, s := range []string{c, pad + c, c + pad, pad + c + pad, pad[:13] + c, c + pad[:15]} {
			needlesEqual(t, s)
		}
	}
	// Every name across the 16- and 32-byte lanes and at the end.
	for _, name := range []string{"privileged", "capabilities", "host", "patch", `runAsUser"":0`, `\u0041`} {
		for k := range 72 {
			needlesEqual(t, strings.Repeat("v", k)+name)
			needlesEqual(t, strings.Repeat("-", k)+name+strings.Repeat("h", 72-k))
		}
	}
}

// FuzzNextNeedle checks nextNeedle and mayFindCSV (needlesEqual) on any
// bytes, as they are and quoted as splunkd quotes them.
func FuzzNextNeedle(f *testing.F) {
	f.Add([]byte(`{"spec":{"hostPID":true,"containers":[{"securityContext":{"runAsUser":0}}]}}`))
	f.Add([]byte(`[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/privileged"}]`))
	f.Add([]byte(`{"a":"\u0070rivileged","capabilities":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		needlesEqual(t, string(raw))
		needlesEqual(t, string(bytes.ReplaceAll(raw, []byte(`"`), []byte(`""`))))
	})
}

// BenchmarkMayFindCSV measures mayFindCSV on the quoted cell of a
// pod-spec write it rejects: every name searched for over the whole cell.
func BenchmarkMayFindCSV(b *testing.B) {
	ev := `{"kind":"Event","verb":"create","objectRef":{"resource":"deployments","apiGroup":"apps"},` +
		`"requestObject":{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","labels":{"app":"web"},` +
		`"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}"}},` +
		`"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},` +
		`"spec":{"serviceAccountName":"web","containers":[{"name":"web","image":"registry.example.com/web:1.4.2",` +
		`"ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"}},` +
		`"securityContext":{"runAsNonRoot":true,"runAsUser":1000,"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true},` +
		`"volumeMounts":[{"name":"tmp","mountPath":"/tmp"}]}],"volumes":[{"name":"tmp","emptyDir":{}}]}}}}}`
	q := strings.ReplaceAll(ev, `"`, `""`)
	if mayFindCSV(q) {
		b.Fatal("the bench cell passes mayFindCSV")
	}
	b.SetBytes(int64(len(q)))
	for b.Loop() {
		mayFindCSV(q)
	}
}
