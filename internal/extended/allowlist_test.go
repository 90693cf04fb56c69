package extended

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/tools/conf"
)

var allowNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const calicoEntry = `kube-system,DaemonSet/calico-node,*,docker.io/calico/node:v3.* quay.io/calico/node:v3.*,privileged hostNetwork hostPath:/lib/modules,,calico CNI` + "\n"

func mustAllowlist(t *testing.T, rows string) *Allowlist {
	t.Helper()
	al, err := ParseAllowlist(strings.NewReader(strings.Join(AllowlistHeader, ",")+"\n"+rows), "allow.csv")
	if err != nil {
		t.Fatal(err)
	}
	return al
}

// allowOf returns, per row, "<user> <workload> <images>: <allowlisted> | <note>".
func allowOf(tb detect.Table) []string {
	var out []string
	for _, r := range tb.Rows {
		g := func(c string) string { return strings.Join(r[tb.Index(c)], ",") }
		out = append(out, g("user")+" "+g("workload")+" "+g("images")+": "+g(ColAllowlisted)+" | "+g(ColAllowlistNote))
	}
	return out
}

// calicoDay is a routine day of calico-node (template write, 25 pods, a
// rollout to a newer version) and the attacks that use its name.
func calicoDay() [][]byte {
	ds := func(id, user, img string) []byte {
		return ev{id: id, user: user, resource: "daemonsets", group: "apps", ns: "kube-system",
			req: obj(`{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"calico-node","namespace":"kube-system"},` +
				`"spec":{"template":{"spec":{` + calicoSpec(img) + `}}}}`)}.raw()
	}
	dsPatch := func(id, user, patch, img string) []byte {
		return ev{id: id, verb: "patch", user: user, resource: "daemonsets", group: "apps", ns: "kube-system", nm: "calico-node",
			req: obj(patch), resp: obj(`{"kind":"DaemonSet","apiVersion":"apps/v1","metadata":{"name":"calico-node","namespace":"kube-system"},` +
				`"spec":{"template":{"spec":{` + calicoSpec(img) + `}}}}`)}.raw()
	}
	setImage := func(img string) string {
		return `{"spec":{"template":{"spec":{"containers":[{"name":"calico-node","image":"` + img + `"}]}}}}`
	}
	evs := [][]byte{ds("t", "admin@example.com", calicoImage)}
	evs = append(evs, daemonSetPods("a", 25, calicoImage)...)
	evs = append(evs, dsPatch("roll", "admin@example.com", setImage("docker.io/calico/node:v3.29.0"), "docker.io/calico/node:v3.29.0"))
	evs = append(evs, daemonSetPods("b", 25, "docker.io/calico/node:v3.29.0")...)
	// Attacks: an image swap and the pods made from it; a changed command
	// under the allowed image; a pod that claims calico-node as owner; a
	// calico-node pod asking for more than the entry allows.
	evs = append(evs, dsPatch("swap", "mallory@example.com", setImage("evil.example/node:v3.29.0"), "evil.example/node:v3.29.0"))
	evs = append(evs, daemonSetPods("c", 3, "evil.example/node:v3.29.0")...)
	evs = append(evs, dsPatch("cmd", "mallory@example.com", `{"spec":{"template":{"spec":{"containers":[{"name":"calico-node","command":["sh"]}]}}}}`, calicoImage))
	evs = append(evs, ev{id: "forged", user: "mallory@example.com", ns: "kube-system",
		req: ownedPod("calico-node-x", "kube-system", "DaemonSet", "calico-node", calicoSpec(calicoImage))}.raw())
	evs = append(evs, ev{id: "more", user: dsController, ns: "kube-system",
		req: ownedPod("calico-node-more", "kube-system", "DaemonSet", "calico-node", `"hostPID":true,`+calicoSpec(calicoImage))}.raw())
	return evs
}

