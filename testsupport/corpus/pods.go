package corpus

import (
	"hash/fnv"
	"strconv"
)

// podShape is what a pod manifest asks for.
type podShape struct {
	name, generateName, ns string
	image                  string
	command                string // raw JSON array, or ""
	privileged             bool   // main container
	initPrivileged         bool   // an init container
	hostPID, hostNetwork   bool
	hostPath               string
	envTrap                bool   // an env var holding the text {"privileged":true}
	owner                  string // ReplicaSet or DaemonSet that made the pod
	ownerKind              string
}

// podWrite is one pod write request, kept between its RequestReceived
// and ResponseComplete stages.
type podWrite struct {
	shape     podShape
	who       *identity
	ip, agent string
	verb      string
	applied   bool // made by kubectl apply: carries the last-applied annotation
	level     string
	stage     string
	code      int
	auditID   []byte
	received  int64
}

// Pools of pods by scenario. Names repeat, as they do when the same
// manifests are applied again and again.
var (
	privilegedApplied = []string{"node-shell", "debug-root", "sysctl-tuner", "kernel-probe", "nsenter-tool", "disk-rescue"}
	benignApplied     = []string{"web", "checkout-canary", "redis-cli", "curl-test", "migrate-db", "report-gen", "toolbox", "queue-worker"}
	privilegedCreated = []string{"debug-tools", "netshoot", "rootkit-check", "perf-probe"}
	hostAccess        = []string{"host-inspect", "log-reader", "net-monitor"}
	trapPods          = []string{"policy-renderer", "sec-defaults"}
)

func (g *Generator) pod(dst []byte) []byte {
	r := g.rng.IntN(100)
	h := &humans[g.rng.IntN(len(humans))]
	p := &podWrite{who: h, verb: "create", level: "RequestResponse", stage: "ResponseComplete", code: 201, received: g.now - int64(1000+g.rng.IntN(40000))}
	p.ip, p.agent = g.pick(h.ips), g.pick(h.agents)
	fromPool := func(pool []string) {
		i := g.rng.IntN(len(pool))
		p.shape.name = pool[i]
		p.shape.ns = namespaces[(i*3+len(pool))%len(namespaces)]
		p.shape.image = images[i%len(images)]
	}
	switch {
	case r < 40: // a ReplicaSet scaling up: benign, no annotation
		c := &controllers[0]
		p.who, p.ip, p.agent = c, c.ips[0], c.agents[0]
		app := []string{"web", "checkout", "payments-api", "frontend", "cart"}[g.rng.IntN(5)]
		p.shape = podShape{generateName: app + "-7f5c9d8b64-", ns: g.pick(namespaces[:4]), image: g.pick(images), owner: app + "-7f5c9d8b64", ownerKind: "ReplicaSet"}
	case r < 55: // kubelet status patch
		return g.podStatus(dst)
	case r < 67:
		fromPool(benignApplied)
		p.applied = true
	case r < 77:
		fromPool(privilegedApplied)
		p.applied = true
		p.shape.privileged = p.shape.name != "sysctl-tuner"
		p.shape.initPrivileged = !p.shape.privileged
		p.shape.hostPID = p.shape.name == "node-shell" || p.shape.name == "nsenter-tool"
		p.shape.hostNetwork = p.shape.name == "node-shell"
		p.shape.command = `["nsenter","--target","1","--mount","--uts","--ipc","--net","--pid","--","bash"]`
		switch x := g.rng.IntN(10); {
		case x < 2:
			p.verb = "update" // kubectl replace
			p.code = 200
		case x < 3:
			p.code = 403 // Pod Security admission said no
		}
	case r < 85:
		fromPool(privilegedCreated)
		p.shape.privileged = true
		if g.rng.IntN(2) == 0 {
			// A privileged DaemonSet's pods: the controller creates them.
			c := &controllers[1]
			p.who, p.ip, p.agent = c, c.ips[0], c.agents[0]
			p.shape = podShape{name: "node-agent-" + strconv.Itoa(g.rng.IntN(12)), ns: "monitoring", image: images[2],
				privileged: true, hostPID: true, hostPath: "/proc", owner: "node-agent", ownerKind: "DaemonSet"}
		}
	case r < 90:
		fromPool(hostAccess)
		p.applied = true
		p.shape.hostPID = p.shape.name != "net-monitor"
		p.shape.hostNetwork = p.shape.name == "net-monitor"
		p.shape.hostPath = []string{"/", "/var/log", ""}[g.rng.IntN(3)]
	case r < 93:
		fromPool(trapPods)
		p.applied = true
		p.shape.envTrap = true
	case r < 98:
		// The first stage of a kubectl apply; the next event completes it.
		fromPool(privilegedApplied[:3])
		p.applied = true
		p.shape.privileged = true
		p.level, p.stage = "Request", "RequestReceived"
		p.auditID = g.uuid(nil)
		g.pending = &podWrite{}
		*g.pending = *p
		g.pending.stage = "ResponseComplete"
		g.pending.level = "RequestResponse"
	default:
		// Metadata level: the body was not recorded.
		fromPool(privilegedCreated)
		p.level = "Metadata"
		p.shape.privileged = true
	}
	return g.podWrite(dst, p)
}

