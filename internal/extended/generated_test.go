package extended

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// privSpec is a pod spec with one privileged container.
const privSpec = `"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]`

// wrap nests a pod spec at a resource's path inside an object of kind.
func wrap(kind, resource, spec string) json.RawMessage {
	inner := "{" + spec + "}"
	switch resource {
	case "pods":
		return obj(`{"kind":"Pod","metadata":{"name":"x"},"spec":` + inner + `}`)
	case "podtemplates":
		return obj(`{"kind":"PodTemplate","metadata":{"name":"x"},"template":{"spec":` + inner + `}}`)
	case "cronjobs":
		return obj(`{"kind":"CronJob","metadata":{"name":"x"},"spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":` + inner + `}}}}}`)
	}
	return obj(`{"kind":"` + kind + `","metadata":{"name":"x"},"spec":{"template":{"metadata":{"labels":{"a":"b"}},"spec":` + inner + `}}}`)
}

func TestEveryResourceAtItsSpecPath(t *testing.T) {
	for _, c := range []struct{ resource, group, kind string }{
		{"pods", "", "Pod"},
		{"podtemplates", "", "PodTemplate"},
		{"replicationcontrollers", "", "ReplicationController"},
		{"replicasets", "apps", "ReplicaSet"},
		{"deployments", "apps", "Deployment"},
		{"statefulsets", "apps", "StatefulSet"},
		{"daemonsets", "apps", "DaemonSet"},
		{"jobs", "batch", "Job"},
		{"cronjobs", "batch", "CronJob"},
	} {
		t.Run(c.resource, func(t *testing.T) {
			for _, verb := range []string{"create", "update"} {
				d := run(ev{verb: verb, resource: c.resource, group: c.group, nm: "x", req: wrap(c.kind, c.resource, privSpec)}.raw())
				want := []string{"eve@example.com " + verb + " " + c.resource + " default/x allowed [containers/c] [privileged] 49 1"}
				equalLines(t, verb, summaries(d.Result()), want)
			}
			// patch in each form: the resulting object in the response, a
			// strategic-merge or merge patch (the object's shape), and a JSON
			// patch to the field at this resource's spec path.
			pointer := "/" + strings.Join(resources[c.resource].spec, "/") + "/containers/0/securityContext/privileged"
			for form, e := range map[string]ev{
				"response object": {req: wrap(c.kind, c.resource, `"containers":[{"name":"c","securityContext":{"runAsUser":5}}]`), resp: wrap(c.kind, c.resource, privSpec)},
				"merge patch":     {level: "Request", req: wrap(c.kind, c.resource, privSpec)},
				"JSON patch":      {level: "Request", req: obj(`[{"op":"replace","path":"` + pointer + `","value":true}]`)},
			} {
				e.verb, e.resource, e.group, e.nm = "patch", c.resource, c.group, "x"
				container := "containers/c"
				if form == "JSON patch" {
					container = "containers/#0"
				}
				want := []string{"eve@example.com patch " + c.resource + " default/x allowed [" + container + "] [privileged] 49 1"}
				equalLines(t, "patch, "+form, summaries(run(e.raw()).Result()), want)
			}
			// Run as root, inherited from the pod-level securityContext at
			// this resource's spec path; and a JSON patch of that field.
			rootSpec := `"securityContext":{"runAsUser":0},"containers":[{"name":"c"},{"name":"u","securityContext":{"runAsUser":1000}}]`
			equalLines(t, "runAsRoot", summaries(run(ev{resource: c.resource, group: c.group, nm: "x", req: wrap(c.kind, c.resource, rootSpec)}.raw()).Result()),
				[]string{"eve@example.com create " + c.resource + " default/x allowed [containers/c] [runAsRoot] 14 1"})
			podPointer := "/" + strings.Join(resources[c.resource].spec, "/") + "/securityContext/runAsNonRoot"
			equalLines(t, "runAsRoot JSON patch", summaries(run(ev{verb: "patch", level: "Request", resource: c.resource, group: c.group, nm: "x",
				req: obj(`[{"op":"add","path":"` + podPointer + `","value":false}]`)}.raw()).Result()),
				[]string{"eve@example.com patch " + c.resource + " default/x allowed [] [runAsRoot] 14 1"})
			// The same spec one level off is not a pod spec: Kubernetes
			// ignores it, and so does the detection (pods have no wrong
			// level above spec, so use one below).
			misplaced := obj(`{"kind":"` + c.kind + `","spec":{"x":{` + privSpec + `}}}`)
			if c.resource != "pods" {
				misplaced = wrap(c.kind, "pods", privSpec)
			}
			if d := run(ev{resource: c.resource, group: c.group, nm: "x", req: misplaced}.raw()); len(d.Result().Rows) != 0 {
				t.Errorf("misplaced spec found: %q", summaries(d.Result()))
			}
			// Another API group's resource of the same name is not watched.
			if d := run(ev{resource: c.resource, group: "example.com", nm: "x", req: wrap(c.kind, c.resource, privSpec)}.raw()); len(d.Result().Rows) != 0 {
				t.Errorf("resource of group example.com found: %q", summaries(d.Result()))
			}
		})
	}
}

