package extended

import (
	"bytes"
	"testing"
)

// TestHasBackslash puts a backslash at every place of keys of every
// length up to three words, before and past their end, with and without
// a document after them.
func TestHasBackslash(t *testing.T) {
	for n := range 25 {
		for at := -1; at < n+9; at++ {
			doc := bytes.Repeat([]byte{'k'}, n+9)
			if at >= 0 {
				doc[at] = '\\'
			}
			want := at >= 0 && at < n
			if got := hasBackslash(doc[:n]); got != want {
				t.Fatalf("key %q of %q: %v, want %v", doc[:n], doc, got, want)
			}
			if got := hasBackslash(doc[:n:n]); got != want {
				t.Fatalf("key %q alone: %v, want %v", doc[:n], got, want)
			}
		}
	}
}

func FuzzHasBackslash(f *testing.F) {
	f.Add([]byte(`spec\u0022`), 4)
	f.Add([]byte(`metadata`), 8)
	f.Fuzz(func(t *testing.T, doc []byte, n int) {
		if n < 0 || n > len(doc) {
			return
		}
		key := doc[:n]
		if got, want := hasBackslash(key), bytes.IndexByte(key, '\\') >= 0; got != want {
			t.Fatalf("hasBackslash(%q) = %v, want %v", key, got, want)
		}
	})
}

// FuzzParseAuditKeyBuf checks that the request key and URI an event gets
// with a key buffer (the URI decoded into the key) are those it gets
// without one.
func FuzzParseAuditKeyBuf(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"auditID":"a","user":{"username":"u"},"requestURI":"/api/v1/pods?x=1\u0026dryRun=All","requestReceivedTimestamp":"t"}`))
	f.Add([]byte(`{"auditID":"","requestURI":"/p?\u0026\ud83d\ude00\n"}`))
	f.Add([]byte(`{"auditID":"a","requestURI":"/p?\u0026"}`))
	f.Add([]byte(`{"auditID":"a","requestURI":7}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var buf []byte
		with, without := event{keyBuf: &buf}, event{}
		if parseAuditValid(string(raw), &with) != parseAuditValid(string(raw), &without) {
			t.Fatalf("%q: taken with a key buffer and not without, or the reverse", raw)
		}
		if with.key != without.key || with.uri != without.uri {
			t.Fatalf("%q: key %q uri %q with a buffer, %q %q without", raw, with.key, with.uri, without.key, without.uri)
		}
	})
}
