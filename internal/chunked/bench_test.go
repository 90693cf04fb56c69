package chunked

import (
	"bytes"
	"fmt"
	"github.com/kubeprivpod/kubeprivpod/testsupport/benchcpu"
	"io"
	"strings"
	"testing"
)

// benchEvent returns an audit-event-like JSON object of about 2 KB; i
// varies its values so no two rows are the same.
func benchEvent(i int) string {
	return fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse",`+
		`"auditID":"6f0c%04x-1b2e-4c1d-9a77-%012x","stage":"ResponseComplete",`+
		`"requestURI":"/api/v1/namespaces/team-%d/pods?fieldManager=kubectl-client-side-apply","verb":"create",`+
		`"user":{"username":"system:serviceaccount:ci:deployer-%d","uid":"c0ffee%02d-aaaa-bbbb-cccc-%012d",`+
		`"groups":["system:serviceaccounts","system:serviceaccounts:ci","system:authenticated"]},`+
		`"sourceIPs":["10.%d.%d.%d"],"userAgent":"kubectl/v1.29.3 (linux/amd64) kubernetes/6813625",`+
		`"objectRef":{"resource":"pods","namespace":"team-%d","name":"worker-%d","apiVersion":"v1"},`+
		`"responseStatus":{"metadata":{},"code":201},`+
		`"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"worker-%d","namespace":"team-%d",`+
		`"labels":{"app":"worker","tier":"batch"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":`+
		`"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"name\":\"worker-%d\",\"namespace\":\"team-%d\"},`+
		`\"spec\":{\"containers\":[{\"image\":\"registry.example.com/worker:1.%d\",\"name\":\"worker\",`+
		`\"securityContext\":{\"privileged\":%t}}]}}\n"}},"spec":{"containers":[{"name":"worker",`+
		`"image":"registry.example.com/worker:1.%d","resources":{"limits":{"cpu":"500m","memory":"256Mi"}},`+
		`"securityContext":{"privileged":%t,"allowPrivilegeEscalation":false},"imagePullPolicy":"IfNotPresent"}],`+
		`"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",`+
		`"serviceAccountName":"default","securityContext":{},"schedulerName":"default-scheduler"}},`+
		`"responseObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"worker-%d","namespace":"team-%d",`+
		`"uid":"0d1e2f3a-%04d-4b5c-8d9e-0123456789ab","resourceVersion":"%d","creationTimestamp":"2026-11-25T12:00:%02dZ"},`+
		`"status":{"phase":"Pending","qosClass":"Burstable"}},"requestReceivedTimestamp":"2026-11-25T12:00:%02d.123456Z",`+
		`"stageTimestamp":"2026-11-25T12:00:%02d.234567Z","annotations":{"authorization.k8s.io/decision":"allow",`+
		`"authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"deployers\" of ClusterRole \"edit\" to ServiceAccount \"deployer-%d/ci\"",`+
		`"pod-security.kubernetes.io/enforce-policy":"privileged:latest"}}`,
		i&0xffff, i, i%50, i%7, i%100, i, i&255, (i>>8)&255, i%250+1, i%50, i, i, i%50, i, i%50, i%20, i%10 == 0,
		i%20, i%10 == 0, i, i%50, i%10000, 100000+i, i%60, i%60, i%60, i%7)
}

// benchBody builds an execute body as splunkd writes it for
// required_fields=["_raw"]: quoted _raw (every '"' doubled) and its empty
// __mv_ twin, LF row ends.
func benchBody(rows int, chunkedIdx bool) []byte {
	var b bytes.Buffer
	if chunkedIdx {
		b.WriteString("\"_raw\",\"_chunked_idx\",\"__mv__raw\",\"__mv__chunked_idx\"\n")
	} else {
		b.WriteString("\"_raw\",\"__mv__raw\"\n")
	}
	for i := range rows {
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(benchEvent(i), `"`, `""`))
		b.WriteByte('"')
		if chunkedIdx {
			fmt.Fprintf(&b, ",%d,,\n", i)
		} else {
			b.WriteString(",\n")
		}
	}
	return b.Bytes()
}

func BenchmarkRecordReader(b *testing.B) {
	body := benchBody(5000, false)
	b.ReportMetric(float64(len(body))/5000, "B/row")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	r := bytes.NewReader(body)
	var total int
	cpu := benchcpu.Start()
	for b.Loop() {
		r.Reset(body)
		rr := NewRecordReader(r)
		i := rr.Index("_raw")
		for rr.Next() {
			total += len(rr.Field(i))
		}
		if rr.Err() != nil {
			b.Fatal(rr.Err())
		}
	}
	cpu.Report(b, int64(len(body)))
	_ = total
}

// BenchmarkRecordReaderValues adds the multivalue lookup a detection does
// for each row (an empty __mv__raw falls back to _raw).
func BenchmarkRecordReaderValues(b *testing.B) {
	body := benchBody(5000, true)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	r := bytes.NewReader(body)
	cpu := benchcpu.Start()
	for b.Loop() {
		r.Reset(body)
		rr := NewRecordReader(r)
		i := rr.Index("_raw")
		for rr.Next() {
			if len(rr.Values(i)) != 1 {
				b.Fatal("want one value")
			}
		}
		if rr.Err() != nil {
			b.Fatal(rr.Err())
		}
	}
	cpu.Report(b, int64(len(body)))
}