func TestSubresources(t *testing.T) {
	eph := pod("web", `"containers":[{"name":"web"}],"ephemeralContainers":[{"name":"dbg","securityContext":{"privileged":true}}]`)
	d := run(
		ev{id: "1", verb: "update", sub: "ephemeralcontainers", nm: "web", req: eph}.raw(),
		ev{id: "2", verb: "patch", sub: "ephemeralcontainers", nm: "web",
			req: obj(`{"spec":{"ephemeralContainers":[{"name":"dbg2","image":"busybox","securityContext":{"privileged":true}}]}}`)}.raw(),
		// Kubernetes before 1.22: an EphemeralContainers object.
		ev{id: "3", verb: "update", sub: "ephemeralcontainers", nm: "old",
			req: obj(`{"kind":"EphemeralContainers","metadata":{"name":"old"},"ephemeralContainers":[{"name":"dbg3","securityContext":{"capabilities":{"add":["SYS_PTRACE"]}}}]}`)}.raw(),
		// Other subresources carry no pod spec worth judging.
		ev{id: "4", verb: "update", sub: "status", nm: "web", req: pod("web", privSpec)}.raw(),
		ev{id: "5", verb: "create", sub: "binding", nm: "web", req: pod("web", privSpec)}.raw(),
		ev{id: "6", verb: "patch", resource: "deployments", group: "apps", sub: "scale", nm: "web", req: wrap("Deployment", "deployments", privSpec)}.raw(),
	)
	equalLines(t, "rows", summaries(d.Result()), []string{
		// Equal risk and time: ordered by the grouping key (verb first).
		"eve@example.com patch pods/ephemeralcontainers default/web allowed [ephemeralContainers/dbg2] [privileged] 49 1",
		"eve@example.com update pods/ephemeralcontainers default/web allowed [ephemeralContainers/dbg] [privileged] 49 1",
		"eve@example.com update pods/ephemeralcontainers default/old allowed [ephemeralContainers/dbg3] [capability:SYS_PTRACE] 40 1",
	})
}

func TestContainerLists(t *testing.T) {
	d := run(ev{nm: "p", req: pod("p", `
		"initContainers":[{"name":"setup","securityContext":{"privileged":true}}],
		"containers":[{"name":"app","securityContext":{"privileged":false}},{"name":"side","securityContext":{"capabilities":{"add":["NET_ADMIN","CHOWN"]}}}],
		"ephemeralContainers":[{"name":"dbg","securityContext":{"privileged":true}}]`)}.raw())
	equalLines(t, "rows", summaries(d.Result()), []string{
		"eve@example.com create pods default/p allowed [initContainers/setup,ephemeralContainers/dbg,containers/side] [privileged,capability:NET_ADMIN] 49 1",
	})
	msg := d.Result().Rows[0][len(Columns)-1][0]
	want := "eve@example.com created pod default/p from 192.0.2.7 using kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46: " +
		"init container setup runs privileged (all host devices and capabilities); ephemeral container dbg runs privileged (all host devices and capabilities); " +
		"container side adds capability NET_ADMIN. The API server accepted it (HTTP 201): confirm this workload is meant to have node-level access; " +
		"if not, delete it and review what else this user did and can do."
	if msg != want {
		t.Errorf("message\n got %s\nwant %s", msg, want)
	}
}

