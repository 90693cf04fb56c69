package extended

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The tuning filter docs/extended.md documents drops a row only when the
// ignored reason is its only one: run its logic (as Splunk evaluates
// where mvcount(mvfilter(reasons!="X")) > 0) over real rows, and check
// that the naive NOT reasons="X" it replaces would have dropped a
// privileged row.
func TestTuningFilterDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/extended.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "<!-- tuning-filter")
	if !ok {
		t.Fatal("docs/extended.md: no tuning-filter block")
	}
	def := regexp.MustCompile(`(?m)^definition = (.*)$`).FindStringSubmatch(after)
	if def == nil {
		t.Fatal("docs/extended.md: tuning-filter block has no definition line")
	}
	if strings.Contains(def[1], "NOT reasons=") {
		t.Errorf("documented filter %q drops rows that have other reasons", def[1])
	}
	m := regexp.MustCompile(`\| where mvcount\(mvfilter\(reasons!="([^"]+)"\)\) > 0$`).FindStringSubmatch(def[1])
	if m == nil {
		t.Fatalf("documented filter %q is not of the form | where mvcount(mvfilter(reasons!=\"X\")) > 0", def[1])
	}
	ignored := m[1]
	// mvfilter keeps the values that differ; mvcount of what is left.
	documented := func(reasons []string) bool {
		n := 0
		for _, r := range reasons {
			if r != ignored {
				n++
			}
		}
		return n > 0
	}
	// search NOT reasons="X": true for a row none of whose values is X.
	naive := func(reasons []string) bool { return !slices.Contains(reasons, ignored) }

	// The bundled sample's log shipper is privileged and mounts
	// /var/log; a pod that only mounts /var/log is what the filter is for.
	only := ev{id: "v1", nm: "fluentd", req: pod("fluentd", `"containers":[{"name":"f","volumeMounts":[{"name":"l","mountPath":"/var/log"}]}],"volumes":[{"name":"l","hostPath":{"path":"/var/log"}}]`)}.raw()
	tb := run(append(sampleEvents(t), only)...).Result()
	kept, dropped, naiveDroppedPrivileged := 0, 0, 0
	for _, r := range tb.Rows {
		reasons := r[tb.Index("reasons")]
		priv := slices.Contains(reasons, ReasonPrivileged)
		switch {
		case documented(reasons):
			kept++
		case priv:
			t.Errorf("documented filter drops a privileged row: %s", summary(tb, r))
		default:
			dropped++
			if !slices.Equal(reasons, []string{ignored}) {
				t.Errorf("documented filter drops a row with other reasons: %s", summary(tb, r))
			}
		}
		if priv && !naive(reasons) {
			naiveDroppedPrivileged++
		}
	}
	if dropped != 1 || kept != len(tb.Rows)-1 {
		t.Errorf("kept %d, dropped %d of %d rows; want only the /var/log-only row dropped", kept, dropped, len(tb.Rows))
	}
	if naiveDroppedPrivileged != 2 {
		t.Errorf("the naive filter drops %d privileged rows, want the 2 log-shipper rows (the bug it fixes)", naiveDroppedPrivileged)
	}
}
