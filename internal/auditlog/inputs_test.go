package auditlog

import (
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

// gcloud logging read --format=json writes one pretty-printed JSON array;
// exporters also write it on one line. Each object element is an event,
// EventList elements are split, other elements are reported with a count.
func TestJSONArrays(t *testing.T) {
	pretty := "[\n  {\n    \"insertId\": \"g1\",\n    \"protoPayload\": {}\n  },\n  {\n    \"insertId\": \"g2\"\n  }\n]\n"
	check(t, pretty+ev1+"\n",
		"ev 001: {\n    \"insertId\": \"g1\",\n    \"protoPayload\": {}\n  }",
		"ev 001: {\n    \"insertId\": \"g2\"\n  }",
		"ev 010: "+ev1)
	check(t, "["+ev1+","+ev2+"]\n", "ev 001: "+ev1, "ev 001: "+ev2)
	check(t, `[{"kind":"EventList","items":[`+ev1+`]},`+ev2+`]`, "ev 001: "+ev1, "ev 001: "+ev2)
	check(t, "[]\n"+ev1, "ev 002: "+ev1)
	check(t, "["+ev1+",7,\"x\","+ev2+"]",
		"ev 001: "+ev1, "ev 001: "+ev2,
		"err: in.log:1: JSON value is not an object: 2 of the array's 4 elements, the first at position 2")
}

// A pretty-printed document cut short costs only itself: the complete
// document after it is read, and the loss is reported once, exactly.
func TestPrettyPrintedResync(t *testing.T) {
	doc := func(id string) string {
		return "{\n  \"kind\": \"Event\",\n  \"auditID\": \"" + id + "\",\n  \"verb\": \"create\"\n}\n"
	}
	cut := "{\n  \"kind\": \"Event\",\n  \"auditID\": \"x\",\n  \"requestObject\": {\n    \"spec\": {\"a\": \"unterminated\n"
	check(t, doc("p1")+cut+doc("p2")+ev1+"\n",
		"ev 001: "+strings.TrimSpace(doc("p1")),
		"err: in.log:6: JSON document not terminated at end of input (lines 6-10): the next document starts at line 11",
		"ev 011: "+strings.TrimSpace(doc("p2")),
		"ev 016: "+ev1)
	// Cut before a JSON line, and two cut in a row.
	check(t, cut+ev1+"\n"+cut+cut+doc("p3"),
		"err: in.log:1: JSON document not terminated at end of input (lines 1-5): the next document starts at line 6",
		"ev 006: "+ev1,
		"err: in.log:7: JSON document not terminated at end of input (lines 7-11): the next document starts at line 12",
		"err: in.log:12: JSON document not terminated at end of input (lines 12-16): the next document starts at line 17",
		"ev 017: "+strings.TrimSpace(doc("p3")))
	// Indented documents resync at their own indentation, not deeper.
	check(t, "  {\n    \"a\": {\n    \"b\": 1\n  }\n  }\n", "ev 001: {\n    \"a\": {\n    \"b\": 1\n  }\n  }")
}

func utf16Bytes(s string, big, bom bool) []byte {
	var out []byte
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	for _, u := range units {
		if big {
			out = binary.BigEndian.AppendUint16(out, u)
		} else {
			out = binary.LittleEndian.AppendUint16(out, u)
		}
	}
	return out
}

func utf32Bytes(s string, big, bom bool) []byte {
	var out []byte
	rs := []rune(s)
	if bom {
		rs = append([]rune{0xfeff}, rs...)
	}
	for _, r := range rs {
		if big {
			out = binary.BigEndian.AppendUint32(out, uint32(r))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(r))
		}
	}
	return out
}

// UTF-16 (PowerShell's "> file") and UTF-32 files are recognised by their
// byte order mark or NUL pattern, decoded, and named.
func TestUTF16AndUTF32(t *testing.T) {
	text := ev1 + "\r\n" + `{"kind":"Event","auditID":"é😀","verb":"get"}` + "\r\n"
	want := []string{"ev 001: " + ev1, "ev 002: " + `{"kind":"Event","auditID":"é😀","verb":"get"}`}
	for _, c := range []struct {
		name, enc string
		in        []byte
	}{
		{"utf16le bom", "UTF-16LE (byte order mark)", utf16Bytes(text, false, true)},
		{"utf16be bom", "UTF-16BE (byte order mark)", utf16Bytes(text, true, true)},
		{"utf16le nul", "UTF-16LE (recognised by its NUL bytes)", utf16Bytes(text, false, false)},
		{"utf16be nul", "UTF-16BE (recognised by its NUL bytes)", utf16Bytes(text, true, false)},
		{"utf32le bom", "UTF-32LE (byte order mark)", utf32Bytes(text, false, true)},
		{"utf32be nul", "UTF-32BE (recognised by its NUL bytes)", utf32Bytes(text, true, false)},
	} {
		r := NewReader(strings.NewReader(string(c.in)), "in.log")
		got := readAll(t, r)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, want)
		}
		if r.Encoding() != c.enc {
			t.Errorf("%s: Encoding() = %q, want %q", c.name, r.Encoding(), c.enc)
		}
	}
	// A lone surrogate becomes U+FFFD; an odd last byte is reported at
	// its position; neither panics.
	bad := append(utf16Bytes(`{"a":"`, false, true), 0x00, 0xd8)
	bad = append(bad, utf16Bytes(`"}`, false, false)...)
	got := readAll(t, NewReader(strings.NewReader(string(bad)), "in.log"))
	if len(got) != 1 || got[0] != "ev 001: {\"a\":\"\uFFFD\"}" {
		t.Errorf("lone surrogate: %q", got)
	}
	got = readAll(t, NewReader(strings.NewReader(string(append(utf16Bytes(ev1, false, true), 0x41))), "in.log"))
	if len(got) != 1 || !strings.HasPrefix(got[0], "err: in.log:1:") {
		t.Errorf("odd byte: %q", got)
	}
	// Plain UTF-8 is not taken for anything else.
	r := NewReader(strings.NewReader(ev1), "in.log")
	readAll(t, r)
	if r.Encoding() != "" {
		t.Errorf("UTF-8 named %q", r.Encoding())
	}
}
