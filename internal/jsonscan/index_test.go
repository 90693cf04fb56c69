package jsonscan

import (
	"bytes"
	"testing"
)

// membersWalk lists the members a CSVMembers walk shows, values
// unquoted, stopping after stop members, as walkCSV does for
// FieldsPlainCSV.
func membersWalk(q []byte, stop int) (ms []member, ok bool) {
	w := MembersCSV(q)
	for len(ms) < stop {
		k, v, more := w.Next()
		if !more {
			break
		}
		ms = append(ms, member{string(unquoteCSV(k)), string(unquoteCSV(v))})
	}
	return ms, w.OK()
}

// lazyWalk walks q by Key, reading the value of member j by Value when
// bit j of read is set (by Rest first) and leaving it to the next Key
// otherwise, and checks what it reads against Next's walk: the same keys,
// the same values where read (ShortString, where it answers, as Value),
// Rest starting with the value, and the same answer from OK.
func lazyWalk(t *testing.T, q []byte, read uint8) {
	t.Helper()
	next, lazy := MembersCSV(q), MembersCSV(q)
	for j := 0; ; j++ {
		k, v, more := next.Next()
		lk, lmore := lazy.Key()
		if !lmore {
			// Both read the same bytes up to here.
			if more || next.OK() != lazy.OK() {
				t.Fatalf("cell %q member %d: Key ends (OK %v), Next gives %q %v (OK %v)", q, j, lazy.OK(), k, more, next.OK())
			}
			return
		}
		if !bytes.Equal(lk, k) && more {
			t.Fatalf("cell %q member %d: Key %q, Next %q", q, j, lk, k)
		}
		if read&(1<<(j%8)) == 0 {
			if !more {
				// The lazy walk has not read the broken value yet.
				if _, ok := lazy.Value(); ok || lazy.OK() {
					t.Fatalf("cell %q member %d: Next fails, Value does not", q, j)
				}
				return
			}
			continue
		}
		rest := lazy.Rest()
		// ShortString, where it answers, reads what Value reads and
		// leaves the walk where Value leaves it.
		short := lazy
		raw, text, sok := short.ShortString()
		lv, ok := lazy.Value()
		if sok && (!ok || !bytes.Equal(raw, lv) || short.i != lazy.i || short.st != lazy.st || !bytes.Equal(text, lv[2:len(lv)-2])) {
			t.Fatalf("cell %q member %d: ShortString %q %q, Value %q %v", q, j, raw, text, lv, ok)
		}
		if ok != more || more && (!bytes.Equal(lv, v) || !bytes.HasPrefix(rest, v)) {
			t.Fatalf("cell %q member %d: Value %q %v (Rest %q), Next %q %v", q, j, lv, ok, rest, v, more)
		}
		if !more {
			if lazy.OK() || next.OK() {
				t.Fatalf("cell %q member %d: a broken value leaves OK true", q, j)
			}
			return
		}
	}
}

func TestMembersCSV(t *testing.T) {
	for _, c := range []string{
		`{}`,
		` { } `,
		` {""a"":""x\""y"",""b"":[1,{""c"":""]""}],""d"":true} `,
		`{""a"":""x\\"",""b"":null}`,
		`{""a"":""x"y""}`,
		`{""verb"":""update"",""b"":""0123456789abcdef"",""c"":""0123456789abcdefg"",""d"":""x\"",""e"":""""}`,
		`{""verb"":""update`,
		`{""a\u0062"":1}`,
		`{""a"":1 ""b"":2}`,
		`{""a"":1,}`,
		`{""a"":1,""b"":\x}`,
		`{""a"":{""b"":[""}""]}}x`,
		`{""a"":""` + string(bytes.Repeat([]byte(`x\""`), 40)) + `"",""b"":{""c"":""d""},""e"":[[[]]]}`,
		`[]`,
		``,
	} {
		for stop := 1; stop <= 4; stop++ {
			got, ok := membersWalk([]byte(c), stop)
			want, wantOK := walkCSV([]byte(c), stop)
			if ok != wantOK || !equalMembers(got, want) {
				t.Errorf("%s stop %d: MembersCSV %q %v, FieldsPlainCSV %q %v", c, stop, got, ok, want, wantOK)
			}
		}
		for _, read := range []uint8{0, 0xff, 0x55, 0xaa} {
			lazyWalk(t, []byte(c), read)
		}
	}
}

