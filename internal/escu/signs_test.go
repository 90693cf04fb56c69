package escu

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// signAt reports whether the backslash at q[p] may start a sign of
// candidateQuoted, looking no further than the bytes from p-1 to p+3: it
// is followed by 'u', or by a quote that is not doubled, or by a doubled
// quote and a colon after a 'd' of any case (privileged\"":). Near either
// end of q, where those bytes are missing, every backslash may. It is
// the definition nextSign's vector search is held to.
func signAt(q []byte, p int) bool {
	if q[p] != '\\' {
		return false
	}
	if p < 1 || p+3 >= len(q) {
		return true
	}
	switch q[p+1] {
	case 'u':
		return true
	case '"':
		return q[p+2] != '"' || q[p-1]|0x20 == 'd' && q[p+3] == ':'
	}
	return false
}

// checkNextSign holds nextSign to signAt from every start: it skips no
// sign, returns only backslashes and, on amd64, away from the last bytes
// (which it leaves to IndexByte), only signs.
func checkNextSign(t *testing.T, q []byte) {
	t.Helper()
	for i := 0; i <= len(q); i++ {
		p := nextSign(q, i)
		end := p
		if p < 0 {
			end = len(q)
		}
		for k := i; k < end; k++ {
			if signAt(q, k) {
				t.Fatalf("nextSign(%q, %d) = %d: skipped the sign at %d", q, i, p, k)
			}
		}
		if p < 0 {
			continue
		}
		if p < i || q[p] != '\\' {
			t.Fatalf("nextSign(%q, %d) = %d: not a backslash from %d", q, i, p, i)
		}
		if runtime.GOARCH == "amd64" && p <= len(q)-20 && !signAt(q, p) {
			t.Fatalf("nextSign(%q, %d) = %d: not a sign", q, i, p)
		}
	}
}

// signBytes are the bytes a sign is made of, and one that is in none.
const signBytes = `\\"udD:x`

// TestNextSign: every sign and near miss at every offset of the blocks,
// among backslashes that start none; random strings of the sign bytes.
func TestNextSign(t *testing.T) { nextSignCases(t) }

func nextSignCases(t *testing.T) {
	for _, sign := range []string{`\u`, `\"x`, `\"`, `d\"":`, `D\"":`, `\"":`, `x\"":`, `d\""x`, `d\"x:`, `\\`} {
		for pad := range 150 {
			for _, fill := range []string{"x", `\""`, `\x`} {
				var q []byte
				for len(q) < pad {
					q = append(q, fill...)
				}
				q = append(q[:pad], sign...)
				for range 70 {
					q = append(q, fill...)
				}
				checkNextSign(t, q)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		q := make([]byte, r.IntN(300))
		for k := range q {
			q[k] = signBytes[r.IntN(len(signBytes))]
		}
		checkNextSign(t, q)
	}
}

func FuzzNextSign(f *testing.F) {
	f.Add([]byte(`{""a"":""{\""privileged\"":true}""}`))
	f.Add([]byte(`xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\u0070`))
	f.Fuzz(func(t *testing.T, q []byte) { checkNextSign(t, q) })
}