func (g *Generator) podWrite(dst []byte, p *podWrite) []byte {
	s := &p.shape
	g.stats.PodWrites++
	complete := p.stage == "ResponseComplete"
	if complete && (s.privileged || s.initPrivileged) && p.level != "Metadata" {
		g.stats.Privileged++
		if p.applied && (p.verb == "create" || p.verb == "update") {
			g.stats.Applied++
		}
	}
	query := ""
	if p.applied {
		query = `fieldManager=kubectl-client-side-apply\u0026fieldValidation=Strict`
	}
	name := s.name
	if p.verb == "create" {
		name = ""
	}
	e := event{level: p.level, stage: p.stage, verb: p.verb, who: p.who, ip: p.ip, agent: p.agent,
		version: "v1", resource: "pods", namespace: s.ns, name: s.name, code: p.code, received: p.received,
		uri: uri("", "v1", "pods", s.ns, name, "", query), auditID: string(p.auditID)}
	if p.level != "Metadata" && complete {
		// The RequestReceived stage is logged before the body is decoded.
		e.reqObj = g.podObject(nil, p, false)
	}
	if p.level == "RequestResponse" && complete && p.code < 300 {
		e.respObj = g.podObject(nil, p, true)
	}
	if p.code == 403 {
		e.extraAnnotations = `,"pod-security.kubernetes.io/enforce-policy":"baseline:latest"`
	} else if s.privileged || s.initPrivileged || s.hostPID || s.hostNetwork || s.hostPath != "" {
		e.extraAnnotations = `,"pod-security.kubernetes.io/enforce-policy":"privileged:latest"`
	}
	return g.appendEvent(dst, &e)
}

// podStatus is a kubelet patching a pod's status subresource.
func (g *Generator) podStatus(dst []byte) []byte {
	i := g.rng.IntN(12)
	who := kubelet(i)
	ns := g.pick(namespaces[:4])
	name := "web-7f5c9d8b64-" + strconv.Itoa(10000+g.rng.IntN(90000))
	ts := appendTime(nil, g.now)
	o := append(g.obj[:0], `{"metadata":{"uid":"`...)
	o = g.uuid(o)
	o = append(o, `"},"status":{"$setElementOrder/conditions":[{"type":"PodReadyToStartContainers"},{"type":"Initialized"},{"type":"Ready"},{"type":"ContainersReady"},{"type":"PodScheduled"}],"conditions":[{"lastTransitionTime":"`...)
	o = append(o, ts[:19]...)
	o = append(o, `Z","status":"True","type":"Ready"},{"lastTransitionTime":"`...)
	o = append(o, ts[:19]...)
	o = append(o, `Z","status":"True","type":"ContainersReady"}],"containerStatuses":[{"containerID":"containerd://`...)
	o = g.uuid(o)
	o = append(o, `","image":"ghcr.io/acme/checkout:2.14.1","imageID":"ghcr.io/acme/checkout@sha256:6f1a0c8e7d2b4a9f3c5e1d0b8a7f6e5d4c3b2a190817263544536271808f9e0d","lastState":{},"name":"main","ready":true,"restartCount":0,"started":true,"state":{"running":{"startedAt":"`...)
	o = append(o, ts[:19]...)
	o = append(o, `Z"}}}],"phase":"Running","podIP":"10.20.`...)
	o = strconv.AppendInt(o, int64(30+i), 10)
	o = append(o, `.`...)
	o = strconv.AppendInt(o, int64(2+g.rng.IntN(250)), 10)
	o = append(o, `"}}`...)
	g.obj = o
	g.stats.PodWrites++
	e := event{level: "Request", stage: "ResponseComplete", verb: "patch", who: &who, ip: who.ips[0], agent: who.agents[0],
		version: "v1", resource: "pods", subresource: "status", namespace: ns, name: name, code: 200, reqObj: o,
		received: g.now - 3000, uri: uri("", "v1", "pods", ns, name, "status", "")}
	return g.appendEvent(dst, &e)
}

