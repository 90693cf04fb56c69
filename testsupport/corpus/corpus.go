// Package corpus generates realistic synthetic Kubernetes audit events, as
// the API server's log backend writes them, for benchmarks and load tests.
//
// The mix follows a busy cluster: 30% metadata-level reads, 22% lease
// renewals, 20% configmap writes, 16% core events, 10% pod writes and 2%
// workload writes; events average about 2 KB. A few percent are
// privileged: pods applied with kubectl (whose last-applied annotation the
// ESCU search reads), privileged pods without that annotation (kubectl
// create, DaemonSet controllers), hostPID/hostNetwork/hostPath pods,
// privileged workload templates, and a trap whose env var merely contains
// the text "privileged":true.
//
// Names, users and addresses come from small pools, as in a real cluster,
// so the number of distinct findings stays bounded however many events
// are generated: memory benchmarks then measure the detection, not the
// corpus. Output is a pure function of the seed.
package corpus

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// Stats counts what a Generator produced, by the ground truth it used.
type Stats struct {
	Events int64
	Bytes  int64 // event bytes, without separators
	// PodWrites are create, update and patch requests on pods (any
	// subresource), all stages.
	PodWrites int64
	// Privileged are completed pod or workload writes whose object has a
	// container with securityContext.privileged true.
	Privileged int64
	// Applied are the privileged pod creates and updates made with
	// kubectl apply, whose last-applied annotation says "privileged":true:
	// what the ESCU search is written to catch.
	Applied int64
}

// Generator produces a deterministic stream of audit events.
type Generator struct {
	rng   *rand.Rand
	now   int64 // microseconds since the epoch
	stats Stats
	// pendingID is the auditID of a RequestReceived stage just written,
	// whose ResponseComplete stage comes next.
	pending *podWrite
	obj     []byte // scratch for objects
	ann     []byte // scratch for annotations
}

// Start is the timestamp of the first event.
var Start = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// New returns a Generator whose output depends only on seed.
func New(seed uint64) *Generator {
	return &Generator{
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now: Start.UnixMicro(),
	}
}

// Stats returns the counts so far.
func (g *Generator) Stats() Stats { return g.stats }

// Append appends the next event, compact JSON without a line end, to dst.
func (g *Generator) Append(dst []byte) []byte {
	start := len(dst)
	g.now += int64(g.rng.IntN(20000)) // 0-20 ms apart: ~100 events/s
	switch p := g.pending; {
	case p != nil:
		g.pending = nil
		dst = g.podWrite(dst, p)
	default:
		r := g.rng.IntN(1000)
		switch {
		case r < 300:
			dst = g.read(dst)
		case r < 520:
			dst = g.lease(dst)
		case r < 720:
			dst = g.objectWrite(dst)
		case r < 880:
			dst = g.coreEvent(dst)
		case r < 980:
			dst = g.pod(dst)
		default:
			dst = g.workload(dst)
		}
	}
	g.stats.Events++
	g.stats.Bytes += int64(len(dst) - start)
	return dst
}

// identity is a requester: user, groups, where it connects from and with
// what client.
type identity struct {
	name, uid string
	groups    []string
	ips       []string
	agents    []string
	reason    string // authorization.k8s.io/reason
}