// A run-as-root finding says why, per container, and does not claim node
// access when it is the only reason.
func TestRunAsRootMessage(t *testing.T) {
	d := run(ev{nm: "p", req: pod("p", `"securityContext":{"runAsNonRoot":false},"containers":[{"name":"app","securityContext":{"runAsUser":0}},{"name":"side"},{"name":"uid","securityContext":{"runAsUser":1000,"runAsNonRoot":false}}],"initContainers":[{"name":"setup","securityContext":{"runAsUser":1000}}]`)}.raw())
	equalLines(t, "rows", summaries(d.Result()), []string{
		"eve@example.com create pods default/p allowed [containers/app,containers/side] [runAsRoot] 14 1",
	})
	msg := d.Result().Rows[0][len(Columns)-1][0]
	want := "eve@example.com created pod default/p from 192.0.2.7 using kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46: " +
		"container app runs as root (runAsUser 0, runAsNonRoot false); container side may run as root (runAsNonRoot false: the image's user, often root, is not checked). " +
		"The API server accepted it (HTTP 201): confirm this workload is meant to run as root; if not, delete it and review what else this user did and can do."
	if msg != want {
		t.Errorf("message\n got %s\nwant %s", msg, want)
	}
	// Beside a node-level reason the row keeps the node-level wording.
	d = run(ev{nm: "p", req: pod("p", `"hostPID":true,"containers":[{"name":"app","securityContext":{"runAsUser":0}}]`)}.raw())
	msg = d.Result().Rows[0][len(Columns)-1][0]
	if !strings.Contains(msg, "container app runs as root (runAsUser 0)") || !strings.Contains(msg, "meant to have node-level access") {
		t.Errorf("message %s", msg)
	}
}

