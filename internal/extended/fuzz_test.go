package extended

import (
	"reflect"
	"slices"
	"testing"

	"github.com/tidwall/gjson"
)

// slowWatch is the pre-filter's answer by gjson alone: the watched
// resource of a pod-spec write, notWatched for other audit events, nil
// for events without a verb.
func slowWatch(s string) *watched {
	verb := gjson.Get(s, "verb")
	if !verb.Exists() {
		return nil
	}
	if verb.Type != gjson.String || !isWriteVerb(verb.Str) {
		return notWatched
	}
	ref := gjson.Get(s, "objectRef")
	if w := lookupResource(ref.Get("resource").Str, ref.Get("subresource").Str, ref.Get("apiGroup").Str); w != nil {
		return w
	}
	return notWatched
}

func addSeeds(f *testing.F) {
	for _, e := range sampleEvents(f) {
		f.Add(e)
	}
	body := pod("p", privSpec)
	for _, e := range []ev{
		{req: body},
		{verb: "patch", resource: "deployments", group: "apps", nm: "d", req: obj(`[{"op":"add","path":"/spec/template/spec/containers/0/securityContext","value":{"privileged":true,"capabilities":{"add":["SYS_ADMIN"]}}}]`)},
		{verb: "patch", sub: "ephemeralcontainers", nm: "p", req: obj(`{"spec":{"ephemeralContainers":[{"name":"d","securityContext":{"privileged":true}}]}}`)},
		{resource: "cronjobs", group: "batch", req: wrap("CronJob", "cronjobs", `"hostPID":true,"volumes":[{"name":"v","hostPath":{"path":"/proc"}}],"containers":[{"name":"a","volumeMounts":[{"name":"v"}]}]`)},
		{req: pod("p", `"securityContext":{"runAsUser":0},"containers":[{"name":"a"},{"name":"b","securityContext":{"runAsUser":1000,"runAsNonRoot":false}}]`)},
		{verb: "patch", resource: "deployments", group: "apps", nm: "d", req: obj(`[{"op":"add","path":"/spec/template/spec/securityContext/runAsNonRoot","value":false}]`)},
		{level: "Metadata"},
		{annotations: map[string]string{"audit.k8s.io/truncated": "true"}},
	} {
		f.Add(e.raw())
	}
	f.Add([]byte(`{"verb":"create","objectRef":{"resource":"pods"},"requestObject":{"spec":{"containers":[{"securityContext":{"privil\u0065ged":true}}]}}}`))
	f.Add([]byte(`{"verb":"create","objectRef":{"resource":"pods"},"requestObject":{"spec":{"containers":[{"securityContext":{"run\u0041sUser":0}}]}}}`))
	f.Add([]byte(`{"verb":"create","objectRef":{"resource":"pods"},"requestObject":{"spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":0},"containers":[{"securityContext":{"runAsNonRoot":true}}]}}}`))
	f.Add([]byte(`{"properties":{"log":"{\"verb\":\"create\",\"objectRef\":{\"resource\":\"pods\"},\"requestObject\":{\"spec\":{\"containers\":[{\"securityContext\":{\"runAsUser\":\u0030}}]}}}"}}`))
	f.Add([]byte(`{"v\u0065rb":"create","objectRef":{"resource":"pods"},"verb":"get"}`))
	f.Add([]byte(`{"protoPayload":{"methodName":"io.k8s.core.v1.pods.create","request":{"spec":{"hostIPC":true}}}}`))
	f.Add([]byte(`{"properties":{"log":"{\"verb\":\"create\",\"objectRef\":{\"resource\":\"pods\"},\"requestObject\":{\"spec\":{\"hostNetwork\":true}}}"}}`))
}

