package chunked

import (
	"bytes"
	"strings"
	"testing"
)

// needsQuotes answers as bytes.ContainsAny does, for short and long
// cells, wherever the special byte is, beside the bytes one above each
// (which a borrow could flag), for bytes and strings alike.
func TestNeedsQuotes(t *testing.T) {
	for n := 0; n <= 80; n++ {
		plain := bytes.Repeat([]byte("a\tb'x-#\x0b\x0e\xac"), n)[:n]
		if needsQuotes(plain) || needsQuotes(string(plain)) {
			t.Fatalf("len %d: plain bytes need quotes", n)
		}
		for _, c := range []byte(",\"\r\n") {
			for at := range n {
				b := append([]byte(nil), plain...)
				b[at] = c
				if !needsQuotes(b) || !needsQuotes(string(b)) {
					t.Fatalf("len %d: %q at %d not seen", n, c, at)
				}
			}
		}
	}
}

// quotedRef is appendQuoted the obvious way.
func quotedRef(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// appendQuoted doubles every quote wherever it falls in a 64-byte block,
// in runs of every length, for bytes and strings, after what dst holds.
func TestAppendQuoted(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want := "pre" + quotedRef(s)
		if got := string(appendQuoted([]byte("pre"), s)); got != want {
			t.Fatalf("appendQuoted(%q) = %q, want %q", s, got, want)
		}
		if got := string(appendQuoted([]byte("pre"), []byte(s))); got != want {
			t.Fatalf("appendQuoted([]byte(%q)) = %q, want %q", s, got, want)
		}
	}
	for n := 0; n <= 200; n++ {
		base := []byte(strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 6)[:n])
		check(string(base))
		for at := range n {
			b := append([]byte(nil), base...)
			b[at] = '"'
			check(string(b))
			for k := at; k < n; k += 1 + (at+k)%13 {
				b[k] = '"'
			}
			check(string(b))
		}
		check(strings.Repeat(`"`, n))
	}
	check(`{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"name":"node-shell","namespace":"default"},"spec":{"containers":[{"securityContext":{"privileged":true}}]}}` + "\n")
}

func FuzzAppendQuoted(f *testing.F) {
	f.Add([]byte(`{"a":"b","c":[1,2,"\"x\""]}`), uint8(3))
	f.Add(bytes.Repeat([]byte(`""a`), 50), uint8(0))
	f.Fuzz(func(t *testing.T, s []byte, pre uint8) {
		dst := bytes.Repeat([]byte{'p'}, int(pre))
		want := string(dst) + quotedRef(string(s))
		if got := string(appendQuoted(dst, s)); got != want {
			t.Fatalf("appendQuoted(%q) = %q, want %q", s, got, want)
		}
		if got := string(appendQuoted(bytes.Repeat([]byte{'p'}, int(pre)), string(s))); got != want {
			t.Fatalf("appendQuoted(string %q) = %q, want %q", s, got, want)
		}
	})
}
