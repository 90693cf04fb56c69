package extended

import (
	"testing"
)

const (
	raiseLevel = "set the audit policy level to Request or RequestResponse for pods, pods/ephemeralcontainers, " +
		"podtemplates, replicationcontrollers, replicasets, deployments, statefulsets, daemonsets, jobs and cronjobs"
	keepSize = "keep such events below the API server's --audit-log-truncate-max-event-size and Splunk's TRUNCATE limit"
)

func TestMessages(t *testing.T) {
	body := pod("p", privSpec)
	// A pod create as the log backend writes it (verb and stage first),
	// cut in its request body, as by Splunk's TRUNCATE.
	cut := sampleEvents(t)[8]
	cut = cut[:len(cut)/2]
	for _, c := range []struct {
		name string
		evs  [][]byte
		want []string
	}{
		{"none", [][]byte{ev{req: body}.raw()}, nil},
		{"metadata level", [][]byte{ev{id: "m1", level: "Metadata"}.raw(), ev{id: "m2", level: "Metadata", verb: "patch", resource: "daemonsets", group: "apps", nm: "ds"}.raw()},
			[]string{"kubeprivpod mode=extended cannot see inside 2 writes to pods or workload objects because the audit event has no request body (2 logged without it, 0 truncated): " + raiseLevel}},
		{"truncated by the API server", [][]byte{ev{id: "t1", annotations: map[string]string{"audit.k8s.io/truncated": "true"}}.raw()},
			[]string{"kubeprivpod mode=extended cannot see inside 1 write to pods or workload objects because the audit event has no request body (0 logged without it, 1 truncated): " + keepSize}},
		{"cut by Splunk", [][]byte{cut},
			[]string{"kubeprivpod mode=extended cannot see inside 1 write to pods or workload objects because the audit event has no request body (0 logged without it, 1 truncated): " + keepSize}},
		{"both remedies", [][]byte{ev{id: "m1", level: "Metadata"}.raw(), cut},
			[]string{"kubeprivpod mode=extended cannot see inside 2 writes to pods or workload objects because the audit event has no request body (1 logged without it, 1 truncated): " + raiseLevel + ", and " + keepSize}},
		{"early stages say nothing", [][]byte{ev{id: "e1", stage: "RequestReceived", code: -1}.raw(), ev{id: "e2", stage: "ResponseStarted"}.raw()}, nil},
		{"blind copy of a judged request", [][]byte{ev{id: "j1", level: "Metadata"}.raw(), ev{id: "j1", req: body}.raw()}, nil},
		{"reads and other resources are not writes", [][]byte{ev{id: "g1", verb: "get", level: "Metadata"}.raw(), ev{id: "c1", resource: "configmaps", level: "Metadata"}.raw()}, nil},
		{"not JSON", [][]byte{[]byte("hello"), []byte("{\"verb\":"), []byte(""), cut[:60]},
			[]string{"kubeprivpod mode=extended skipped 4 events that are not JSON objects (not Kubernetes audit events, or cut short)"}},
		{"both", [][]byte{[]byte("[1,2]"), ev{id: "b1", level: "Metadata"}.raw()}, []string{
			"kubeprivpod mode=extended skipped 1 event that is not a JSON object (not Kubernetes audit events, or cut short)",
			"kubeprivpod mode=extended cannot see inside 1 write to pods or workload objects because the audit event has no request body (1 logged without it, 0 truncated): " + raiseLevel}},
	} {
		d := run(c.evs...)
		equalLines(t, c.name, d.Messages(), c.want)
	}
}

// AKS wraps the audit event as a JSON string, GKE writes a Cloud Audit
// Log entry; both are read like the raw event.
func TestEnvelopes(t *testing.T) {
	inner := string(ev{id: "aks1", req: pod("p", privSpec)}.raw())
	quoted, _ := jsonString(inner)
	aks := []byte(`{"category":"kube-audit","operationName":"Microsoft.ContainerService/managedClusters/diagnosticLogs/Read","properties":{"log":` + quoted + `,"stream":"stdout","pod":"kube-apiserver-x"}}`)
	gke := []byte(`{"insertId":"g1","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2026-11-24T10:00:00Z",` +
		`"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"io.k8s.apps.v1.daemonsets.create",` +
		`"authenticationInfo":{"principalEmail":"eve@example.com"},"requestMetadata":{"callerIp":"192.0.2.7","callerIP":"192.0.2.7"},` +
		`"resourceName":"apps/v1/namespaces/default/daemonsets/agent","request":{"kind":"DaemonSet","spec":{"template":{"spec":{"hostPID":true,"containers":[{"name":"a"}]}}}},` +
		`"status":{}}}`)
	gkeOther := []byte(`{"insertId":"g2","protoPayload":{"methodName":"io.k8s.core.v1.configmaps.create","request":{"spec":{"hostPID":true}}}}`)
	equalLines(t, "rows", summaries(run(aks, gke, gkeOther).Result()), []string{
		"eve@example.com create pods default/p allowed [containers/c] [privileged] 49 1",
		"eve@example.com create daemonsets default/agent allowed [] [hostPID] 42 1",
	})
}

func jsonString(s string) (string, error) {
	b := []byte{'"'}
	for _, r := range s {
		switch r {
		case '"', '\\':
			b = append(b, '\\', byte(r))
		default:
			b = append(b, string(r)...)
		}
	}
	return string(append(b, '"')), nil
}