// FuzzQuickWatch checks that the fast top-level scan answers exactly as
// gjson whenever it answers, for any JSON text.
func FuzzQuickWatch(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"verb":"create","verb":"get","objectRef":{"resource":"pods","resource":"leases"}}`))
	f.Add([]byte(`{"objectRef":{"subresource":"status","resource":"pods"},"verb":"update"}`))
	f.Add([]byte(` { "verb" : "patch" , "objectRef" : { "resource" : "jobs" , "apiGroup" : 7 } } `))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := string(b)
		w, ok := quickWatch(s)
		if !ok || !gjson.Valid(s) {
			return
		}
		if slow := slowWatch(s); w != slow {
			t.Fatalf("quickWatch(%s) = %v, gjson says %v", s, w, slow)
		}
	})
}

// FuzzAddEvent feeds any bytes to AddEvent: no panic, no hang; for JSON
// the pre-filtered path finds exactly what the exhaustive one finds; and
// a map/reduce round trip of the state gives the same result.
func FuzzAddEvent(f *testing.F) {
	addSeeds(f)
	f.Add([]byte("not json"))
	f.Add([]byte(`{"verb":"create","objectRef":{"resource":"pods"},"stage":"ResponseComplete"`))
	// A code patch logged without its result (pending until Result).
	f.Add([]byte(`{"auditID":"a","verb":"patch","stage":"ResponseComplete","objectRef":{"resource":"daemonsets","apiGroup":"apps","namespace":"kube-system","name":"x"},"responseStatus":{"code":200},"requestObject":{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"evil:1"}]}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fast := New()
		fast.AddEvent(b)
		got := fast.Result()
		msgs := fast.Messages()
		if gjson.ValidBytes(b) {
			slow := New()
			slow.exhaustive = true
			slow.AddEvent(b)
			if want := slow.Result(); !reflect.DeepEqual(got, want) {
				t.Fatalf("pre-filtered result differs from exhaustive one:\n got %q\nwant %q", got.Rows, want.Rows)
			}
		}
		var partials [][]byte
		if err := fast.Flush(func(p []byte) error {
			partials = append(partials, slices.Clone(p))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		reduce := New()
		for _, p := range partials {
			if err := reduce.AddPartial(p); err != nil {
				t.Fatalf("AddPartial(%s): %v", p, err)
			}
		}
		if rt := reduce.Result(); !reflect.DeepEqual(rt, got) || !reflect.DeepEqual(reduce.Messages(), msgs) {
			t.Fatalf("round trip through partials differs:\n got %q %q\nwant %q %q", rt.Rows, reduce.Messages(), got.Rows, msgs)
		}
	})
}

// FuzzAddPartial feeds any bytes to AddPartial: no panic; a row it accepts
// survives a Flush and AddPartial again unchanged in meaning.
func FuzzAddPartial(f *testing.F) {
	d := run(sampleEvents(f)...)
	d.AddEvent([]byte("junk"))
	if err := d.Flush(func(p []byte) error { f.Add(slices.Clone(p)); return nil }); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"kpp":"kubeprivpod/extended/3","cnt":{"blind":{"000000000000000000000000000000ff":3},"nobody":2}}`))
	f.Add([]byte(`{"kpp":"kubeprivpod/extended/3","rec":{"v":"x","res":"y","o":"unknown","rsn":["a"],"risk":1,"t":"bad time"}}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		a := New()
		if err := a.AddPartial(p); err != nil {
			return
		}
		want, wantMsgs := a.Result(), a.Messages()
		b := New()
		if err := a.Flush(func(q []byte) error { return b.AddPartial(q) }); err != nil {
			t.Fatalf("re-encoded row rejected: %v", err)
		}
		if got := b.Result(); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(b.Messages(), wantMsgs) {
			t.Fatalf("round trip differs:\n got %q\nwant %q", got.Rows, want.Rows)
		}
	})
}

// TestMayRunAsRoot pins the run-as-root gate: plainly non-root values are
// passed over, anything that may be root (or that it cannot read plainly)
// passes. FuzzAddEvent checks it against the exhaustive path.
func TestMayRunAsRoot(t *testing.T) {
	for s, want := range map[string]bool{
		`{"runAsNonRoot":true}`:                                  false,
		`{"runAsNonRoot" : true,"runAsUser":1000}`:               false,
		`{"runAsUser":null,"runAsNonRoot":null}`:                 false,
		`{"runAsGroup":0,"runAsUserName":"x"}`:                   false,
		`{"args":["runAs"]}`:                                     false,
		`{"runAsUser":0}`:                                        true,
		`{"runAsUser":-0}`:                                       true,
		`{"runAsUser":"0"}`:                                      true, // not plainly non-root: left to the parse
		`{"runAsNonRoot":false}`:                                 true,
		`{"runAsNonRoot":true,"runAsUser":0}`:                    true,
		`{"runAsUser"`:                                           true,
		`{"runAsUser":`:                                          true,
		`[{"path":"/spec/securityContext/runAsUser","value":0}]`: true,
		`{"log":"{\"runAsNonRoot\":true}"}`:                      false,
		`{"log":"{\"runAsNonRoot\":false}"}`:                     true,
		`{"log":"{\"runAsUser\": 0}"}`:                           true,
		`{"log":"{\"runAsUser\":\n1}"}`:                          true,
		`{"log":"{\"runAs\u0055ser\":0}"}`:                       false, // left to hasLetterEscape
		`{"log":"{\"runAsUser\u0022:0}"}`:                        true,
		`{"log":"{\\\"runAsUser\\\":1}"}`:                        true,
		`{"runAsUser":1,"runAsNonRoot":false}`:                   true,
		`{"runAsUserName":"x","runAsUser":0}`:                    true,
		`{"runAsUserName":"x","runAsUser":7}`:                    false,
		"{\"runAsUser\":\t\n 0}":                                 true,
	} {
		if got := mayRunAsRoot(s, `"`); got != want {
			t.Errorf("mayRunAsRoot(%s) = %v, want %v", s, got, want)
		}
		if got := mayRunAsRoot(string(csvQuote([]byte(s))), `""`); got != want {
			t.Errorf("mayRunAsRoot(%s) on the CSV-quoted text = %v, want %v", s, got, want)
		}
	}
}
