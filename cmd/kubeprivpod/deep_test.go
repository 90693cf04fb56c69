package main

import (
	"bytes"
	"strings"
	"testing"
)

// deepEvent is a privileged pod create (by kubectl apply, so the default
// mode's search would match it) whose spec holds an array nested
// 20,000,000 deep: 20 MB, which Splunk indexes whole with TRUNCATE = 0.
// A recursive validator (gjson's) needs about 1 GB of stack for it and
// kills the process with "stack overflow"; the command must instead count
// it as an event that is not JSON and go on.
func deepEvent() []byte {
	return []byte(`{"kind":"Event","verb":"create","objectRef":{"resource":"pods","namespace":"ns","name":"deep"},` +
		`"requestObject":{"kind":"Pod","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"privileged\":true}"}},"spec":{"containers":[{"name":"c","securityContext":{"privileged":true},"args":` +
		strings.Repeat("[", 20_000_000) + `}]}}}`)
}

func TestDeepNestingIsNotJSONNotACrash(t *testing.T) {
	deep := deepEvent()
	for _, mode := range modeNames {
		t.Run("search/"+mode, func(t *testing.T) {
			var in bytes.Buffer
			getinfo(&in, "mode="+mode)
			execute(&in, true, rawBody([][]byte{deep, sampleEvents(t)[0]}))
			rs, code, stderr := serve(t, in.Bytes())
			if code != 0 || len(rs) != 2 {
				t.Fatalf("exit %d, %d replies; stderr %s", code, len(rs), stderr)
			}
			if !strings.Contains(rs[1].raw, `"WARN"`) || !strings.Contains(rs[1].raw, "1 ") {
				t.Errorf("want a WARN counting the deep event, got %.300s", rs[1].raw)
			}
		})
		t.Run("scan/"+mode, func(t *testing.T) {
			code, _, errs := scanWith(t, newDetector, string(deep)+"\n", "--mode", mode)
			if code != exitError || !strings.Contains(errs, "nested deeper than") {
				t.Errorf("exit %d, stderr %.300s; want the line reported as nested too deep", code, errs)
			}
		})
	}
}