var (
	humans = []identity{
		{"m.ross@example.com", "oidc:7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f", []string{"contractors", "oncall", "system:authenticated"},
			[]string{"198.51.100.77", "10.20.5.14"}, []string{"kubectl/v1.31.2 (darwin/arm64) kubernetes/5864a46"},
			`RBAC: allowed by RoleBinding \"contractors-edit/default\" of ClusterRole \"edit\" to Group \"contractors\"`},
		{"jane.doe@example.com", "oidc:0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d", []string{"platform", "system:masters", "system:authenticated"},
			[]string{"203.0.113.24"}, []string{"kubectl/v1.30.4 (linux/amd64) kubernetes/a51b3b7", "k9s/v0.32.5 (linux/amd64) kubernetes/$Format"},
			`RBAC: allowed by ClusterRoleBinding \"platform-admins\" of ClusterRole \"cluster-admin\" to Group \"platform\"`},
		{"a.khan@example.com", "oidc:5f4e3d2c-1b0a-4987-a6b5-c4d3e2f1a0b9", []string{"developers", "system:authenticated"},
			[]string{"192.0.2.41", "192.0.2.42"}, []string{"kubectl/v1.29.3 (windows/amd64) kubernetes/6813625"},
			`RBAC: allowed by RoleBinding \"developers-edit/shop\" of ClusterRole \"edit\" to Group \"developers\"`},
		{"system:serviceaccount:ci:deployer", "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d", []string{"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"},
			[]string{"10.20.88.5"}, []string{"kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc"},
			`RBAC: allowed by ClusterRoleBinding \"ci-deployer\" of ClusterRole \"cluster-admin\" to ServiceAccount \"deployer/ci\"`},
	}
	controllers = []identity{
		{"system:serviceaccount:kube-system:replicaset-controller", "8d5e1349-d30f-11e8-96d9-080027728ac4", []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
			[]string{"10.20.0.10"}, []string{"kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:replicaset-controller"},
			`RBAC: allowed by ClusterRoleBinding \"system:controller:replicaset-controller\" of ClusterRole \"system:controller:replicaset-controller\" to ServiceAccount \"replicaset-controller/kube-system\"`},
		{"system:serviceaccount:kube-system:daemon-set-controller", "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b", []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
			[]string{"10.20.0.10"}, []string{"kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:daemon-set-controller"},
			`RBAC: allowed by ClusterRoleBinding \"system:controller:daemon-set-controller\" of ClusterRole \"system:controller:daemon-set-controller\" to ServiceAccount \"daemon-set-controller/kube-system\"`},
		{"system:kube-scheduler", "", []string{"system:authenticated"},
			[]string{"10.20.0.11"}, []string{"kube-scheduler/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election"},
			`RBAC: allowed by ClusterRoleBinding \"system:kube-scheduler\" of ClusterRole \"system:kube-scheduler\" to User \"system:kube-scheduler\"`},
		{"system:serviceaccount:argocd:argocd-application-controller", "9e0f1a2b-3c4d-4e5f-a6b7-c8d9e0f1a2b3", []string{"system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"},
			[]string{"10.20.71.9"}, []string{"argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format"},
			`RBAC: allowed by ClusterRoleBinding \"argocd-application-controller\" of ClusterRole \"argocd-application-controller\" to ServiceAccount \"argocd-application-controller/argocd\"`},
		{"system:serviceaccount:kube-system:coredns", "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
			[]string{"10.20.14.3", "10.20.27.8"}, []string{"coredns/v1.11.3 (linux/amd64) kubernetes/$Format"},
			`RBAC: allowed by ClusterRoleBinding \"system:coredns\" of ClusterRole \"system:coredns\" to ServiceAccount \"coredns/kube-system\"`},
	}
	namespaces = []string{"default", "shop", "payments", "monitoring", "kube-system", "argocd", "batch", "ingress"}
	images     = []string{"docker.io/library/nginx:1.27.2", "ghcr.io/acme/checkout:2.14.1", "quay.io/prometheus/node-exporter:v1.8.2",
		"docker.io/library/alpine:3.20", "registry.k8s.io/pause:3.10", "ghcr.io/acme/payments-api:5.2.0", "docker.io/library/busybox:1.36"}
	resources = []string{"pods", "configmaps", "secrets", "services", "endpoints", "nodes", "deployments", "replicasets", "serviceaccounts"}
)

// kubelet returns the identity of the kubelet of node i.
func kubelet(i int) identity {
	node := "ip-10-20-" + strconv.Itoa(30+i) + "-17.eu-west-1.compute.internal"
	return identity{
		name: "system:node:" + node, groups: []string{"system:nodes", "system:authenticated"},
		ips: []string{"10.20." + strconv.Itoa(30+i) + ".17"}, agents: []string{"kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46"},
	}
}

func (g *Generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// event is the envelope every audit event shares.
type event struct {
	level, stage, uri, verb string
	who                     *identity
	ip, agent               string
	group, version          string // objectRef.apiGroup (empty for core) and apiVersion
	resource, subresource   string
	namespace, name         string
	code                    int
	reqObj, respObj         []byte // raw JSON, or nil
	extraAnnotations        string // raw JSON members appended to annotations
	auditID                 string
	received                int64 // requestReceivedTimestamp, microseconds
}

func (g *Generator) uuid(dst []byte) []byte {
	const hex = "0123456789abcdef"
	a, b := g.rng.Uint64(), g.rng.Uint64()
	for i := 0; i < 32; i++ {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			dst = append(dst, '-')
		}
		var v uint64
		if i < 16 {
			v = a >> (4 * i)
		} else {
			v = b >> (4 * (i - 16))
		}
		c := hex[v&0xf]
		switch i {
		case 12:
			c = '4'
		case 16:
			c = hex[8+(v&3)]
		}
		dst = append(dst, c)
	}
	return dst
}

func appendTime(dst []byte, us int64) []byte {
	return time.UnixMicro(us).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
}

