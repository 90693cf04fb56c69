package webhook

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// realisticBatch is an EventList of n ~2 KB pod-create events at Request
// level, shaped as the API server's webhook backend sends them.
func realisticBatch(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"level":"Request","auditID":"a%07d-1d4c-4c43-9b7e-0c2a4c9d0a11","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/team-a/pods?fieldManager=kubectl-client-side-apply\u0026fieldValidation=Strict","verb":"create","user":{"username":"alice@example.com","uid":"5f0c7e2a-1b2c-4d3e-8f90-a1b2c3d4e5f6","groups":["system:authenticated","devs"],"extra":{"scopes.authorization.k8s.io":["openid"]}},"sourceIPs":["10.1.2.3"],"userAgent":"kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef0","objectRef":{"resource":"pods","namespace":"team-a","name":"web-%d","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-%d","namespace":"team-a","labels":{"app":"web","tier":"frontend"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"team-a\"},\"spec\":{\"containers\":[{\"image\":\"nginx:1.27\",\"name\":\"web\",\"securityContext\":{\"privileged\":true}}]}}\n"}},"spec":{"volumes":[{"name":"kube-api-access","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}}],"defaultMode":420}}],"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"500m","memory":"256Mi"}},"volumeMounts":[{"name":"kube-api-access","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","imagePullPolicy":"IfNotPresent","securityContext":{"privileged":true}}],"restartPolicy":"Always","dnsPolicy":"ClusterFirst","serviceAccountName":"default","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"}},"requestReceivedTimestamp":"2026-11-25T20:00:00.%06dZ","stageTimestamp":"2026-11-25T20:00:00.%06dZ","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"devs\" of ClusterRole \"edit\" to Group \"devs\"","pod-security.kubernetes.io/enforce-policy":"privileged:latest"}}`, i, i, i, i, i+7)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// BenchmarkBatchParse measures validation, splitting, field extraction
// and kind/apiVersion insertion for a batch of 400 events.
func BenchmarkBatchParse(b *testing.B) {
	doc := realisticBatch(400)
	var batch Batch
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if err := batch.Parse(doc); err != nil || batch.Len() != 400 {
			b.Fatal(err, batch.Len())
		}
	}
	b.ReportMetric(float64(len(doc))/400, "B/event")
}

// BenchmarkDedupe measures filtering 400 new keys into a full window.
func BenchmarkDedupe(b *testing.B) {
	var batch Batch
	if err := batch.Parse(realisticBatch(400)); err != nil {
		b.Fatal(err)
	}
	d := newDedupe(time.Hour, 1<<20)
	saved := make([]event, batch.Len())
	for i := range saved {
		saved[i] = *batch.at(i)
	}
	now := time.Now()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		batch.n = len(saved)
		for i := range saved {
			e := batch.at(i)
			*e = saved[i]
			e.key.b = uint64(n) // new keys each round
			n++
		}
		if dropped := d.filter(&batch, now); dropped != 0 {
			b.Fatal(dropped)
		}
	}
}