func TestAllowlistDoesNotBlind(t *testing.T) {
	tb := mustAllowlist(t, calicoEntry).Apply(run(calicoDay()...).Result(), allowNow)
	got := allowOf(tb)
	slices.Sort(got)
	const imgNote = " not all within entry 'calico CNI' (docker.io/calico/node:v3.* quay.io/calico/node:v3.*)"
	want := []string{
		"admin@example.com DaemonSet/calico-node docker.io/calico/node:v3.28.2: calico CNI | ",
		"admin@example.com DaemonSet/calico-node docker.io/calico/node:v3.29.0: calico CNI | ",
		"mallory@example.com DaemonSet/calico-node docker.io/calico/node:v3.28.2:  | the write changes the command, args or lifecycle of a container: entry 'calico CNI' does not cover new code under an allowed image",
		"mallory@example.com DaemonSet/calico-node evil.example/node:v3.29.0:  | images evil.example/node:v3.29.0" + imgNote,
		"mallory@example.com Pod/calico-node-x docker.io/calico/node:v3.28.2:  | ",
		dsController + " DaemonSet/calico-node docker.io/calico/node:v3.28.2:  | reasons privileged, hostPath:/lib/modules, hostPID, hostNetwork not all within entry 'calico CNI' (privileged hostNetwork hostPath:/lib/modules)",
		dsController + " DaemonSet/calico-node docker.io/calico/node:v3.28.2: calico CNI | ",
		dsController + " DaemonSet/calico-node docker.io/calico/node:v3.29.0: calico CNI | ",
		dsController + " DaemonSet/calico-node evil.example/node:v3.29.0:  | images evil.example/node:v3.29.0" + imgNote,
	}
	equalLines(t, "allowlist", got, want)
	if len(tb.Rows) != len(want) {
		t.Errorf("rows removed or added: %d", len(tb.Rows))
	}
}

func TestAllowlistExpiry(t *testing.T) {
	day := run(daemonSetPods("a", 3, calicoImage)...).Result()
	for _, c := range []struct{ expires, want string }{
		{"2026-11-25", "calico CNI | "},
		{"2026-11-24", " | entry 'calico CNI' expired on 2026-11-24"}, // stops at 00:00 UTC of that day
		{"2026-01-01", " | entry 'calico CNI' expired on 2026-01-01"},
	} {
		entry := strings.Replace(calicoEntry, ",,calico CNI", ","+c.expires+",calico CNI", 1)
		got := allowOf(mustAllowlist(t, entry).Apply(day, allowNow))
		if len(got) != 1 || !strings.HasSuffix(got[0], ": "+c.want) {
			t.Errorf("expires %s: %q, want suffix %q", c.expires, got, c.want)
		}
	}
}

