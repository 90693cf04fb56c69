package jsonscan

import (
	"bytes"
	"fmt"
	"testing"
)

// runKeys are what the run tests' walks seek, as the extended mode's
// pre-filter does.
var runKeys = Keys("verb", "objectRef", "requestObject")

// seekWalk walks q as the pre-filter does: the first member, then every
// member that runKeys holds, each value read, the whole trace as text.
// With c (which may be nil) the walk tries c.Skip after the first member
// and, when that fails, keeps the run up to the next key it seeks.
func seekWalk(q []byte, c *RunCache) (trace string, skipped bool) {
	var b bytes.Buffer
	w := MembersCSV(q)
	k, v, more := w.Next()
	fmt.Fprintf(&b, "%q=%q %v;", k, v, more)
	var mark Mark
	var marked bool
	if more && c != nil {
		if skipped = c.Skip(&w); !skipped {
			mark, marked = w.Mark()
		}
	}
	for more {
		if k, more = w.Seek(&runKeys); !more {
			break
		}
		if marked {
			if run, ok := w.Since(mark, k); ok {
				c.Add(run)
			}
			marked = false
		}
		v, more = w.Value()
		fmt.Fprintf(&b, "%q=%q %v;", k, v, more)
	}
	fmt.Fprintf(&b, "ok %v", w.OK())
	return b.String(), skipped
}

// TestRunCache walks cells that repeat the members between the verb and
// the objectRef, as one client's requests do: the second and later
// cells pass over them by the cache and read the same as without it.
// Runs that must not be kept (a number or literal last, a blank before
// the next key, too short to hash) are not taken.
func TestRunCache(t *testing.T) {
	run := `""user"":{""username"":""system:serviceaccount:kube-system:replicaset-controller"",""groups"":[""a"",""b""]},""sourceIPs"":[""10.0.0.1""],""userAgent"":""kube-controller-manager/v1.31.2""`
	cells := []string{
		`{""verb"":""update"",` + run + `,""objectRef"":{""resource"":""leases""}}`,
		`{""verb"":""create"",` + run + `,""objectRef"":{""resource"":""pods""},""requestObject"":{}}`,
		`{""verb"":""patch"",` + run + `,""requestObject"":[],""objectRef"":{""resource"":""pods""}}`,
		// The run followed by more of the same kind, then the key.
		`{""verb"":""update"",` + run + `,""x"":""y"",""objectRef"":{}}`,
		// Another user in the same slot's first bytes: a miss, then a hit.
		`{""verb"":""update"",` + run[:len(run)-3] + `3""` + `,""objectRef"":{}}`,
		`{""verb"":""update"",` + run[:len(run)-3] + `3""` + `,""objectRef"":{}}`,
		// Cut inside the run: no skip, the walk fails where it would.
		`{""verb"":""update"",` + run[:len(run)/2],
	}
	c := new(RunCache)
	var skips int
	for i, q := range cells {
		want, _ := seekWalk([]byte(q), nil)
		got, skipped := seekWalk([]byte(q), c)
		if got != want {
			t.Errorf("cell %d: with the cache %s\nwithout %s", i, got, want)
		}
		if skipped {
			skips++
		}
	}
	if skips != 4 {
		t.Errorf("%d cells skipped a run, want 4 (cells 1, 2, 3 and 5)", skips)
	}

	for _, q := range []string{
		`{""verb"":""update"",""n"":12345678901234567890123456789012345678901234567890,""objectRef"":{}}`,
		`{""verb"":""update"",""b"":true,""user"":""system:serviceaccount:kube-system:replicaset"",""t"":true,""objectRef"":{}}`,
		`{""verb"":""update"",""user"":""system:serviceaccount:kube-system:replicaset"" ,""objectRef"":{}}`,
		`{""verb"":""update"" ,""user"":""system:serviceaccount:kube-system:replicaset"",""objectRef"":{}}`,
		`{""verb"":""update"",""u"":""short"",""objectRef"":{}}`,
		`{""verb"":""update"",""objectRef"":{}}`,
	} {
		c := new(RunCache)
		seekWalk([]byte(q), c)
		for s, r := range c.slots {
			if len(r) > 0 {
				t.Errorf("%s: slot %d keeps %q", q, s, r)
			}
		}
	}
}

// FuzzRunCache walks a cell, keeping its run after the first member,
// then another with that cache: whatever the two hold, the second reads
// the same with the cache as without.
func FuzzRunCache(f *testing.F) {
	run := `,""user"":{""username"":""system:serviceaccount:kube-system:replicaset-controller""},""sourceIPs"":[""10.0.0.1""]`
	f.Add([]byte(`{""verb"":""update""`+run+`,""objectRef"":{}}`), []byte(`{""verb"":""get""`+run+`,""objectRef"":{""a"":1}}`))
	f.Add([]byte(`{""verb"":""update""`+run+`,""objectRef"":{}}`), []byte(`{""verb"":""get""`+run+`1,""objectRef"":{}}`))
	f.Add([]byte(`{""verb"":""update""`+run+`,""objectRef"":{}}`), []byte(`{""verb"":""get""`+run[:40]))
	f.Add([]byte(`{"verb":"x","user":"0123456789012345678901234567890123456789012345678901234567","objectRef":1}`),
		[]byte(`{"verb":"x","user":"0123456789012345678901234567890123456789012345678901234567","objectRef":1}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		c := new(RunCache)
		seekWalk(a, c)
		for i, r := range c.slots {
			if len(r) > runMax || len(r) > 0 && runSlot(r) != i {
				t.Fatalf("slot %d keeps %q", i, r)
			}
		}
		want, _ := seekWalk(b, nil)
		if got, _ := seekWalk(b, c); got != want {
			t.Fatalf("cells %q then %q: with the cache %s\nwithout %s", a, b, got, want)
		}
	})
}
