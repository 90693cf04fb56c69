package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

func sampleTable() detect.Table {
	return detect.Table{
		Columns: []string{"user", "verb", "count", "user_groups"},
		Rows: []detect.Row{
			{{"alice"}, {"create"}, {"2"}, {"system:authenticated", "system:masters"}},
			{{"bob"}, nil, {"1"}, {"dev"}},
			{{"ünï \"q\"\x1b[31m"}, {"patch"}, {"10"}},
		},
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := writeCSV(&b, sampleTable()); err != nil {
		t.Fatal(err)
	}
	want := "user,verb,count,user_groups\n" +
		"alice,create,2,\"system:authenticated\nsystem:masters\"\n" +
		"bob,,1,dev\n" +
		"\"ünï \"\"q\"\"\x1b[31m\",patch,10,\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := writeCSV(&b, detect.Table{Columns: []string{"a", "b c"}}); err != nil || b.String() != "a,b c\n" {
		t.Errorf("empty table: %q %v", b.String(), err)
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := writeJSON(&b, sampleTable(), nil); err != nil {
		t.Fatal(err)
	}
	want := `{"user":"alice","verb":"create","count":"2","user_groups":["system:authenticated","system:masters"]}
{"user":"bob","count":"1","user_groups":"dev"}
{"user":"ünï \"q\"\u001b[31m","verb":"patch","count":"10"}
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := writeJSON(&b, detect.Table{Columns: []string{"a"}, Rows: []detect.Row{{}}}, nil); err != nil || b.String() != "{}\n" {
		t.Errorf("all-null row: %q %v", b.String(), err)
	}
}

// TestWriteJSONTyped: with a schema, numbers are numbers (when the value
// is an integer), list columns are always arrays, even with one value or
// none, and other columns stay strings.
func TestWriteJSONTyped(t *testing.T) {
	types := map[string]columnType{"user": textColumn, "verb": textColumn, "count": numberColumn, "user_groups": listColumn}
	tb := sampleTable()
	tb.Rows = append(tb.Rows,
		detect.Row{{"dan"}, {"create"}, {"null"}, nil},          // ESCU's fillnull in a number column
		detect.Row{{"eve"}, {"get"}, {"007"}, {""}},             // not JSON's spelling of a number
		detect.Row{{"fay"}, {"get"}, {"-3"}, nil},               // negative
		detect.Row{{"gil"}, {"get"}, {"1234567890123456"}, nil}, // beyond float64's exact integers
	)
	var b bytes.Buffer
	if err := writeJSON(&b, tb, types); err != nil {
		t.Fatal(err)
	}
	want := `{"user":"alice","verb":"create","count":2,"user_groups":["system:authenticated","system:masters"]}
{"user":"bob","count":1,"user_groups":["dev"]}
{"user":"ünï \"q\"\u001b[31m","verb":"patch","count":10,"user_groups":[]}
{"user":"dan","verb":"create","count":"null","user_groups":[]}
{"user":"eve","verb":"get","count":"007","user_groups":[""]}
{"user":"fay","verb":"get","count":-3,"user_groups":[]}
{"user":"gil","verb":"get","count":"1234567890123456","user_groups":[]}
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	// What jq users rely on: every line decodes, count compares as a number.
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if _, ok := row["user_groups"].([]any); !ok {
			t.Errorf("user_groups not an array in %s", line)
		}
	}
}

func TestIsInteger(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "7": true, "201": true, "-1": true, "999999999999999": true,
		"": false, "-": false, "00": false, "-0x1": false, "1.5": false, "1e3": false, " 1": false,
		"+1": false, "null": false, "1234567890123456": false, "٣": false,
	} {
		if got := isInteger(s); got != want {
			t.Errorf("isInteger(%q) = %v", s, got)
		}
	}
}

func TestWriteTextTable(t *testing.T) {
	var b bytes.Buffer
	if err := writeText(&b, sampleTable(), 80); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"user             verb    count  user_groups\n" +
		"alice            create  2      system:authenticated\n" +
		"                                system:masters\n" +
		"\n" +
		"bob                      1      dev\n" +
		"\n" +
		"ünï \"q\"\\x1b[31m  patch   10\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}

	// Single-line rows need no blank line between them; a header alone
	// stands for an empty result.
	b.Reset()
	one := detect.Table{Columns: []string{"a", "bb"}, Rows: []detect.Row{{{"x"}, {"y"}}, {{"long value"}, {"z"}}}}
	if err := writeText(&b, one, 0); err != nil {
		t.Fatal(err)
	}
	if want := "a           bb\nx           y\nlong value  z\n"; b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := writeText(&b, detect.Table{Columns: []string{"a", "bb"}}, 1); err != nil || b.String() != "a  bb\n" {
		t.Errorf("empty: %q", b.String())
	}
}

