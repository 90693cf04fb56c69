package chunked

import (
	"bytes"
	"testing"
)

// needsQuotes answers as bytes.ContainsAny does, for short and long
// cells, wherever the special byte is.
func TestNeedsQuotes(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 200} {
		plain := bytes.Repeat([]byte("a\tb'x"), n)[:n]
		if needsQuotes(plain) {
			t.Errorf("len %d: plain bytes need quotes", n)
		}
		for _, c := range []byte(",\"\r\n") {
			for _, at := range []int{0, n / 2, n - 1} {
				if at < 0 || at >= n {
					continue
				}
				b := append([]byte(nil), plain...)
				b[at] = c
				if !needsQuotes(b) {
					t.Errorf("len %d: %q at %d not seen", n, c, at)
				}
			}
		}
	}
}
