package chunked

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseArgs(t *testing.T) {
	a, err := ParseArgs([]string{"mode=exact", "phase=map", "value1", "a.b=", "x=y=z", "=v", "9x=1", `"q=1"`},
		"mode", "phase", "a.b", "x")
	if err != nil {
		t.Fatal(err)
	}
	want := Args{
		Options:    map[string]string{"mode": "exact", "phase": "map", "a.b": "", "x": "y=z"},
		Positional: []string{"value1", "=v", "9x=1", `"q=1"`},
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("got %+v\nwant %+v", a, want)
	}

	a, err = ParseArgs(nil)
	if err != nil || len(a.Options) != 0 || a.Positional != nil {
		t.Errorf("no args: %+v, %v", a, err)
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		args    []string
		allowed []string
		text    string
	}{
		{[]string{"total=total"}, []string{"mode", "phase"},
			`invalid option: unknown option "total" in "total=total" (allowed: mode, phase)`},
		{[]string{"Mode=exact"}, []string{"mode"},
			`invalid option: unknown option "Mode" in "Mode=exact" (allowed: mode)`}, // keys are case-sensitive
		{[]string{"x=1"}, nil, `invalid option: unknown option "x" in "x=1" (this command takes no options)`},
		{[]string{"mode=a", "mode=b"}, []string{"mode"}, `invalid option: option "mode" given more than once`},
	}
	for _, tc := range tests {
		_, err := ParseArgs(tc.args, tc.allowed...)
		if err == nil || err.Error() != tc.text || !errors.Is(err, ErrOption) {
			t.Errorf("ParseArgs(%q): %v\nwant %s", tc.args, err, tc.text)
		}
	}
}
