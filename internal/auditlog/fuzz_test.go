package auditlog

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/tidwall/gjson"
)

func FuzzReader(f *testing.F) {
	for _, s := range []string{
		ev1 + "\n" + ev2 + "\n",
		ev1 + "\r\nnot json\r\n[1]\r\n" + ev2,
		`{"kind":"EventList","items":[` + ev1 + `,` + ev2 + `]}`,
		`{"kind":"EventList","items":[1,` + ev2 + `]}` + "\n" + ev1,
		"{\n \"kind\": \"EventList\",\n \"items\": [\n  " + ev1 + "\n ]\n}\n",
		"{\n \"a\": \"}\\\"{\"\n}\n[\n",
		"\xef\xbb\xbf" + ev1,
		gz(f, ev1+"\n{\n"),
		"\x1f\x8b",
		`{"kind":"Event\u004cist","items":[{}]}`,
		"[\n  " + ev1 + ",\n  7,\n  {\"kind\":\"EventList\",\"items\":[" + ev2 + "]}\n]\n",
		"{\n  \"a\": {\n    \"b\": \"cut\n{\n  \"c\": 1\n}\n" + ev1,
		string(utf16Bytes("\uFEFF"+ev1+"\n[\n"+ev2+"\n]", false, false)),
		string(utf32Bytes(ev1, true, false)) + "\x00",
	} {
		f.Add([]byte(s), uint16(0))
		f.Add([]byte(s), uint16(20))
	}
	f.Fuzz(func(t *testing.T, in []byte, max uint16) {
		r := NewReader(bytes.NewReader(in), "fuzz")
		r.MaxDocumentSize = int(max)
		lastLine := 0
		for i := 0; ; i++ {
			// Every call consumes a line or an EventList item, so the
			// number of calls is bounded by the input's size.
			if i > 2*len(in)+2 {
				t.Fatalf("no end after %d calls", i)
			}
			ev, err := r.Next()
			if err == io.EOF {
				break
			}
			var pe *ParseError
			if errors.As(err, &pe) {
				if pe.Line < 1 || pe.Column < 0 || pe.Name != "fuzz" {
					t.Fatalf("bad position in %v", pe)
				}
				continue
			}
			if err != nil {
				if _, again := r.Next(); again != err {
					t.Fatalf("fatal error %v not sticky: %v", err, again)
				}
				break
			}
			if !gjson.ValidBytes(ev) || ev[0] != '{' {
				t.Fatalf("event is not a JSON object: %q", ev)
			}
			if max > 0 && len(ev) > int(max) {
				t.Fatalf("event of %d bytes exceeds MaxDocumentSize %d", len(ev), max)
			}
			if r.Line() < lastLine {
				t.Fatalf("line went back from %d to %d", lastLine, r.Line())
			}
			lastLine = r.Line()
		}
	})
}
