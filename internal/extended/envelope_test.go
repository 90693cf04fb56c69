package extended

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/table"
)

// envelopeFile reads one event of testdata/envelopes (see its README),
// whole, as Splunk would index a multi-line event.
func envelopeFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "envelopes", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// finding is what the differential tests compare of a row: what the
// issue asks every envelope to fill as the bare event does.
func findingOf(tb table.Table, r table.Row) string {
	get := func(c string) string { return strings.Join(r[tb.Index(c)], ",") }
	return summary(tb, r) + " src_ip=" + get("src_ip") + " time=" + get("firstTime") + "/" + get("lastTime") +
		" ua=" + get("userAgent") + " msg=" + get("message")
}

func findingsOf(tb table.Table) []string {
	var out []string
	for _, r := range tb.Rows {
		out = append(out, findingOf(tb, r))
	}
	return out
}

// Each envelope file, derived from public real events, gives its finding
// with src_ip, namespace, name, outcome and time filled, and no warning
// but the ones listed.
func TestEnvelopeFiles(t *testing.T) {
	const audit = "system:serviceaccount:kube-system:replicaset-controller create pods default/nginx-deployment-5cdcc99dbf-rgw6z allowed [containers/nginx] [privileged] 49 1"
	const gke = "amandak@clsecteam.com create pods default/image-without-attestation "
	for _, c := range []struct {
		file, want, ip, time string
	}{
		{"audit-event.json", audit, "172.31.35.83", "2018-10-25T14:09:12.572676Z"},
		{"aks-log-string.json", audit, "172.31.35.83", "2018-10-25T14:09:12.572676Z"},
		{"aks-log-object.json", audit, "172.31.35.83", "2018-10-25T14:09:12.572676Z"},
		{"eventhub-records.json", audit, "172.31.35.83", "2018-10-25T14:09:12.572676Z"},
		{"cloudwatch-logevents.json", audit, "172.31.35.83", "2018-10-25T14:09:12.572676Z"},
		{"eventlist.json", audit, "172.31.35.83", "2018-10-25T14:09:12.572676Z"},
		{"gke-logentry.json", gke + "allowed [containers/image-without-attestation] [privileged] 49 1", "179.220.250.109", "2019-02-15T10:20:30.823262Z"},
		{"gke-callerIP.json", gke + "allowed [containers/image-without-attestation] [privileged] 49 1", "179.220.250.109", "2019-02-15T10:20:30.823262Z"},
		{"pubsub-data-object.json", gke + "allowed [containers/image-without-attestation] [privileged] 49 1", "179.220.250.109", "2019-02-15T10:20:30.823262Z"},
		{"pubsub-data-base64.json", gke + "allowed [containers/image-without-attestation] [privileged] 49 1", "179.220.250.109", "2019-02-15T10:20:30.823262Z"},
		{"pubsub-push.json", gke + "allowed [containers/image-without-attestation] [privileged] 49 1", "179.220.250.109", "2019-02-15T10:20:30.823262Z"},
		{"gke-denied.json", gke + "denied [containers/image-without-attestation] [privileged] 49 1", "179.220.250.109", "2019-02-15T11:43:23.897797Z"},
		{"gke-failure-no-kind.json", gke + "failed [containers/image-without-attestation] [privileged] 49 1", "179.220.250.109", "2019-02-15T10:20:30.823262Z"},
		{"gke-no-status.json", gke + "unknown [containers/image-without-attestation] [privileged] 49 1", "179.220.250.109", "2019-02-15T10:20:30.823262Z"},
	} {
		d := run(envelopeFile(t, c.file))
		tb := d.Result()
		if len(tb.Rows) != 1 {
			t.Errorf("%s: %d rows, want 1: %q", c.file, len(tb.Rows), summaries(tb))
			continue
		}
		r := tb.Rows[0]
		if got := summary(tb, r); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.file, got, c.want)
		}
		if got := r[tb.Index("src_ip")]; !slices.Equal(got, []string{c.ip}) {
			t.Errorf("%s: src_ip %q, want %q", c.file, got, c.ip)
		}
		if got := r[tb.Index("firstTime")]; !slices.Equal(got, []string{c.time}) {
			t.Errorf("%s: firstTime %q, want %q", c.file, got, c.time)
		}
		if msgs := d.Messages(); len(msgs) != 0 {
			t.Errorf("%s: messages %q", c.file, msgs)
		}
	}
}