// BenchmarkFraming measures the Reader alone over a stream of execute
// requests of 1,000 rows (~2 MB) each, bodies skipped unread.
func BenchmarkFraming(b *testing.B) {
	in := benchStream(8, 1000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	r := bytes.NewReader(in)
	cpu := benchcpu.Start()
	for b.Loop() {
		r.Reset(in)
		cr := NewReader(r)
		for {
			_, err := cr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu.Report(b, int64(len(in)))
}

// BenchmarkFramingAndRecords reads the same stream and every row's _raw,
// the codec's share of the command's work per input byte, reusing one
// RecordReader as Serve does.
func BenchmarkFramingAndRecords(b *testing.B) {
	in := benchStream(8, 1000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	r := bytes.NewReader(in)
	rr := NewRecordReader(nil)
	cpu := benchcpu.Start()
	for b.Loop() {
		r.Reset(in)
		cr := NewReader(r)
		for {
			req, err := cr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rr.Reset(req.Body) // as Serve does
			i := rr.Index("_raw")
			for rr.Next() {
				_ = rr.Field(i)
			}
			if rr.Err() != nil {
				b.Fatal(rr.Err())
			}
		}
	}
	cpu.Report(b, int64(len(in)))
}

// benchStream is a getinfo request and n execute requests of rows rows.
func benchStream(n, rows int) []byte {
	var b bytes.Buffer
	gi := `{"action":"getinfo","preview":false,"searchinfo":{"args":[],"raw_args":[],"command":"bench","earliest_time":"0","latest_time":"0","maxresultrows":50000}}`
	fmt.Fprintf(&b, "chunked 1.0,%d,0\n%s", len(gi), gi)
	body := benchBody(rows, true)
	for i := range n {
		meta := `{"action":"execute","finished":false}`
		if i == n-1 {
			meta = `{"action":"execute","finished":true}`
		}
		fmt.Fprintf(&b, "chunked 1.0,%d,%d\n%s", len(meta), len(body), meta)
		b.Write(body)
	}
	return b.Bytes()
}

// benchTable is a result table like a detection's: 14 columns, one of
// them multivalue.
func benchTable(rows int) table {
	t := table{Columns: []string{"kind", "objectRef.name", "objectRef.namespace", "objectRef.resource",
		"requestObject.kind", "responseStatus.code", "src_ip", "stage", "user", "userAgent", "verb",
		"requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration", "count", "user_groups"}}
	for i := range rows {
		t.Rows = append(t.Rows, [][]string{{"Event"}, {fmt.Sprintf("worker-%d", i)}, {"team-1"}, {"pods"}, {"Pod"},
			{"201"}, {"10.0.0.1"}, {"ResponseComplete"}, {"system:serviceaccount:ci:deployer"},
			{"kubectl/v1.29.3 (linux/amd64) kubernetes/6813625"}, {"create"},
			{`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"worker","namespace":"team-1"},"spec":{"containers":[{"image":"worker:1","name":"worker","securityContext":{"privileged":true}}]}}` + "\n"},
			{"3"}, {"system:authenticated", "system:serviceaccounts", "system:serviceaccounts:ci"}})
	}
	return t
}

// BenchmarkRecordWriter writes a 1,000-row table into a reply body, as
// Execute does (it replaced AppendCSV, which did the same into a slice).
func BenchmarkRecordWriter(b *testing.B) {
	t := benchTable(1000)
	out := newReplyBody()
	if err := writeTable(out, t); err != nil {
		b.Fatal(err)
	}
	n := int64(len(out.body()))
	b.SetBytes(n)
	b.ReportAllocs()
	cpu := benchcpu.Start()
	for b.Loop() {
		out.resetReply()
		if err := writeTable(out, t); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b, n)
}

func BenchmarkWriteChunk(b *testing.B) {
	body := referenceCSV(nil, benchTable(100))
	w := NewWriter(io.Discard)
	meta := &Metadata{Finished: Bool(false)}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteChunk(meta, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReply is a whole reply of 100 rows as Serve sends it: the rows
// written into the body, then the chunk.
func BenchmarkReply(b *testing.B) {
	t := benchTable(100)
	out := newReplyBody()
	w := NewWriter(io.Discard)
	meta := &Metadata{Finished: Bool(false)}
	writeTable(out, t)
	b.SetBytes(int64(len(out.body())))
	b.ReportAllocs()
	for b.Loop() {
		out.resetReply()
		if err := writeTable(out, t); err != nil {
			b.Fatal(err)
		}
		if err := w.writeReply(meta, out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineByteLoop is no part of the codec: it counts the quotes
// of the RecordReader benchmark's body one byte at a time, the simplest
// loop over the input, as a yardstick for the machine's speed when the
// figures are read on a busy or unknown machine.
func BenchmarkBaselineByteLoop(b *testing.B) {
	body := benchBody(5000, false)
	b.SetBytes(int64(len(body)))
	n := 0
	cpu := benchcpu.Start()
	for b.Loop() {
		for _, c := range body {
			if c == '"' {
				n++
			}
		}
	}
	cpu.Report(b, int64(len(body)))
	_ = n
}