func TestReasons(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{`"hostPID":true,"containers":[{"name":"a"}]`, "[] [hostPID] 42"},
		{`"hostIPC":true,"containers":[{"name":"a"}]`, "[] [hostIPC] 28"},
		{`"hostNetwork":true,"containers":[{"name":"a"}]`, "[] [hostNetwork] 35"},
		{`"volumes":[{"name":"sock","hostPath":{"path":"/var/run/docker.sock"}}],"containers":[{"name":"a","volumeMounts":[{"name":"sock","mountPath":"/s"}]}]`,
			"[containers/a] [hostPath:/var/run/docker.sock] 45"},
		{`"volumes":[{"name":"data","hostPath":{"path":"/mnt/data"}}],"containers":[{"name":"a"}]`, "[] [hostPath:/mnt/data] 21"},
		{`"volumes":[{"name":"e","hostPath":{"path":"/etc/kubernetes/pki"}}],"containers":[{"name":"a","volumeMounts":[{"name":"other"}]}]`,
			"[] [hostPath:/etc/kubernetes/pki] 45"},
		{`"containers":[{"name":"a","securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}}]`, "[containers/a] [capability:SYS_ADMIN] 45"},
		{`"containers":[{"name":"a","securityContext":{"capabilities":{"add":["NET_RAW"]}}}]`, "[containers/a] [capability:NET_RAW] 14"},
		{`"containers":[{"name":"a","securityContext":{"capabilities":{"add":["CAP_CHOWN"]}}}]`, "[containers/a] [capability:CAP_CHOWN] 7"},
		{`"containers":[{"name":"a","securityContext":{"capabilities":{"add":["cap_sys_admin"]}}}]`, "[containers/a] [capability:cap_sys_admin] 45"},
		{`"containers":[{"name":"a","securityContext":{"windowsOptions":{"hostProcess":true}}}]`, "[containers/a] [hostProcess] 49"},
		{`"securityContext":{"windowsOptions":{"hostProcess":true}},"containers":[{"name":"a"}]`, "[] [hostProcess] 49"},
		// runAsRoot: the effective setting, container over pod, per container.
		{`"containers":[{"name":"a","securityContext":{"runAsUser":0}}]`, "[containers/a] [runAsRoot] 14"},
		{`"containers":[{"name":"a","securityContext":{"runAsNonRoot":false}}]`, "[containers/a] [runAsRoot] 14"},
		{`"containers":[{"name":"a","securityContext":{"runAsUser":-0,"runAsNonRoot":false}}]`, "[containers/a] [runAsRoot] 14"},
		{`"securityContext":{"runAsUser":0},"initContainers":[{"name":"i"}],"containers":[{"name":"a","securityContext":{}},{"name":"b","securityContext":{"runAsUser":1000}}],"ephemeralContainers":[{"name":"e","securityContext":null}]`,
			"[containers/a,initContainers/i,ephemeralContainers/e] [runAsRoot] 14"},
		{`"securityContext":{"runAsNonRoot":false},"containers":[{"name":"a","securityContext":{"runAsNonRoot":true}},{"name":"b","securityContext":{"runAsNonRoot":null}}]`,
			"[containers/b] [runAsRoot] 14"},
		{`"securityContext":{"runAsUser":0},"containers":[{"name":"a","securityContext":{"privileged":true}}]`, "[containers/a] [privileged,runAsRoot] 49"},
		{`"securityContext":{"runAsUser":1000},"containers":[{"name":"a","securityContext":{"runAsUser":0}}]`, "[containers/a] [runAsRoot] 14"},
		// Nothing: baseline capabilities, false values, drops.
		{`"containers":[{"name":"a","securityContext":{"capabilities":{"add":["CHOWN","NET_BIND_SERVICE"],"drop":["ALL"]}}}]`, ""},
		{`"hostPID":false,"hostIPC":false,"hostNetwork":false,"containers":[{"name":"a","securityContext":{"privileged":false}}]`, ""},
		{`"volumes":[{"name":"v","emptyDir":{}}],"containers":[{"name":"a"}]`, ""},
		// Not root: overridden, non-zero, true, or not a JSON number/boolean.
		{`"securityContext":{"runAsUser":0},"containers":[{"name":"a","securityContext":{"runAsUser":1000}}]`, ""},
		{`"securityContext":{"runAsNonRoot":false},"containers":[{"name":"a","securityContext":{"runAsNonRoot":true}}]`, ""},
		{`"securityContext":{"runAsUser":1000,"runAsNonRoot":true},"containers":[{"name":"a","securityContext":{"runAsNonRoot":true}}]`, ""},
		{`"containers":[{"name":"a","securityContext":{"runAsUser":"0","runAsNonRoot":"false"}}]`, ""},
		{`"securityContext":{"runAsUser":"0"},"containers":[{"name":"a"}]`, ""},
		{`"containers":[{"name":"a","securityContext":{"runAsUser":0.0}},{"name":"b","securityContext":{"runAsNonRoot":0}}]`, ""},
		{`"containers":[{"name":"a","runAsUser":0,"runAsNonRoot":false,"securityContext":{"seLinuxOptions":{"runAsUser":0}}}]`, ""},
		{`"runAsUser":0,"runAsNonRoot":false,"containers":[{"name":"a"}]`, ""},
		{`"containers":[{"name":"a","securityContext":{"runAsUser":0,"runAsUser":1000}}]`, ""},
		{`"securityContext":{"runAsUser":1000},"containers":[{"name":"a","securityContext":{"runAsNonRoot":false}}]`, ""},
	} {
		d := run(ev{nm: "p", req: pod("p", c.spec)}.raw())
		got := ""
		if rows := d.Result().Rows; len(rows) == 1 {
			f := strings.Fields(summary(d.Result(), rows[0]))
			got = strings.Join(f[5:8], " ")
		} else if len(rows) > 1 {
			got = "several rows"
		}
		if got != c.want {
			t.Errorf("spec %s\n got %q\nwant %q", c.spec, got, c.want)
		}
	}
}

