package buildversion

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, tc := range []struct {
		linked string
		info   *debug.BuildInfo
		want   string
	}{
		{"v2.0.0", vcs("vcs.revision", "abc"), "v2.0.0"},
		{"", nil, "unknown"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"", vcs(), "devel"},
		{"", vcs("vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-11-25T20:00:00Z", "vcs.modified", "false"),
			"devel-0123456789ab 2026-11-25T20:00:00Z"},
		{"", vcs("vcs.revision", "0123456789abcdef0123", "vcs.modified", "true"), "devel-0123456789ab-dirty"},
	} {
		if got := String(tc.linked, tc.info); got != tc.want {
			t.Errorf("String(%q, %+v) = %q, want %q", tc.linked, tc.info, got, tc.want)
		}
	}
}

func TestLine(t *testing.T) {
	got := Line("prog", "v1.2.3")
	if !strings.HasPrefix(got, "prog v1.2.3 (go1.") || !strings.HasSuffix(got, ")") || strings.Contains(got, "\n") {
		t.Errorf("Line = %q", got)
	}
	// Without a linked version, the test binary's build information
	// speaks: a VCS stamp or "devel", never empty.
	if got := Line("prog", ""); strings.HasPrefix(got, "prog  ") || strings.HasPrefix(got, "prog (") {
		t.Errorf("Line without a version = %q", got)
	}
}