func (g *Generator) appendEvent(dst []byte, e *event) []byte {
	dst = append(dst, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"`...)
	dst = append(dst, e.level...)
	dst = append(dst, `","auditID":"`...)
	if e.auditID != "" {
		dst = append(dst, e.auditID...)
	} else {
		dst = g.uuid(dst)
	}
	dst = append(dst, `","stage":"`...)
	dst = append(dst, e.stage...)
	dst = append(dst, `","requestURI":"`...)
	dst = append(dst, e.uri...)
	dst = append(dst, `","verb":"`...)
	dst = append(dst, e.verb...)
	dst = append(dst, `","user":{"username":"`...)
	dst = append(dst, e.who.name...)
	if e.who.uid != "" {
		dst = append(dst, `","uid":"`...)
		dst = append(dst, e.who.uid...)
	}
	dst = append(dst, `","groups":[`...)
	for i, gr := range e.who.groups {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, gr...)
		dst = append(dst, '"')
	}
	dst = append(dst, `]},"sourceIPs":["`...)
	dst = append(dst, e.ip...)
	dst = append(dst, `"],"userAgent":"`...)
	dst = append(dst, e.agent...)
	dst = append(dst, `","objectRef":{"resource":"`...)
	dst = append(dst, e.resource...)
	if e.namespace != "" {
		dst = append(dst, `","namespace":"`...)
		dst = append(dst, e.namespace...)
	}
	if e.name != "" {
		dst = append(dst, `","name":"`...)
		dst = append(dst, e.name...)
	}
	if e.group != "" {
		dst = append(dst, `","apiGroup":"`...)
		dst = append(dst, e.group...)
	}
	dst = append(dst, `","apiVersion":"`...)
	dst = append(dst, e.version...)
	if e.subresource != "" {
		dst = append(dst, `","subresource":"`...)
		dst = append(dst, e.subresource...)
	}
	dst = append(dst, `"}`...)
	if e.stage != "RequestReceived" {
		dst = append(dst, `,"responseStatus":{"metadata":{},`...)
		if e.code >= 400 {
			dst = append(dst, `"status":"Failure","message":"`...)
			dst = append(dst, statusMessage(e)...)
			dst = append(dst, `","reason":"`...)
			dst = append(dst, statusReason(e.code)...)
			dst = append(dst, `",`...)
		}
		dst = append(dst, `"code":`...)
		dst = strconv.AppendInt(dst, int64(e.code), 10)
		dst = append(dst, '}')
	}
	if e.reqObj != nil {
		dst = append(dst, `,"requestObject":`...)
		dst = append(dst, e.reqObj...)
	}
	if e.respObj != nil {
		dst = append(dst, `,"responseObject":`...)
		dst = append(dst, e.respObj...)
	}
	dst = append(dst, `,"requestReceivedTimestamp":"`...)
	dst = appendTime(dst, e.received)
	dst = append(dst, `","stageTimestamp":"`...)
	dst = appendTime(dst, g.now)
	dst = append(dst, '"')
	if e.stage != "RequestReceived" {
		if e.code == 403 && e.extraAnnotations == "" {
			dst = append(dst, `,"annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""}`...)
		} else {
			dst = append(dst, `,"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"`...)
			dst = append(dst, e.who.reason...)
			dst = append(dst, '"')
			dst = append(dst, e.extraAnnotations...)
			dst = append(dst, '}')
		}
	}
	return append(dst, '}')
}

func statusReason(code int) string {
	switch code {
	case 403:
		return "Forbidden"
	case 404:
		return "NotFound"
	case 409:
		return "AlreadyExists"
	}
	return "Invalid"
}

func statusMessage(e *event) string {
	switch e.code {
	case 403:
		if e.resource == "pods" && e.verb == "create" {
			return `pods \"` + e.name + `\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"main\" must not set securityContext.privileged=true)`
		}
		return e.resource + ` is forbidden: User \"` + e.who.name + `\" cannot ` + e.verb + ` resource \"` + e.resource + `\" in API group \"\" in the namespace \"` + e.namespace + `\"`
	case 404:
		return e.resource + ` \"` + e.name + `\" not found`
	case 409:
		return e.resource + ` \"` + e.name + `\" already exists`
	}
	return "invalid"
}

// uri builds a request URI for a namespaced or cluster-scoped object. The
// query must be JSON-escaped as the API server writes it: Go's encoder
// turns & into \u0026.
func uri(group, version, resource, ns, name, sub, query string) string {
	u := "/api/" + version
	if group != "" {
		u = "/apis/" + group + "/" + version
	}
	if ns != "" {
		u += "/namespaces/" + ns
	}
	u += "/" + resource
	if name != "" {
		u += "/" + name
	}
	if sub != "" {
		u += "/" + sub
	}
	if query != "" {
		u += "?" + query
	}
	return u
}