// Entries match namespace, workload and user as Splunk WILDCARD lookups
// do (case-sensitive, * any run); every image and reason must be covered.
func TestAllowlistMatching(t *testing.T) {
	al := mustAllowlist(t, strings.Join([]string{
		`kube-*,DaemonSet/cilium*,*,quay.io/cilium/cilium:v1.* quay.io/cilium/cilium@sha256:*,privileged hostNetwork capability:*,,cilium`,
		`ci,*,system:serviceaccount:ci:deployer,registry.example/agent:*,hostPath:/var/log,2027-01-01,ci agents`,
	}, "\n")+"\n")
	row := func(ns, wl, user string, images, reasons []string) detect.Row {
		r := make(detect.Row, len(Columns))
		set := func(c string, v []string) { r[slices.Index(Columns, c)] = v }
		set("namespace", []string{ns})
		set("workload", []string{wl})
		set("user", []string{user})
		set("images", images)
		set("reasons", reasons)
		return r
	}
	tb := detect.Table{Columns: Columns, Rows: []detect.Row{
		row("kube-system", "DaemonSet/cilium", dsController, []string{"quay.io/cilium/cilium:v1.16.1"}, []string{"privileged", "capability:NET_ADMIN"}),
		row("kube-system", "DaemonSet/cilium", dsController, []string{"quay.io/cilium/cilium@sha256:abc"}, []string{"hostNetwork"}),
		row("kube-system", "DaemonSet/Cilium", dsController, []string{"quay.io/cilium/cilium:v1.16.1"}, []string{"privileged"}),            // case
		row("kube-system", "DaemonSet/cilium", dsController, []string{"quay.io/ciliumX/cilium:v1.16.1"}, []string{"privileged"}),           // path
		row("kube-system", "DaemonSet/cilium", dsController, []string{"quay.io/cilium/cilium:v1.16.1 x"}, []string{"privileged"}),          // a space
		row("kube-system", "DaemonSet/cilium", dsController, []string{"quay.io/cilium/cilium:v1.16.1", "busybox"}, []string{"privileged"}), // one of two
		row("kube-system", "DaemonSet/cilium", dsController, []string{"quay.io/cilium/cilium:v1.16.1"}, []string{"privileged", "hostPath:/"}),
		row("kube-system", "DaemonSet/cilium", dsController, nil, []string{"privileged"}),
		row("default", "DaemonSet/cilium", dsController, []string{"quay.io/cilium/cilium:v1.16.1"}, []string{"privileged"}),
		row("ci", "Deployment/agent", "system:serviceaccount:ci:deployer", []string{"registry.example/agent:7"}, []string{"hostPath:/var/log"}),
		row("ci", "Deployment/agent", "system:serviceaccount:ci:other", []string{"registry.example/agent:7"}, []string{"hostPath:/var/log"}),
		row("ci", "Deployment/agent", "system:serviceaccount:ci:deployer", []string{"registry.exampleX/agent:7"}, []string{"hostPath:/var/log"}), // "." is literal
	}}
	got := allowOf(al.Apply(tb, allowNow))
	want := []string{"cilium", "cilium", "", "", "", "", "", "", "", "ci agents", "", ""}
	for i, g := range got {
		allowed := strings.TrimSpace(strings.SplitN(strings.SplitN(g, ": ", 2)[1], " | ", 2)[0])
		if allowed != want[i] {
			t.Errorf("row %d: %s, want allowlisted %q", i, g, want[i])
		}
	}
}

func TestParseAllowlistErrors(t *testing.T) {
	head := strings.Join(AllowlistHeader, ",") + "\n"
	for _, c := range []struct{ text, want string }{
		{"", "allow.csv: empty file: want the header namespace,owner,user,images,reasons,expires,comment"},
		{"namespace,owner,user,image,reasons,expires,comment\n", `allow.csv:1: header is "namespace,owner,user,image,reasons,expires,comment"`},
		{head + "a,b\n", "allow.csv: record on line 2: wrong number of fields"},
		{head + calicoEntry + ",DaemonSet/x,*,a:1,privileged,,x\n", `allow.csv:3: field "namespace" is empty`},
		{head + "ns,DaemonSet/x,*,,privileged,,x\n", `allow.csv:2: field "images" is empty`},
		{head + "ns,DaemonSet/x,*,a:1,,,x\n", `allow.csv:2: field "reasons" is empty`},
		{head + "ns,DaemonSet/x,*,a:1,privileged,,\n", `allow.csv:2: field "comment" is empty`},
		{head + "ns,*,*,a:1,privileged,,x\n", `allow.csv:2: fields "owner" and "user" are both *`},
		{head + "ns,DaemonSet/x,*,a:1 *,privileged,,x\n", `allow.csv:2: field "images" has the pattern "*", which allows anything`},
		{head + "ns,DaemonSet/x,*,a:1,**,,x\n", `allow.csv:2: field "reasons" has the pattern "**"`},
		{head + "ns,DaemonSet/x,*,a(b|c),privileged,,x\n", `allow.csv:2: field "images" is "a(b|c)": patterns hold only`},
		{head + "ns,DaemonSet/x,*,a:1,privileged,31/12/2026,x\n", `allow.csv:2: field "expires" is "31/12/2026", want a date YYYY-MM-DD`},
		{head + calicoEntry + strings.Replace(calicoEntry, "DaemonSet/calico-node", "DaemonSet/other", 1), `allow.csv:3: field "comment" "calico CNI" is also on line 2`},
	} {
		_, err := ParseAllowlist(strings.NewReader(c.text), "allow.csv")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseAllowlist(%q) = %v, want %q", c.text, err, c.want)
		}
	}
	if al, err := ParseAllowlist(strings.NewReader(head), "allow.csv"); err != nil || len(al.Entries) != 0 {
		t.Errorf("header only: %v, %v", al, err)
	}
}