// podObject writes the pod as the client sent it, or (full) as the API
// server stored it, with defaults, identity and status.
func (g *Generator) podObject(dst []byte, p *podWrite, full bool) []byte {
	s := &p.shape
	if full {
		dst = append(dst, `{"kind":"Pod","apiVersion":"v1","metadata":{`...)
	} else {
		dst = append(dst, `{"apiVersion":"v1","kind":"Pod","metadata":{`...)
	}
	if p.applied {
		g.ann = appendManifest(g.ann[:0], s)
		dst = append(dst, `"annotations":{"kubectl.kubernetes.io/last-applied-configuration":`...)
		dst = appendQuoted(dst, g.ann)
		dst = append(dst, `},`...)
	}
	name := s.name
	if name == "" {
		dst = append(dst, `"generateName":"`...)
		dst = append(dst, s.generateName...)
		dst = append(dst, `",`...)
		if full {
			name = s.generateName + strconv.Itoa(10000+g.rng.IntN(90000))
		}
	}
	dst = append(dst, `"labels":{"app":"`...)
	dst = append(dst, appLabel(s)...)
	dst = append(dst, `"}`...)
	if name != "" {
		dst = append(dst, `,"name":"`...)
		dst = append(dst, name...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"namespace":"`...)
	dst = append(dst, s.ns...)
	dst = append(dst, '"')
	if s.owner != "" {
		dst = append(dst, `,"ownerReferences":[{"apiVersion":"apps/v1","kind":"`...)
		dst = append(dst, s.ownerKind...)
		dst = append(dst, `","name":"`...)
		dst = append(dst, s.owner...)
		dst = append(dst, `","uid":"`...)
		dst = append(dst, stableUID(s.owner)...)
		dst = append(dst, `","controller":true,"blockOwnerDeletion":true}]`...)
	}
	if full {
		dst = append(dst, `,"uid":"`...)
		dst = g.uuid(dst)
		dst = append(dst, `","resourceVersion":"4835`...)
		dst = strconv.AppendInt(dst, int64(g.rng.IntN(1000000)), 10)
		dst = append(dst, `","creationTimestamp":"`...)
		dst = append(dst, appendTime(nil, g.now)[:19]...)
		dst = append(dst, `Z","managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"main\"}":{".":{},"f:image":{},"f:name":{},"f:securityContext":{}}}}}}]`...)
	}
	dst = append(dst, `},"spec":`...)
	dst = appendSpec(dst, s, full)
	if full {
		dst = append(dst, `,"status":{"phase":"Pending","qosClass":"BestEffort"}`...)
	}
	return append(dst, '}')
}

func appLabel(s *podShape) string {
	if s.owner != "" {
		return s.owner
	}
	return s.name
}

// appendSpec writes a pod spec; full adds the defaults the API server fills in.
func appendSpec(dst []byte, s *podShape, full bool) []byte {
	dst = append(dst, `{"containers":[{`...)
	if s.command != "" {
		dst = append(dst, `"command":`...)
		dst = append(dst, s.command...)
		dst = append(dst, ',')
	}
	if s.envTrap {
		dst = append(dst, `"env":[{"name":"DEFAULT_SECURITY_CONTEXT","value":"{\"privileged\":true,\"runAsUser\":0}"}],`...)
	}
	dst = append(dst, `"image":"`...)
	dst = append(dst, s.image...)
	dst = append(dst, `","name":"main"`...)
	if s.privileged {
		dst = append(dst, `,"securityContext":{"privileged":true}`...)
	} else {
		dst = append(dst, `,"securityContext":{"allowPrivilegeEscalation":false,"runAsNonRoot":true}`...)
	}
	if s.hostPath != "" {
		dst = append(dst, `,"volumeMounts":[{"mountPath":"/host","name":"host"}]`...)
	}
	if full {
		dst = append(dst, `,"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"`...)
	}
	dst = append(dst, `}]`...)
	if s.hostNetwork {
		dst = append(dst, `,"hostNetwork":true`...)
	}
	if s.hostPID {
		dst = append(dst, `,"hostPID":true`...)
	}
	if s.initPrivileged {
		dst = append(dst, `,"initContainers":[{"command":["sysctl","-w","net.core.somaxconn=65535"],"image":"docker.io/library/busybox:1.36","name":"setup","securityContext":{"privileged":true}}]`...)
	}
	if s.hostPath != "" {
		dst = append(dst, `,"volumes":[{"hostPath":{"path":"`...)
		dst = append(dst, s.hostPath...)
		dst = append(dst, `"},"name":"host"}]`...)
	}
	if full {
		dst = append(dst, `,"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"`...)
	}
	return append(dst, '}')
}

// appendManifest writes the manifest kubectl apply records in the
// last-applied annotation: the user's file as compact JSON, keys sorted,
// with a final newline.
func appendManifest(dst []byte, s *podShape) []byte {
	dst = append(dst, `{"apiVersion":"v1","kind":"Pod","metadata":{"annotations":{},"labels":{"app":"`...)
	dst = append(dst, appLabel(s)...)
	dst = append(dst, `"},"name":"`...)
	dst = append(dst, s.name...)
	dst = append(dst, `","namespace":"`...)
	dst = append(dst, s.ns...)
	dst = append(dst, `"},"spec":`...)
	dst = appendSpec(dst, s, false)
	return append(dst, "}\n"...)
}

// appendQuoted appends s as a JSON string; the manifests hold only
// quotes, backslashes and a newline that need escaping.
func appendQuoted(dst, s []byte) []byte {
	dst = append(dst, '"')
	for _, c := range s {
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// stableUID derives a UUID-shaped identifier from a name, so an owner
// keeps its uid across events.
func stableUID(name string) string {
	h := fnv.New128a()
	h.Write([]byte(name))
	b := h.Sum(nil)
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

// workload is kubectl apply of a Deployment or DaemonSet, some with a
// privileged pod template.
func (g *Generator) workload(dst []byte) []byte {
	who := &humans[3] // the CI deployer
	kinds := []struct{ kind, resource, name string }{
		{"Deployment", "deployments", "checkout"}, {"Deployment", "deployments", "payments-api"},
		{"DaemonSet", "daemonsets", "log-shipper"}, {"DaemonSet", "daemonsets", "node-agent"},
	}
	k := kinds[g.rng.IntN(len(kinds))]
	s := podShape{name: k.name, ns: "monitoring", image: images[2], privileged: k.kind == "DaemonSet"}
	if k.kind == "DaemonSet" {
		s.hostPath = "/var/log"
	} else {
		s.ns, s.image = "shop", images[1]
	}
	if s.privileged {
		g.stats.Privileged++
	}
	spec := appendSpec(nil, &s, false)
	// The manifest as kubectl apply records it, then quoted for the annotation.
	m := append(g.ann[:0], `{"apiVersion":"apps/v1","kind":"`...)
	m = append(m, k.kind...)
	m = append(m, `","metadata":{"annotations":{},"name":"`...)
	m = append(m, k.name...)
	m = append(m, `","namespace":"`...)
	m = append(m, s.ns...)
	m = append(m, `"},"spec":{"selector":{"matchLabels":{"app":"`...)
	m = append(m, k.name...)
	m = append(m, `"}},"template":{"metadata":{"labels":{"app":"`...)
	m = append(m, k.name...)
	m = append(m, `"}},"spec":`...)
	m = append(m, spec...)
	m = append(m, "}}}\n"...)
	g.ann = m
	ann := appendQuoted(nil, m)

	verb, code := "patch", 200
	name := k.name
	if g.rng.IntN(4) == 0 {
		verb, code, name = "create", 201, ""
	}
	var o []byte
	if verb == "create" {
		o = append(g.obj[:0], `{"apiVersion":"apps/v1","kind":"`...)
		o = append(o, k.kind...)
		o = append(o, `","metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":`...)
		o = append(o, ann...)
		o = append(o, `},"name":"`...)
		o = append(o, k.name...)
		o = append(o, `","namespace":"`...)
		o = append(o, s.ns...)
		o = append(o, `"},"spec":{"selector":{"matchLabels":{"app":"`...)
		o = append(o, k.name...)
		o = append(o, `"}},"template":{"metadata":{"labels":{"app":"`...)
		o = append(o, k.name...)
		o = append(o, `"}},"spec":`...)
		o = append(o, spec...)
		o = append(o, `}}}`...)
	} else {
		// kubectl apply on an existing object sends a strategic-merge
		// patch: the new annotation and what changed.
		o = append(g.obj[:0], `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":`...)
		o = append(o, ann...)
		o = append(o, `}},"spec":{"template":{"spec":`...)
		o = append(o, spec...)
		o = append(o, `}}}`...)
	}
	g.obj = o
	e := event{level: "Request", stage: "ResponseComplete", verb: verb, who: who, ip: who.ips[0], agent: who.agents[0],
		group: "apps", version: "v1", resource: k.resource, namespace: s.ns, name: k.name, code: code, reqObj: o,
		received: g.now - 9000, uri: uri("apps", "v1", k.resource, s.ns, name, "", `fieldManager=kubectl-client-side-apply\u0026fieldValidation=Strict`)}
	return g.appendEvent(dst, &e)
}