// read is a metadata-level get, list or watch.
func (g *Generator) read(dst []byte) []byte {
	var who identity
	switch r := g.rng.IntN(10); {
	case r < 4:
		who = kubelet(g.rng.IntN(12))
	case r < 8:
		who = controllers[g.rng.IntN(len(controllers))]
	default:
		who = humans[g.rng.IntN(len(humans))]
	}
	res := g.pick(resources)
	group, version := "", "v1"
	if res == "deployments" || res == "replicasets" {
		group = "apps"
	}
	ns := g.pick(namespaces)
	if res == "nodes" {
		ns = ""
	}
	e := event{level: "Metadata", stage: "ResponseComplete", who: &who, ip: g.pick(who.ips), agent: g.pick(who.agents),
		group: group, version: version, resource: res, namespace: ns, code: 200, received: g.now - int64(g.rng.IntN(3000))}
	switch r := g.rng.IntN(10); {
	case r < 5:
		e.verb = "get"
		e.name = res[:len(res)-1] + "-" + strconv.Itoa(g.rng.IntN(40))
		e.uri = uri(group, version, res, ns, e.name, "", "")
		if g.rng.IntN(20) == 0 {
			e.code = 404
		}
	case r < 8:
		e.verb = "list"
		e.uri = uri(group, version, res, ns, "", "", `limit=500\u0026resourceVersion=0`)
	default:
		e.verb = "watch"
		e.uri = uri(group, version, res, ns, "", "", `allowWatchBookmarks=true\u0026resourceVersion=4815`+strconv.Itoa(g.rng.IntN(100000))+`\u0026timeout=7m21s\u0026timeoutSeconds=441\u0026watch=true`)
	}
	if who.name[0] != 's' && g.rng.IntN(8) == 0 {
		e.code = 403
	}
	return g.appendEvent(dst, &e)
}

// lease is a leader-election or node-heartbeat lease renewal.
func (g *Generator) lease(dst []byte) []byte {
	var who identity
	var name, ns string
	if g.rng.IntN(4) == 0 {
		who = controllers[2] // scheduler
		name, ns = "kube-scheduler", "kube-system"
	} else {
		i := g.rng.IntN(12)
		who = kubelet(i)
		name, ns = who.name[len("system:node:"):], "kube-node-lease"
	}
	ts := appendTime(nil, g.now)
	o := append(g.obj[:0], `{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{"name":"`...)
	o = append(o, name...)
	o = append(o, `","namespace":"`...)
	o = append(o, ns...)
	o = append(o, `","uid":"`...)
	o = g.uuid(o)
	o = append(o, `","resourceVersion":"4816`...)
	o = strconv.AppendInt(o, int64(g.rng.IntN(1000000)), 10)
	o = append(o, `","creationTimestamp":"2026-09-01T07:00:00Z","managedFields":[{"manager":"`...)
	o = append(o, who.agents[0][:len("kube")]...)
	o = append(o, `let","operation":"Update","apiVersion":"coordination.k8s.io/v1","time":"`...)
	o = append(o, ts[:19]...)
	o = append(o, `Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:holderIdentity":{},"f:leaseDurationSeconds":{},"f:renewTime":{}}}}]},"spec":{"holderIdentity":"`...)
	o = append(o, name...)
	o = append(o, `","leaseDurationSeconds":40,"renewTime":"`...)
	o = append(o, ts...)
	o = append(o, `"}}`...)
	g.obj = o
	e := event{level: "RequestResponse", stage: "ResponseComplete", verb: "update", who: &who, ip: who.ips[0], agent: who.agents[0],
		group: "coordination.k8s.io", version: "v1", resource: "leases", namespace: ns, name: name, code: 200,
		uri: uri("coordination.k8s.io", "v1", "leases", ns, name, "", "timeout=10s"), reqObj: o, respObj: o, received: g.now - 2100}
	return g.appendEvent(dst, &e)
}

