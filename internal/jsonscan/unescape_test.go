package jsonscan

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestAppendUnescaped(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`plain`, "plain"},
		{`\"\\\/\b\f\n\r\t`, "\"\\/\b\f\n\r\t"},
		{`\u0041\ud83d\ude00`, "A😀"},
		{`\ud800x`, "\uFFFDx"},
		{`\udc00\ud800\u0041`, "\uFFFD\uFFFDA"},
		{"a\xffb", "a\uFFFDb"},
		{`\x`, "\uFFFD"},
		{`\u12`, "\uFFFD12"},
		{`\`, "\uFFFD"},
	} {
		if got := string(AppendUnescaped(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("AppendUnescaped(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if r, ok := Hex4("00e9"); !ok || r != 'é' {
		t.Error("Hex4")
	}
	if _, ok := Hex4([]byte("12g4")); ok {
		t.Error("Hex4 accepted g")
	}
}

func FuzzAppendUnescaped(f *testing.F) {
	for _, s := range []string{`plain`, `\"\\\/\b\f\n\r\t`, `\u0041\ud83d\ude00`, `\ud800`, `\udc00\ud800\u0041`, "\xff\xfe", `\u00e9\u2028`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		got := AppendUnescaped(nil, s)
		if !utf8.Valid(got) {
			t.Fatalf("AppendUnescaped(%q) = %q: invalid UTF-8", s, got)
		}
		quoted := append(append([]byte{'"'}, s...), '"')
		var want string
		if json.Unmarshal(quoted, &want) == nil && string(got) != want {
			t.Fatalf("AppendUnescaped(%q) = %q, encoding/json gives %q", s, got, want)
		}
	})
}
