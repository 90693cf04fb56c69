package conf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	in := "\xef\xbb\xbf# leading comment\r\n" +
		"global = yes\n" +
		"\n" +
		"[first]\n" +
		"  key = value with = sign  \n" +
		"empty =\n" +
		"   # indented comment\n" +
		"[ESCU - Some Name - Rule]\n" +
		"search = a \\\n" +
		"| b\\\n" +
		"# not a comment inside a value\n" +
		"path = C:\\\\\n" +
		"  D\n" +
		"[]\n" +
		"access = read : [ * ]\n"
	f, err := Parse("t.conf", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []*Stanza{
		{Name: "default", Line: 0, Settings: []Setting{{"global", "yes", 2}}},
		{Name: "first", Line: 4, Settings: []Setting{{"key", "value with = sign", 5}, {"empty", "", 6}}},
		{Name: "ESCU - Some Name - Rule", Line: 8, Settings: []Setting{
			{"search", "a \n| b\n# not a comment inside a value", 9},
			{"path", "C:\\\n  D", 12},
		}},
		{Name: "", Line: 14, Settings: []Setting{{"access", "read : [ * ]", 15}}},
	}
	if !reflect.DeepEqual(f.Stanzas, want) {
		for i, s := range f.Stanzas {
			t.Logf("got %d: %+v", i, *s)
		}
		t.Fatal("stanzas differ")
	}
	if v, ok := f.Stanza("first").Get("empty"); !ok || v != "" {
		t.Errorf("Get(empty) = %q, %v", v, ok)
	}
	if _, ok := f.Stanza("first").Get("missing"); ok {
		t.Error("Get(missing) found something")
	}
	if f.Stanza("nope") != nil {
		t.Error("Stanza(nope) not nil")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in        string
		err       error
		line, col int
	}{
		{"[open\n", ErrStanza, 1, 6},
		{"  [\n", ErrStanza, 1, 4},
		{"[a]\njust words\n", ErrNoEquals, 2, 1},
		{"[a]\n   = v\n", ErrEmptyKey, 2, 4},
		{"[a]\n[b]\n[a]\n", ErrDupStanza, 3, 1},
		{"[a]\nk = 1\n  k = 2\n", ErrDupKey, 3, 3},
		{"k = 1\n[default]\n", ErrDupStanza, 2, 1},
		{"[a]\nk = 1 \\\n  more\\", ErrContinuation, 3, 7},
		{"[a]\nk = x\x00y\n", ErrNUL, 2, 6},
	} {
		_, err := Parse("x.conf", []byte(tc.in))
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, tc.err) || pe.Line != tc.line || pe.Column != tc.col {
			t.Errorf("Parse(%q) = %v; want %v at %d:%d", tc.in, err, tc.err, tc.line, tc.col)
		}
	}
	_, err := Parse("macros.conf", []byte("[a]\nnope\n"))
	if got, want := err.Error(), `macros.conf:2:1: setting has no "="`; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

// TestParseTestdata reads realistic files written for this test.
func TestParseTestdata(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "searchbnf.conf"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("searchbnf.conf", b)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Stanza("demo-command")
	if s == nil {
		t.Fatal("no [demo-command]")
	}
	d, _ := s.Get("description")
	if want := "First line of help. \\p\\\nSecond paragraph."; d != want {
		t.Errorf("description %q, want %q", d, want)
	}
	if n := len(f.Stanzas); n != 2 {
		t.Errorf("%d stanzas, want 2", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "[a]\nk = v\n", "k=v", "[a]\nk = 1\\\n2\n", "[\n", "[]\n", "=\n",
		"[a]\r\nk = v\\\r\nw\r\n", "\xef\xbb\xbf[a]", "k = \\\\\n", "#c\n[a]\n#c\nx = y",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.conf", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Column < 0 {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, s := range file.Stanzas {
			if s.Line > lines {
				t.Fatalf("stanza line %d beyond %d lines", s.Line, lines)
			}
			for _, kv := range s.Settings {
				if kv.Key == "" || strings.ContainsAny(kv.Key, "\n=") || kv.Line < 1 || kv.Line > lines {
					t.Fatalf("bad setting %+v", kv)
				}
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "searchbnf.conf"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("searchbnf.conf", data); err != nil {
			b.Fatal(err)
		}
	}
}