// objectWrite is a configmap, secret or service write by Argo CD or a person.
func (g *Generator) objectWrite(dst []byte) []byte {
	who := controllers[3]
	if g.rng.IntN(4) == 0 {
		who = humans[g.rng.IntN(len(humans))]
	}
	ns := g.pick(namespaces)
	name := []string{"app-config", "feature-flags", "nginx-conf", "otel-collector", "routes"}[g.rng.IntN(5)]
	verb := []string{"update", "update", "patch", "create"}[g.rng.IntN(4)]
	o := append(g.obj[:0], `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"`...)
	o = append(o, name...)
	o = append(o, `","namespace":"`...)
	o = append(o, ns...)
	o = append(o, `","labels":{"app.kubernetes.io/instance":"`...)
	o = append(o, ns...)
	o = append(o, `","app.kubernetes.io/managed-by":"argocd","app.kubernetes.io/part-of":"platform"},"annotations":{"argocd.argoproj.io/tracking-id":"`...)
	o = append(o, ns...)
	o = append(o, `:/ConfigMap:`...)
	o = append(o, name...)
	o = append(o, `"}},"data":{"LOG_LEVEL":"info","FEATURE_NEW_CHECKOUT":"`...)
	o = strconv.AppendBool(o, g.rng.IntN(2) == 0)
	o = append(o, `","UPSTREAM":"http://payments.payments.svc.cluster.local:8080","TIMEOUT_MS":"`...)
	o = strconv.AppendInt(o, int64(500+g.rng.IntN(10)*100), 10)
	o = append(o, `","RETRY_POLICY":"{\"attempts\":3,\"backoff\":\"250ms\",\"on\":[\"5xx\",\"reset\",\"connect-failure\"]}","CACHE_TTL":"300s","REGION":"eu-west-1","OTEL_EXPORTER_OTLP_ENDPOINT":"http://otel-collector.monitoring.svc:4317"}}`...)
	g.obj = o
	e := event{level: "RequestResponse", stage: "ResponseComplete", verb: verb, who: &who, ip: g.pick(who.ips), agent: g.pick(who.agents),
		version: "v1", resource: "configmaps", namespace: ns, name: name, code: 200, reqObj: o, respObj: o, received: g.now - 4000}
	if verb == "create" {
		e.uri = uri("", "v1", "configmaps", ns, "", "", "fieldManager=argocd-controller")
		e.code = 201
		if g.rng.IntN(3) == 0 {
			e.code, e.respObj = 409, nil
		}
	} else {
		e.uri = uri("", "v1", "configmaps", ns, name, "", "fieldManager=argocd-controller")
	}
	return g.appendEvent(dst, &e)
}

// coreEvent is a kubelet or controller recording a core/v1 Event.
func (g *Generator) coreEvent(dst []byte) []byte {
	who := kubelet(g.rng.IntN(12))
	ns := g.pick(namespaces)
	pod := "web-" + strconv.Itoa(g.rng.IntN(30))
	reason := []string{"Pulled", "Created", "Started", "BackOff", "Unhealthy", "Killing"}[g.rng.IntN(6)]
	name := pod + ".18" + strconv.FormatInt(g.rng.Int64N(1<<40), 16)
	ts := appendTime(nil, g.now)
	o := append(g.obj[:0], `{"kind":"Event","apiVersion":"v1","metadata":{"name":"`...)
	o = append(o, name...)
	o = append(o, `","namespace":"`...)
	o = append(o, ns...)
	o = append(o, `"},"involvedObject":{"kind":"Pod","namespace":"`...)
	o = append(o, ns...)
	o = append(o, `","name":"`...)
	o = append(o, pod...)
	o = append(o, `","uid":"`...)
	o = g.uuid(o)
	o = append(o, `","apiVersion":"v1","resourceVersion":"4816`...)
	o = strconv.AppendInt(o, int64(g.rng.IntN(1000000)), 10)
	o = append(o, `","fieldPath":"spec.containers{main}"},"reason":"`...)
	o = append(o, reason...)
	o = append(o, `","message":"Container image \"`...)
	o = append(o, g.pick(images)...)
	o = append(o, `\" already present on machine and can be started; probe settings: liveness http-get http://:8080/healthz delay=10s timeout=1s period=10s #success=1 #failure=3","source":{"component":"kubelet","host":"`...)
	o = append(o, who.name[len("system:node:"):]...)
	o = append(o, `"},"firstTimestamp":"`...)
	o = append(o, ts[:19]...)
	o = append(o, `Z","lastTimestamp":"`...)
	o = append(o, ts[:19]...)
	o = append(o, `Z","count":1,"type":"Normal","eventTime":null,"reportingComponent":"kubelet","reportingInstance":"`...)
	o = append(o, who.name[len("system:node:"):]...)
	o = append(o, `"}`...)
	g.obj = o
	e := event{level: "RequestResponse", stage: "ResponseComplete", verb: "create", who: &who, ip: who.ips[0], agent: who.agents[0],
		version: "v1", resource: "events", namespace: ns, code: 201, reqObj: o, respObj: o, received: g.now - 1500,
		uri: uri("", "v1", "events", ns, "", "", "")}
	return g.appendEvent(dst, &e)
}