func TestWriteTextRecords(t *testing.T) {
	tb := detect.Table{
		Columns: []string{"user", "user_groups", "requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration", "count"},
		Rows: []detect.Row{
			{{"alice"}, {"a", "b"}, {"{\"kind\":\"Pod\",\n\t\"x\":1}\n"}, {"3"}},
			{{"bob"}, nil, nil, {"1"}},
		},
	}
	var b bytes.Buffer
	if err := writeText(&b, tb, 60); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"--- row 1 of 2 ---\n" +
		"user         alice\n" +
		"user_groups  a\n" +
		"             b\n" +
		"requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration\n" +
		"             {\"kind\":\"Pod\",\n" +
		"             \\t\"x\":1}\n" +
		"count        3\n" +
		"\n" +
		"--- row 2 of 2 ---\n" +
		"user         bob\n" +
		"user_groups\n" +
		"requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration\n" +
		"count        1\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\s/", "\x00\x1f\n\r\t\x7f", "<a&b>", "é€😀", "\u2028\u2029", "bad\xffutf8", "\xed\xa0\x80"} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("%q -> %s: %v", s, got, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if !utf8.ValidString(s) {
			// encoding/json maps each invalid byte to U+FFFD, as we do.
			want = string([]rune(s))
		}
		if back != want {
			t.Errorf("%q -> %s -> %q", s, got, back)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"\\\x00é\xff\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, got, err)
		}
		if back != string([]rune(s)) {
			t.Fatalf("%q -> %s -> %q", s, got, back)
		}
	})
}

// FuzzFormats checks the writers on arbitrary cells: CSV and JSON read
// back to the same values, and text output carries no control character
// but its line ends.
func FuzzFormats(f *testing.F) {
	f.Add("a", "b\nc", "", "\x1b[2J\r\t\xff")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		tb := detect.Table{Columns: []string{"one", "two", "three"}, Rows: []detect.Row{{{a}, {b, c}, nil}, {{d}, nil, {a, b, c, d}}}}
		var buf bytes.Buffer
		if err := writeCSV(&buf, tb); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("CSV does not read back: %v\n%q", err, buf.String())
		}
		if len(recs) != 3 || len(recs[1]) != 3 {
			t.Fatalf("CSV shape %d records", len(recs))
		}
		// encoding/csv turns \r\n inside quoted fields into \n.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		if recs[1][1] != norm(b+"\n"+c) || recs[2][2] != norm(strings.Join([]string{a, b, c, d}, "\n")) || recs[2][1] != "" {
			t.Fatalf("CSV values differ: %q", recs)
		}

		buf.Reset()
		if err := writeJSON(&buf, tb, nil); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("JSON lines: %q", buf.String())
		}
		var row map[string]any
		if err := json.Unmarshal([]byte(lines[1]), &row); err != nil {
			t.Fatalf("JSON line does not decode: %v\n%s", err, lines[1])
		}
		if len(row) != 2 || row["one"] != string([]rune(d)) || len(row["three"].([]any)) != 4 {
			t.Fatalf("JSON row %v", row)
		}

		// Typed: "one" a number column, "two" a list column.
		buf.Reset()
		if err := writeJSON(&buf, tb, map[string]columnType{"one": numberColumn, "two": listColumn}); err != nil {
			t.Fatal(err)
		}
		lines = strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("typed JSON lines: %q", buf.String())
		}
		var first, second map[string]any
		if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &second) != nil {
			t.Fatalf("typed JSON does not decode: %q", buf.String())
		}
		if _, isNum := first["one"].(float64); isNum != isInteger(a) {
			t.Fatalf("one=%q written as %T", a, first["one"])
		}
		if l, ok := second["two"].([]any); !ok || len(l) != 0 {
			t.Fatalf("null list cell written as %v", second["two"])
		}

		for _, width := range []int{0, 30} {
			buf.Reset()
			if err := writeText(&buf, tb, width); err != nil {
				t.Fatal(err)
			}
			for _, r := range buf.String() {
				if r != '\n' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
					t.Fatalf("control character %U in text output %q", r, buf.String())
				}
			}
		}
	})
}
