package chunked

import (
	"reflect"
	"testing"
)

func TestMultivalue(t *testing.T) {
	// The edge cases of research §8, checked there against splunklib's
	// decoder, plus a few more.
	tests := []struct {
		values  []string
		encoded string
	}{
		{[]string{"a", "b"}, "$a$;$b$"},
		{[]string{"", "x"}, "$$;$x$"},
		{[]string{"a$", "b"}, "$a$$$;$b$"},
		{[]string{"$", "x"}, "$$$$;$x$"},
		{[]string{"", ""}, "$$;$$"},
		{[]string{"$;x"}, "$$$;x$"},
		{[]string{"x", "", "y"}, "$x$;$$;$y$"},
		{[]string{"multi\nline", "ทt"}, "$multi\nline$;$ทt$"},
		{[]string{"$$", "$a$"}, "$$$$$$;$$$a$$$"},
	}
	for _, tc := range tests {
		if got := string(appendMV(nil, tc.values)); got != tc.encoded {
			t.Errorf("appendMV(%q) = %q, want %q", tc.values, got, tc.encoded)
		}
		vals, _, ok := decodeMV(nil, make([]byte, 0, len(tc.encoded)), []byte(tc.encoded))
		var got []string
		for _, v := range vals {
			got = append(got, string(v))
		}
		if !ok || !reflect.DeepEqual(got, tc.values) {
			t.Errorf("decodeMV(%q) = %q, %v; want %q", tc.encoded, got, ok, tc.values)
		}
	}
	for _, bad := range []string{"a", "$a", "$a$b", "$a$;", "$a$;b", ";$a$", "$a$$", "$", "$a$;;$b$"} {
		if vals, _, ok := decodeMV(nil, nil, []byte(bad)); ok {
			t.Errorf("decodeMV(%q) accepted: %q", bad, vals)
		}
	}
}