// GKE outcomes as the entry records them: the Status code of an error
// response, a Failure without kind, and no status at all, which is not
// made into HTTP 200.
func TestGKEOutcomeMessages(t *testing.T) {
	for file, want := range map[string]string{
		"gke-logentry.json":        "The API server accepted it (HTTP 200)",
		"gke-denied.json":          "The API server refused it (HTTP 403)",
		"gke-failure-no-kind.json": "The request failed (HTTP 409)",
		"gke-no-status.json":       "No response status was recorded for it, so whether it took effect is unknown",
	} {
		tb := run(envelopeFile(t, file)).Result()
		if len(tb.Rows) != 1 || !strings.Contains(tb.Rows[0][tb.Index("message")][0], want) {
			t.Errorf("%s: want a message containing %q, got %q", file, want, findingsOf(tb))
		}
	}
	// The google.rpc status alone, without a response: code 7 is 403.
	var e map[string]any
	if err := json.Unmarshal(envelopeFile(t, "gke-denied.json"), &e); err != nil {
		t.Fatal(err)
	}
	delete(e["protoPayload"].(map[string]any), "response")
	b, _ := json.Marshal(e)
	if got := summaries(run(b).Result()); len(got) != 1 || !strings.Contains(got[0], " denied ") {
		t.Errorf("status code 7 without response: %q", got)
	}
}

// The envelopes each audit event can come in, built around its text.
var auditEnvelopes = map[string]func(ev string) string{
	"aks string": func(ev string) string {
		q, _ := json.Marshal(ev + "\n")
		return `{"category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{"log":` + string(q) + `,"stream":"stdout","pod":"kube-apiserver-1"},"time":"2026-11-24T10:00:00Z"}`
	},
	"aks object": func(ev string) string {
		return `{"category":"kube-audit","properties":{"pod":"kube-apiserver-1","log":` + ev + `},"time":"2026-11-24T10:00:00Z"}`
	},
	"event hub": func(ev string) string {
		q, _ := json.Marshal(ev)
		return `{"records":[{"category":"kube-audit","properties":{"log":"{\"kind\":\"Event\",\"verb\":\"get\"}"}},{"category":"kube-audit","properties":{"log":` + string(q) + `}}]}`
	},
	"cloudwatch": func(ev string) string {
		q, _ := json.Marshal(ev)
		return `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/eks/c/cluster","logStream":"kube-apiserver-audit-1","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":` + string(q) + `}]}`
	},
	"eventlist": func(ev string) string {
		return `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + ev + `]}`
	},
	"array":  func(ev string) string { return "[\n" + ev + "\n]" },
	"pretty": func(ev string) string { return indent(ev) },
}

// The envelopes a GKE LogEntry can come in.
var logEntryEnvelopes = map[string]func(ev string) string{
	"pubsub object": func(ev string) string {
		return `{"attributes":{"logging.googleapis.com/timestamp":"2019-02-15T10:20:30Z"},"data":` + ev + `,"message_id":"1","publish_time":"2019-02-15T10:21:04Z"}`
	},
	"pubsub base64": func(ev string) string {
		return `{"attributes":{},"data":"` + base64.StdEncoding.EncodeToString([]byte(ev)) + `","publish_time":"2019-02-15T10:21:04Z"}`
	},
	"pubsub push": func(ev string) string {
		return `{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte(ev)) + `","messageId":"1","publishTime":"2019-02-15T10:21:04Z"},"subscription":"projects/p/subscriptions/s"}`
	},
	"array": func(ev string) string {
		return `[{"insertId":"r","protoPayload":{"methodName":"io.k8s.core.v1.configmaps.get"}},` + ev + "]"
	},
	"pretty": func(ev string) string { return indent(ev) },
}

