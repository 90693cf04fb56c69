package extended

import (
	"slices"
	"testing"
)

// decoyPair is the decoy attack: a privileged pod create and a
// harmless-looking run-as-root decoy sent with the same Audit-ID header,
// by the same user, to the same URI, the decoy named to sort first. The
// API server stamps each with its own requestReceivedTimestamp, or with
// the same one when both land in the same microsecond.
func decoyPair(sameTime bool) [][]byte {
	decoyTime := "2026-11-24T10:00:00.000000Z" // sent first
	if sameTime {
		decoyTime = "2026-11-24T10:00:00.000001Z"
	}
	const id = "00000000-0000-4000-8000-000000000001"
	return [][]byte{
		ev{id: id, nm: "zz-node-shell", req: pod("zz-node-shell", privSpec), time: "2026-11-24T10:00:00.000001Z"}.raw(),
		ev{id: id, nm: "aa-decoy", req: pod("aa-decoy", `"containers":[{"name":"app","image":"nginx","securityContext":{"runAsUser":0}}]`), time: decoyTime}.raw(),
	}
}

// The decoy never hides the privileged row: in one process in either
// order, and through map and reduce in every split of the two events
// (each in its own map process, both in one, either sent raw to the
// reduce, partial rows in either order).
func TestDecoyCannotHidePrivileged(t *testing.T) {
	for _, sameTime := range []bool{false, true} {
		evs := decoyPair(sameTime)
		check := func(how string, d *Detector) {
			t.Helper()
			got := summaries(d.Result())
			if !slices.Contains(got, "eve@example.com create pods default/zz-node-shell allowed [containers/c] [privileged] 49 1") {
				t.Errorf("same time %v, %s: privileged row missing: %q", sameTime, how, got)
			}
			if !sameTime && len(got) != 2 {
				t.Errorf("same time %v, %s: want both requests, got %q", sameTime, how, got)
			}
		}
		check("in order", run(evs...))
		check("reversed", run(evs[1], evs[0]))
		for _, order := range [][]int{{0, 1}, {1, 0}} {
			a, b := evs[order[0]], evs[order[1]]
			// Each in its own map process; partials in this order.
			var parts [][]byte
			for _, e := range [][]byte{a, b} {
				m := New()
				m.AddEvent(e)
				flushTo(t, m, &parts)
			}
			check("two maps", reduceOf(t, parts, nil))
			// Both in one map process.
			parts = nil
			flushTo(t, run(a, b), &parts)
			check("one map", reduceOf(t, parts, nil))
			// One through a map process, the other raw at the reduce,
			// before and after the partial.
			parts = nil
			flushTo(t, run(a), &parts)
			check("map then raw", reduceOf(t, parts, b))
			r := New()
			r.AddEvent(b)
			for _, p := range parts {
				if err := r.AddPartial(p); err != nil {
					t.Fatal(err)
				}
			}
			check("raw then map", r)
		}
	}
}

func reduceOf(t *testing.T, parts [][]byte, raw []byte) *Detector {
	t.Helper()
	r := New()
	for _, p := range parts {
		if err := r.AddPartial(p); err != nil {
			t.Fatal(err)
		}
	}
	if raw != nil {
		r.AddEvent(raw)
	}
	return r
}

// A write the API server refused before decoding its body is not a blind
// write: no audit level would have logged the body. Only writes a higher
// level (or a larger size limit) would show are counted.
func TestBlindWritesMatchTheAPIServer(t *testing.T) {
	forbid := map[string]string{"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}
	for _, c := range []struct {
		name  string
		e     ev
		blind bool
	}{
		// As a real API server logs an RBAC denial with the README's
		// policy: level Request, no requestObject, decision forbid.
		{"RBAC forbid at level Request", ev{id: "f1", level: "Request", code: 403, annotations: forbid}, false},
		{"RBAC forbid at level Metadata", ev{id: "f2", level: "Metadata", code: 403, annotations: forbid}, false},
		{"unauthenticated", ev{id: "u1", level: "Metadata", code: 401, user: "system:anonymous"}, false},
		{"priority and fairness rejected", ev{id: "a1", level: "Metadata", code: 429}, false},
		{"body not decodable", ev{id: "b1", level: "Metadata", code: 400}, false},
		{"no body at level RequestResponse", ev{id: "r1", level: "RequestResponse", code: 500}, false},
		// Admission (Pod Security) decodes the body first: a higher
		// level shows it.
		{"admission denial at Metadata", ev{id: "p1", level: "Metadata", code: 403, annotations: map[string]string{"authorization.k8s.io/decision": "allow", "pod-security.kubernetes.io/enforce-policy": "baseline:latest"}}, true},
		{"created at Metadata", ev{id: "m1", level: "Metadata"}, true},
		{"conflict at Metadata", ev{id: "m2", level: "Metadata", code: 409}, true},
	} {
		msgs := run(c.e.raw()).Messages()
		if got := len(msgs) == 1; got != c.blind {
			t.Errorf("%s: blind %v, want %v (messages %q)", c.name, got, c.blind, msgs)
		}
	}
	// The RBAC denial as Splunk's own dataset holds it is not blind
	// either (TestFixturesGolden: splunk-security_content has no WARN).
}
