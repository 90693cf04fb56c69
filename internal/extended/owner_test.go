package extended

import (
	"testing"

	"github.com/tidwall/gjson"
)

// TestOwner checks owner on objects with and without a controller, the
// member's name spelled plainly, through \u escapes, or only inside a
// string, where the byte test must not drop an owner gjson finds.
func TestOwner(t *testing.T) {
	for _, c := range []struct{ obj, want string }{
		{`{"kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"kubectl"}]},"spec":{}}`, ""},
		{`{"metadata":{"name":"p","ownerReferences":[{"kind":"ReplicaSet","name":"web-1","controller":true}]}}`, "ReplicaSet web-1"},
		{`{"metadata":{"ownerReferences":[{"kind":"Job","name":"j","controller":false}]}}`, ""},
		{`{"metadata":{"owner\u0052eferences":[{"kind":"DaemonSet","name":"d","controller":true}]}}`, "DaemonSet d"},
		{`{"metadata":{"\u006fwnerReferences":[{"kind":"Node","name":"n","controller":true}]}}`, "Node n"},
		{`{"metadata":{"annotations":{"a":"ownerReferences"}}}`, ""},
		{`{"metadata":{"name":"\u00e9"}}`, ""},
		{`"ownerReferences"`, ""},
		{``, ""},
	} {
		obj := gjson.Parse(c.obj)
		if got := owner(obj); got != c.want || got != ownerLookup(obj) {
			t.Errorf("%s: owner %q, want %q (gjson alone %q)", c.obj, got, c.want, ownerLookup(obj))
		}
	}
}

// FuzzOwner checks owner against gjson's look-up alone on any object.
func FuzzOwner(f *testing.F) {
	f.Add(`{"metadata":{"ownerReferences":[{"kind":"ReplicaSet","name":"r","controller":true}]}}`)
	f.Add(`{"metadata":{"owner\u0052eferences":[{"kind":"R","name":"r","controller":true}]}}`)
	f.Add(`{"metadata":{"name":"p"}}`)
	f.Fuzz(func(t *testing.T, s string) {
		obj := gjson.Parse(s)
		if got, want := owner(obj), ownerLookup(obj); got != want {
			t.Fatalf("%q: owner %q, gjson alone %q", s, got, want)
		}
	})
}

// TestDeleted checks deleted on elements with and without a $patch
// member, its name spelled plainly or through \u escapes, or only inside
// a string.
func TestDeleted(t *testing.T) {
	for _, c := range []struct {
		obj  string
		want bool
	}{
		{`{"name":"c","image":"x","securityContext":{"privileged":true}}`, false},
		{`{"name":"c","$patch":"delete"}`, true},
		{`{"name":"c","\u0024patch":"delete"}`, true},
		{`{"name":"c","\u0024\u0070atch":"delete"}`, true},
		{`{"name":"c","$patch":"replace"}`, false},
		{`{"name":"$patch","args":["delete"]}`, false},
		{`{"x":{"$patch":"delete"}}`, false},
		{`"$patch"`, false},
		{``, false},
	} {
		v := gjson.Parse(c.obj)
		if got := deleted(v); got != c.want || got != deletedLookup(v) {
			t.Errorf("%s: deleted %v, want %v (gjson alone %v)", c.obj, got, c.want, deletedLookup(v))
		}
	}
}

// FuzzDeleted checks deleted against gjson's look-up alone on any text.
func FuzzDeleted(f *testing.F) {
	f.Add(`{"$patch":"delete"}`)
	f.Add(`{"\u0024patch":"delete","name":"c"}`)
	f.Add(`{"name":"c","image":"i"}`)
	f.Fuzz(func(t *testing.T, s string) {
		v := gjson.Parse(s)
		if got, want := deleted(v), deletedLookup(v); got != want {
			t.Fatalf("%q: deleted %v, gjson alone %v", s, got, want)
		}
	})
}