// FuzzMembersCSV checks the member walk against FieldsPlainCSV, for the
// whole cell and for each member's value walked as an object: the same
// members and the same answer, wherever the walk stops; and its value
// skip against SkipValueCSV at every offset; and the walk by Key, Value
// and Rest against Next's, and ShortString against Value (lazyWalk).
func FuzzMembersCSV(f *testing.F) {
	f.Add([]byte(`{"a":"x\"y","b":[1,{"c":"]"}],"d":true}`), uint8(2), true)
	f.Add([]byte(`{"verb":"get","objectRef":{"resource":"pods","apiGroup":"x\\"}}`), uint8(1), true)
	f.Add([]byte(`{"a":"\\","b":"\""}`), uint8(9), false)
	f.Add([]byte(`{"a":"\\\"\\\\","b":["x\\\\\""]}`), uint8(3), true)
	f.Fuzz(func(t *testing.T, doc []byte, stop uint8, quote bool) {
		n := int(stop%8) + 1
		q := doc
		if quote {
			q = bytes.ReplaceAll(doc, []byte(`"`), []byte(`""`))
		}
		lazyWalk(t, q, stop)
		got, ok := membersWalk(q, n)
		want, wantOK := walkCSV(q, n)
		if ok != wantOK || !equalMembers(got, want) {
			t.Fatalf("cell %q: MembersCSV %q %v, FieldsPlainCSV %q %v", q, got, ok, want, wantOK)
		}
		for i := range q {
			if got, want := SkipValueCSV(q, i), refSkipValueCSV(q, i); got != want {
				t.Fatalf("cell %q at %d: SkipValueCSV %d, the byte-pair reference %d", q, i, got, want)
			}
		}
		w := MembersCSV(q)
		for {
			_, v, more := w.Next()
			if !more {
				break
			}
			got, ok := membersWalk(v, n)
			want, wantOK := walkCSV(v, n)
			if ok != wantOK || !equalMembers(got, want) {
				t.Fatalf("value %q of %q: MembersCSV %q %v, FieldsPlainCSV %q %v", v, q, got, ok, want, wantOK)
			}
		}
	})
}

// A lease renewal's top level up to objectRef, quoted: what the extended
// mode's pre-filter walks for most writes.
func BenchmarkMembersCSV(b *testing.B) {
	ev := []byte(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"ad448150-45e1-4cc8-a9c5-755aaab31589",` +
		`"stage":"ResponseComplete","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler?timeout=5s",` +
		`"verb":"update","user":{"username":"system:kube-scheduler","groups":["system:authenticated"]},"sourceIPs":["10.20.0.10"],` +
		`"userAgent":"kube-scheduler/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election",` +
		`"objectRef":{"resource":"leases","namespace":"kube-system","name":"kube-scheduler","apiGroup":"coordination.k8s.io","apiVersion":"v1"},` +
		`"responseStatus":{"metadata":{},"code":200}}`)
	q := bytes.ReplaceAll(ev, []byte(`"`), []byte(`""`))
	b.Run("MembersCSV", func(b *testing.B) {
		b.SetBytes(int64(len(q)))
		for b.Loop() {
			w := MembersCSV(q)
			for {
				k, _, more := w.Next()
				if !more || string(k) == "objectRef" {
					break
				}
			}
		}
	})
	// As the pre-filter walks: values crossed only by the next Key, and
	// objectRef's start read by Rest instead of crossed.
	b.Run("Key", func(b *testing.B) {
		b.SetBytes(int64(len(q)))
		for b.Loop() {
			w := MembersCSV(q)
			for {
				k, more := w.Key()
				if !more || string(k) == "objectRef" && len(w.Rest()) > 0 {
					break
				}
			}
		}
	})
	// As the extended mode's pre-filter seeks: verb, then objectRef.
	keys := Keys("verb", "objectRef", "requestObject")
	b.Run("Seek", func(b *testing.B) {
		b.SetBytes(int64(len(q)))
		for b.Loop() {
			w := MembersCSV(q)
			for {
				k, more := w.Seek(&keys)
				if !more || string(k) == "objectRef" && len(w.Rest()) > 0 {
					break
				}
			}
		}
	})
	b.Run("FieldsPlainCSV", func(b *testing.B) {
		b.SetBytes(int64(len(q)))
		for b.Loop() {
			FieldsPlainCSV(q, func(k, _ []byte) bool { return string(k) != "objectRef" })
		}
	})
}