// The shipped pieces: the lookup file is the header only, transforms.conf
// reads it with WILDCARD on the fields the macro matches, and the macro's
// rewrite of an entry's patterns is the one the Go side uses.
func TestAllowlistSPLPieces(t *testing.T) {
	csvText, err := os.ReadFile("../../lookups/kubeprivpod_allowlist.csv")
	if err != nil {
		t.Fatal(err)
	}
	if string(csvText) != strings.Join(AllowlistHeader, ",")+"\n" {
		t.Errorf("shipped lookup is %q, want the header only", csvText)
	}
	tf, err := os.ReadFile("../../default/transforms.conf")
	if err != nil {
		t.Fatal(err)
	}
	f, err := conf.Parse("transforms.conf", tf)
	if err != nil {
		t.Fatal(err)
	}
	for stanza, want := range map[string]map[string]string{
		"kubeprivpod_allowlist": {"filename": "kubeprivpod_allowlist.csv", "case_sensitive_match": "true",
			"match_type": "WILDCARD(namespace), WILDCARD(owner), WILDCARD(user)"},
		"kubeprivpod_allowlist_by_comment": {"filename": "kubeprivpod_allowlist.csv", "case_sensitive_match": "true", "max_matches": "1"},
	} {
		s := f.Stanza(stanza)
		if s == nil {
			t.Fatalf("transforms.conf has no [%s]", stanza)
		}
		for k, v := range want {
			if got, _ := s.Get(k); got != v {
				t.Errorf("[%s] %s = %q, want %q", stanza, k, got, v)
			}
		}
	}
	y, err := os.ReadFile("../../app/macros/kubeprivpod_allowlist.yml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Definition string }
	if err := yaml.Unmarshal(y, &m); err != nil {
		t.Fatal(err)
	}
	spl := m.Definition
	for _, want := range []string{
		"lookup kubeprivpod_allowlist namespace AS namespace owner AS workload user AS user OUTPUT comment AS kpp_al",
		"lookup kubeprivpod_allowlist_by_comment comment AS kpp_al OUTPUT owner AS kpp_al_owner user AS kpp_al_user images AS kpp_al_images reasons AS kpp_al_reasons expires AS kpp_al_expires",
		`match(kpp_al_images, "` + patternChars.String() + `")`,
		`match(kpp_al_reasons, "` + patternChars.String() + `")`,
		`mvfind(changed, "` + codeChange.String() + `")`,
		`strptime(kpp_al_expires."T00:00:00+0000", "%Y-%m-%dT%H:%M:%S%z")`,
		"kpp_exp<=now()",
		"eventstats values(kpp_ok) AS " + ColAllowlisted + " values(kpp_why) AS " + ColAllowlistNote + " BY kpp_row",
		`like(mvjoin(images, ""), "% %") OR NOT match(mvjoin(images, " ")." ", kpp_img_re)`,
		`like(mvjoin(reasons, ""), "% %") OR NOT match(mvjoin(reasons, " ")." ", kpp_rsn_re)`,
	} {
		if !strings.Contains(spl, want) {
			t.Errorf("the macro lacks %s", want)
		}
	}
	if strings.Contains(spl, `\`) || strings.Contains(spl, "search ") || strings.Contains(spl, "where ") {
		t.Errorf("the macro escapes or filters: it must only mark rows")
	}
	// Emulate the macro's rewrite of an entry's patterns (Splunk's trim
	// and replace, whose regular expressions RE2 reads alike) and compare
	// with the Go side's, on the examples of the docs and edge cases.
	rw := regexp.MustCompile(`eval kpp_img_re="([^"]*)"\.replace\(replace\(replace\(trim\(kpp_al_images\), "([^"]*)", "([^"]*)"\), "([^"]*)", "([^"]*)"\), "([^"]*)", "([^"]*)"\)\."([^"]*)"`)
	p := rw.FindStringSubmatch(spl)
	if p == nil {
		t.Fatal("kpp_img_re's rewrite not found in the macro")
	}
	if !strings.Contains(spl, strings.Replace(p[0], "kpp_img_re", "kpp_rsn_re", 1)[:0]+`eval kpp_rsn_re="`+p[1]+`".replace(replace(replace(trim(kpp_al_reasons), "`+p[2]+`", "`+p[3]+`"), "`+p[4]+`", "`+p[5]+`"), "`+p[6]+`", "`+p[7]+`")."`+p[8]+`"`) {
		t.Error("kpp_rsn_re is not rewritten as kpp_img_re")
	}
	splRewrite := func(pat string) string {
		s := strings.TrimSpace(pat)
		for i := 2; i <= 6; i += 2 {
			s = regexp.MustCompile(p[i]).ReplaceAllLiteralString(s, p[i+1])
		}
		return p[1] + s + p[8]
	}
	for _, pat := range []string{"docker.io/calico/node:v3.*", "quay.io/cilium/cilium:v1.* quay.io/cilium/cilium@sha256:*",
		"  a.b   c*d ", "privileged hostNetwork hostPath:/var/lib/calico capability:NET_ADMIN", "602401143452.dkr.ecr.*.amazonaws.com/amazon-k8s-cni:v1.*"} {
		if got, want := splRewrite(pat), listRegex(pat); got != want {
			t.Errorf("pattern %q: SPL gives %q, Go %q", pat, got, want)
		}
	}
}

// The examples of docs/precision.md parse, allow their workload at a
// version their patterns cover, and do not allow an image swap under the
// same name.
func TestAllowlistDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/precision.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "<!-- allowlist-examples -->\n```csv\n")
	block, _, ok2 := strings.Cut(rest, "```\n<!-- /allowlist-examples -->")
	if !ok || !ok2 {
		t.Fatal("docs/precision.md has no allowlist-examples block")
	}
	al, err := ParseAllowlist(strings.NewReader(block), "docs/precision.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(al.Entries) < 6 {
		t.Fatalf("%d examples", len(al.Entries))
	}
	before := time.Date(2027, 6, 29, 0, 0, 0, 0, time.UTC)
	for _, e := range al.Entries {
		img := strings.ReplaceAll(strings.Fields(e.Images)[0], "*", "1")
		mk := func(images ...string) detect.Row {
			r := make(detect.Row, len(Columns))
			set := func(c string, v ...string) { r[slices.Index(Columns, c)] = v }
			set("namespace", e.Namespace)
			set("workload", e.Owner)
			set("user", dsController)
			set("images", images...)
			set("reasons", "privileged")
			return r
		}
		tb := al.Apply(detect.Table{Columns: Columns, Rows: []detect.Row{mk(img), mk("evil.example/x:1"), mk(img, "evil.example/x:1")}}, before)
		got := allowOf(tb)
		if !strings.HasSuffix(got[0], ": "+e.Comment+" | ") {
			t.Errorf("%s: its own image %s: %s", e.Comment, img, got[0])
		}
		for _, g := range got[1:] {
			if !strings.Contains(g, ":  | images ") {
				t.Errorf("%s: an image swap: %s", e.Comment, g)
			}
		}
		if g := allowOf(al.Apply(detect.Table{Columns: Columns, Rows: []detect.Row{mk(img)}}, before.AddDate(0, 0, 2))); !strings.Contains(g[0], "expired on") {
			t.Errorf("%s: after its expiry: %s", e.Comment, g[0])
		}
	}
}
