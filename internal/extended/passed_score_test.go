package extended

import (
	"strconv"
	"testing"
)

// TestScoreOf checks the remembered scores against hostPathScore, for
// paths seen again and for paths past the bound, which are not kept.
func TestScoreOf(t *testing.T) {
	paths := []string{"", "/", "/etc", "etc", "/etc/", "/var/run/docker.sock", "/var/run/../run/docker.sock",
		"/proc/1", "/data", "/lib/modules/x", "/usr/lib/modulesx", "//proc"}
	for i := range maxScores + 10 {
		paths = append(paths, "/srv/"+strconv.Itoa(i))
	}
	var in inspector
	for range 2 {
		for _, p := range paths {
			if got, want := in.scoreOf(p), hostPathScore(p); got != want {
				t.Fatalf("scoreOf(%q) = %d, want %d", p, got, want)
			}
		}
	}
	if len(in.scores) > maxScores {
		t.Fatalf("%d scores kept, bound %d", len(in.scores), maxScores)
	}
}