func TestPatchForms(t *testing.T) {
	dep := func(id, body string) []byte {
		return ev{id: id, verb: "patch", resource: "deployments", group: "apps", nm: "web", level: "Request", req: obj(body)}.raw()
	}
	for _, c := range []struct {
		name string
		raw  []byte
		want string // containers reasons risk, "" for no row
	}{
		{"strategic merge", dep("1", `{"spec":{"template":{"spec":{"containers":[{"name":"web","securityContext":{"privileged":true}}]}}}}`),
			"[containers/web] [privileged] 49"},
		{"merge patch host namespace", dep("2", `{"spec":{"template":{"spec":{"hostNetwork":true}}}}`), "[] [hostNetwork] 35"},
		{"strategic merge delete directive", dep("3", `{"spec":{"template":{"spec":{"containers":[{"name":"web","$patch":"delete","securityContext":{"privileged":true}}]}}}}`), ""},
		{"JSON patch replace field", dep("4", `[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/privileged","value":true}]`),
			"[containers/#0] [privileged] 49"},
		{"JSON patch add container", dep("5", `[{"op":"add","path":"/spec/template/spec/initContainers/-","value":{"name":"init","securityContext":{"privileged":true}}}]`),
			"[initContainers/init] [privileged] 49"},
		{"JSON patch add capability", dep("6", `[{"op":"add","path":"/spec/template/spec/containers/1/securityContext/capabilities/add/-","value":"SYS_MODULE"}]`),
			"[containers/#1] [capability:SYS_MODULE] 45"},
		{"JSON patch add volume", dep("7", `[{"op":"add","path":"/spec/template/spec/volumes/-","value":{"name":"root","hostPath":{"path":"/"}}}]`),
			"[] [hostPath:/] 45"},
		{"JSON patch whole template", dep("8", `[{"op":"replace","path":"/spec/template","value":{"spec":{"hostPID":true}}}]`), "[] [hostPID] 42"},
		{"JSON patch escaped pointer", dep("9", `[{"op":"add","path":"/spec/template/spec/hostIPC","value":true},{"op":"add","path":"/metadata/annotations/a~1b","value":"x"}]`),
			"[] [hostIPC] 28"},
		{"JSON patch false, test and remove", dep("10", `[{"op":"test","path":"/spec/template/spec/hostPID","value":true},{"op":"remove","path":"/spec/template/spec/hostNetwork"},{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/privileged","value":false}]`), ""},
		{"strategic merge run as root", dep("14", `{"spec":{"template":{"spec":{"securityContext":{"runAsUser":0},"containers":[{"name":"web"},{"name":"side","securityContext":{"runAsUser":1000}}]}}}}`),
			"[containers/web] [runAsRoot] 14"},
		{"merge patch pod-level root only", dep("15", `{"spec":{"template":{"spec":{"securityContext":{"runAsNonRoot":false}}}}}`), "[] [runAsRoot] 14"},
		{"JSON patch container runAsUser", dep("16", `[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/runAsUser","value":0}]`),
			"[containers/#0] [runAsRoot] 14"},
		{"JSON patch pod runAsNonRoot", dep("17", `[{"op":"add","path":"/spec/template/spec/securityContext/runAsNonRoot","value":false}]`),
			"[] [runAsRoot] 14"},
		{"JSON patch string 0", dep("18", `[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/runAsUser","value":"0"}]`), ""},
		{"JSON patch elsewhere", dep("11", `[{"op":"add","path":"/spec/selector/hostPID","value":true}]`), ""},
		{"response object wins", ev{id: "12", verb: "patch", resource: "deployments", group: "apps", nm: "web",
			req:  obj(`{"spec":{"template":{"spec":{"containers":[{"name":"web","securityContext":{"allowPrivilegeEscalation":true}}]}}}}`),
			resp: obj(`{"kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"template":{"spec":{"containers":[{"name":"web","securityContext":{"privileged":true}}]}}}}`)}.raw(),
			"[containers/web] [privileged] 49"},
		{"error response: the patch is read", ev{id: "13", verb: "patch", resource: "deployments", group: "apps", nm: "web", code: 422,
			req:  obj(`{"spec":{"template":{"spec":{"hostPID":true}}}}`),
			resp: obj(`{"kind":"Status","apiVersion":"v1","status":"Failure","code":422}`)}.raw(),
			"[] [hostPID] 42"},
	} {
		d := run(c.raw)
		got := ""
		if rows := d.Result().Rows; len(rows) > 0 {
			f := strings.Fields(summary(d.Result(), rows[0]))
			got = strings.Join(f[5:8], " ")
		}
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestStagesCountOnce(t *testing.T) {
	body := pod("p", privSpec)
	rr := ev{stage: "RequestReceived", level: "Request", code: -1}.raw() // as logged: no body yet
	rrBody := ev{stage: "RequestReceived", code: -1, req: body, nm: "p"}.raw()
	rs := ev{stage: "ResponseStarted", req: body, nm: "p"}.raw()
	rc := ev{req: body, nm: "p"}.raw()
	want := []string{"eve@example.com create pods default/p allowed [containers/c] [privileged] 49 1"}
	for name, order := range map[string][][]byte{
		"received then complete": {rr, rc},
		"complete then received": {rc, rr},
		"all stages":             {rrBody, rs, rc},
		"reversed":               {rc, rs, rrBody},
		"complete twice":         {rc, rc},
	} {
		d := run(order...)
		equalLines(t, name, summaries(d.Result()), want)
		if m := d.Messages(); len(m) != 0 {
			t.Errorf("%s: messages %q", name, m)
		}
	}
	// Only the early stage: counted, outcome unknown.
	d := run(rrBody)
	equalLines(t, "early stage only", summaries(d.Result()),
		[]string{"eve@example.com create pods default/p unknown [containers/c] [privileged] 49 1"})
	// A Panic stage is complete enough, but ResponseComplete would win.
	d = run(ev{stage: "Panic", code: 500, req: body, nm: "p"}.raw())
	equalLines(t, "panic", summaries(d.Result()), []string{"eve@example.com create pods default/p failed [containers/c] [privileged] 49 1"})
}

func TestOutcomes(t *testing.T) {
	status := func(code int) json.RawMessage {
		return obj(`{"kind":"Status","apiVersion":"v1","status":"Failure","code":` + itoa(code) + `}`)
	}
	body := pod("p", privSpec)
	for _, c := range []struct {
		name string
		e    ev
		want string
	}{
		{"created", ev{req: body}, OutcomeAllowed},
		{"updated", ev{verb: "update", nm: "p", req: body}, OutcomeAllowed},
		{"denied", ev{code: 403, req: body, resp: status(403)}, OutcomeDenied},
		{"conflict", ev{code: 409, req: body, resp: status(409)}, OutcomeFailed},
		{"invalid", ev{code: 422, req: body, resp: status(422)}, OutcomeFailed},
		{"server error", ev{code: 500, req: body}, OutcomeFailed},
		{"dry run", ev{uri: "/api/v1/namespaces/default/pods?dryRun=All&fieldManager=kubectl-client-side-apply", req: body}, OutcomeDryRun},
		{"dry run denied", ev{uri: "/api/v1/namespaces/default/pods?dryRun=All", code: 403, req: body, resp: status(403)}, OutcomeDenied},
		{"dry run failed", ev{uri: "/api/v1/namespaces/default/pods?fieldManager=x&dryRun=All", code: 409, req: body}, OutcomeFailed},
		{"not a dry run", ev{uri: "/api/v1/namespaces/default/pods?dryRun=None&x=dryRun%3DAll", req: body}, OutcomeAllowed},
		{"no status", ev{code: -1, req: body}, OutcomeUnknown},
	} {
		d := run(c.e.raw())
		rows := d.Result().Rows
		if len(rows) != 1 {
			t.Errorf("%s: %d rows", c.name, len(rows))
			continue
		}
		if got := rows[0][slices.Index(Columns, "outcome")]; len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: outcome %q, want %q", c.name, got, c.want)
		}
	}
}

func TestTraps(t *testing.T) {
	for name, spec := range map[string]string{
		"env var text":                      `"containers":[{"name":"a","env":[{"name":"DEFAULT_SECURITY_CONTEXT","value":"{\"privileged\":true,\"runAsUser\":0}"}]}]`,
		"privileged beside securityContext": `"containers":[{"name":"a","privileged":true,"securityContext":{}}]`,
		"privileged on the pod":             `"privileged":true,"securityContext":{"privileged":true},"containers":[{"name":"a"}]`,
		"string true":                       `"hostPID":"true","containers":[{"name":"a","securityContext":{"privileged":"true"}}]`,
		"number 1":                          `"hostNetwork":1,"containers":[{"name":"a","securityContext":{"privileged":1}}]`,
		"annotation only":                   `"containers":[{"name":"a"}]`,
		"hostPath text in a label":          `"nodeSelector":{"hostPath":"/"},"containers":[{"name":"a","args":["--host-path=/","privileged: true"]}]`,
	} {
		req := obj(`{"kind":"Pod","metadata":{"name":"p","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"spec\":{\"containers\":[{\"securityContext\":{\"privileged\":true}}]}}"}},"spec":{` + spec + `}}`)
		if d := run(ev{nm: "p", req: req}.raw()); len(d.Result().Rows) != 0 {
			t.Errorf("%s: found %q", name, summaries(d.Result()))
		}
	}
	// privileged:false beside privileged:true names only the second.
	d := run(ev{nm: "p", req: pod("p", `"containers":[{"name":"a","securityContext":{"privileged":false}},{"name":"b","securityContext":{"privileged":true}}]`)}.raw())
	equalLines(t, "false beside true", summaries(d.Result()), []string{"eve@example.com create pods default/p allowed [containers/b] [privileged] 49 1"})
	// Of a key given twice the last counts, as when the API server decodes it.
	d = run(ev{nm: "p", level: "Request", verb: "patch", req: obj(`{"spec":{"containers":[{"name":"a","securityContext":{"privileged":true,"privileged":false}},{"name":"b","securityContext":{"privileged":false,"privileged":true}}]}}`)}.raw())
	equalLines(t, "duplicate keys", summaries(d.Result()), []string{"eve@example.com patch pods default/p allowed [containers/b] [privileged] 49 1"})
}

func TestAggregation(t *testing.T) {
	body := pod("p", privSpec)
	d := run(
		ev{id: "a", time: "2026-11-24T10:00:05.000000Z", ips: []string{"192.0.2.9"}, req: body}.raw(),
		ev{id: "b", time: "2026-11-24T10:00:01.000000Z", ips: []string{"192.0.2.7", "10.0.0.1"}, groups: []string{"dev", "system:authenticated"}, req: body}.raw(),
		ev{id: "c", time: "2026-11-24T10:00:03.000000Z", req: body, code: 403}.raw(),
		ev{id: "d", time: "2026-11-24T09:00:00.000000Z", req: pod("q", `"hostIPC":true,"containers":[{"name":"a"}]`)}.raw(),
		ev{id: "e", time: "2026-11-24T08:00:00.000000Z", req: pod("r", `"hostNetwork":true,"containers":[{"name":"a"}]`)}.raw(),
	)
	tb := d.Result()
	equalLines(t, "rows", summaries(tb), []string{
		// Risk first, then the earliest request; a create's objectRef has
		// no name, so it comes from the object.
		"eve@example.com create pods default/p allowed [containers/c] [privileged] 49 2",
		"eve@example.com create pods default/p denied [containers/c] [privileged] 49 1",
		"eve@example.com create pods default/r allowed [] [hostNetwork] 35 1",
		"eve@example.com create pods default/q allowed [] [hostIPC] 28 1",
	})
	r := tb.Rows[0]
	for col, want := range map[string]string{
		"firstTime":   "2026-11-24T10:00:01.000000Z",
		"lastTime":    "2026-11-24T10:00:05.000000Z",
		"src_ip":      "10.0.0.1|192.0.2.7|192.0.2.9",
		"user_groups": "dev|system:authenticated",
		"name":        "p",
	} {
		if got := strings.Join(r[tb.Index(col)], "|"); got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
	if got := r[len(Columns)-1][0]; !strings.HasPrefix(got, "eve@example.com created pod default/p in 2 requests from 10.0.0.1, 192.0.2.7, 192.0.2.9 using ") {
		t.Errorf("message %q", got)
	}
}