func indent(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// Differential: every event of the shared real-world fixtures, and of
// the envelope files, gives exactly the same rows (src_ip, namespace,
// name, outcome, time, message) bare and in every envelope it can come in.
func TestEnvelopesDifferential(t *testing.T) {
	checked := 0
	var evs [][]byte
	for _, f := range auditFixtures(t) {
		evs = append(evs, fixtureEvents(t, f)...)
	}
	evs = append(evs, envelopeFile(t, "audit-event.json"), envelopeFile(t, "gke-logentry.json"),
		envelopeFile(t, "gke-denied.json"), envelopeFile(t, "gke-failure-no-kind.json"), envelopeFile(t, "gke-no-status.json"))
	for _, raw := range evs {
		bare := run(raw)
		want := findingsOf(bare.Result())
		if len(want) == 0 {
			continue
		}
		envs := auditEnvelopes
		if strings.Contains(string(raw), `"protoPayload"`) {
			envs = logEntryEnvelopes
		}
		for name, wrap := range envs {
			got := findingsOf(run([]byte(wrap(strings.TrimSpace(string(raw))))).Result())
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s of %.120s:\n got %q\nwant %q", name, raw, got, want)
			}
			checked++
		}
	}
	if checked < 200 {
		t.Errorf("only %d envelope cases checked", checked)
	}
}

// JSON objects that are neither audit events nor an envelope of one are
// counted in one warning that names the keys of one of them, the same
// whichever order they come in; known shapes without a pod write (a read,
// another Cloud Audit Log service, another AKS component's log line, a
// CloudWatch control message) are not.
func TestUnknownObjectsWarn(t *testing.T) {
	unknown := [][]byte{
		[]byte(`{"result":{"_raw":"{}"},"preview":false}`),
		[]byte(`{"Records":[{"eventName":"CreatePod"}]}`),
		[]byte(`{"data":{"verb":"create"}}`), // "data" alone is not Pub/Sub
	}
	known := [][]byte{
		[]byte(`{"kind":"Event","verb":"get","objectRef":{"resource":"pods"}}`),
		[]byte(`{"insertId":"x","protoPayload":{"serviceName":"compute.googleapis.com","methodName":"v1.compute.instances.insert"}}`),
		[]byte(`{"records":[{"category":"kube-apiserver","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{"log":"I0624 20:14:59.855669       1 wrap.go:47] PUT /api/v1/namespaces/kube-system/endpoints/kube-scheduler?timeout=10s:(9.05251ms) 200","stream":"stderr"}}]}`),
		[]byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}`),
	}
	want := []string{"kubeprivpod mode=extended ignored 3 JSON objects that are neither a Kubernetes audit event nor a known envelope of one " +
		"(one has the top-level keys: Records): if they hold audit events, send the events themselves or one of the envelopes docs/extended.md lists"}
	equalLines(t, "in order", run(slices.Concat(known, unknown)...).Messages(), want)
	rev := slices.Concat(unknown, known)
	slices.Reverse(rev)
	equalLines(t, "reversed", run(rev...).Messages(), want)
	equalLines(t, "one", run([]byte(`{}`)).Messages(), []string{"kubeprivpod mode=extended ignored 1 JSON object that is neither a Kubernetes audit event nor a known envelope of one " +
		"(one has the top-level keys: (none)): if they hold audit events, send the events themselves or one of the envelopes docs/extended.md lists"})
}

// The warning's key list outlives the event buffer, which the search
// command reuses for the next chunk (found by searchcmd's TestDistributed).
func TestUnknownKeysDoNotAliasTheEvent(t *testing.T) {
	buf := []byte(`{"kind":0}`)
	d := New()
	d.AddEvent(buf)
	copy(buf, `{"trun":0}`)
	if msgs := d.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0], "top-level keys: kind)") {
		t.Errorf("messages %q", msgs)
	}
}
