package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubeprivpod/kubeprivpod/tools/internal/release"
)

var repoRoot = filepath.Join("..", "..")

func appFS() fs.FS { return os.DirFS(filepath.Join(repoRoot, "app")) }

func loadTargets(t testing.TB) *release.Targets {
	t.Helper()
	tg, err := release.LoadTargets(filepath.Join("..", "targets.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// fakeInfo is what the fake programs' build information says: each header
// from fakeExe ends in "prog=<name>", and the format names the platform.
func fakeInfo(exe []byte) (*debug.BuildInfo, error) {
	_, prog, ok := bytes.Cut(exe, []byte("prog="))
	if !ok {
		return nil, errors.New("not a fake program")
	}
	goos := map[string]string{"elf": "linux", "macho": "darwin", "pe": "windows"}[exeFormat(exe)]
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "github.com/kubeprivpod/kubeprivpod/cmd/" + string(prog),
		Deps:      []*debug.Module{{Path: "github.com/tidwall/gjson", Version: "v1.20.2"}},
		Settings:  []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "0"}, {Key: "GOARCH", Value: "amd64"}, {Key: "GOOS", Value: goos}},
	}, nil
}

func TestMain(m *testing.M) {
	readBuildInfo = fakeInfo
	os.Exit(m.Run())
}

// fakeExe returns the smallest header exeFormat accepts for format.
func fakeExe(format string) []byte {
	switch format {
	case "elf":
		b := make([]byte, 64)
		copy(b, "\x7fELF\x02\x01\x01")
		binary.LittleEndian.PutUint16(b[18:], 62)
		return b
	case "macho":
		b := make([]byte, 32)
		binary.LittleEndian.PutUint32(b, 0xfeedfacf)
		binary.LittleEndian.PutUint32(b[4:], 0x01000007)
		return b
	case "pe":
		b := make([]byte, 0x80+24)
		copy(b, "MZ")
		binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
		copy(b[0x80:], "PE\x00\x00")
		binary.LittleEndian.PutUint16(b[0x84:], 0x8664)
		return b
	}
	panic(format)
}

var epoch = time.Unix(1764000000, 0)

// synthetic builds, in memory, the package build.sh would make from this
// checkout, with header-only binaries and the README.md tools/pkgreadme
// would write for them, so that the checks can be shown to pass on it and
// to fail on each defect put into it.
func synthetic(t testing.TB) map[string]*File {
	t.Helper()
	files := map[string]*File{}
	add := func(rel string, data []byte, mode fs.FileMode) {
		files[rel] = &File{Name: "kubeprivpod/" + rel, Mode: mode, ModTime: epoch, Data: data}
	}
	for _, dir := range []string{"default", "metadata", "README", "static"} {
		root := filepath.Join(repoRoot, dir)
		if _, err := os.Stat(root); err != nil {
			continue
		}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(repoRoot, p)
			add(filepath.ToSlash(rel), b, 0o644)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{"LICENSE", "bin/README", "app.manifest"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, rel))
		if err != nil {
			t.Fatal(err)
		}
		add(rel, b, 0o644)
	}
	tg := loadTargets(t)
	infos := map[string]*debug.BuildInfo{}
	for _, pl := range tg.Platforms {
		for _, prog := range tg.Programs {
			rel := pl.Dir + "/" + prog + pl.Ext
			exe := append(fakeExe(pl.Format), "prog="+prog...)
			add(rel, exe, 0o755)
			infos[rel], _ = fakeInfo(exe)
		}
	}
	decl, err := release.Declaration(tg, infos)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(repoRoot, "tools", "pkgreadme", "package.md"))
	if err != nil {
		t.Fatal(err)
	}
	add("README.md", append(text, "\n"+decl...), 0o644)
	return files
}

// tgz writes files (and their folders) as build.sh does and reads the
// result back through Read.
func tgz(t testing.TB, files map[string]*File) *Package {
	t.Helper()
	var names []string
	dirs := map[string]bool{"kubeprivpod": true}
	for _, f := range files {
		names = append(names, f.Name)
		for d := filepath.Dir(f.Name); d != "." && d != "/"; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		names = append(names, d+"/")
	}
	slices.Sort(names)
	byName := map[string]*File{}
	for _, f := range files {
		byName[f.Name] = f
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, n := range names {
		h := &tar.Header{Name: n, ModTime: epoch, Mode: 0o755, Typeflag: tar.TypeDir}
		f := byName[n]
		if f != nil {
			h = &tar.Header{Name: n, ModTime: f.ModTime, Mode: int64(f.Mode), Size: int64(len(f.Data)), Typeflag: tar.TypeReg, Uid: f.UID}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if f != nil {
			tw.Write(f.Data)
		}
	}
	tw.Close()
	zw.Close()
	p, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	p.Path = "synthetic.tgz"
	return p
}

func TestSyntheticPackagePasses(t *testing.T) {
	p := tgz(t, synthetic(t))
	for _, err := range All(p, loadTargets(t), appFS()) {
		t.Error(err)
	}
}

// TestChecksCatch puts one defect at a time into a good package and
// expects the checks to name it.
func TestChecksCatch(t *testing.T) {
	replace := func(rel, old, new string) func(*testing.T, map[string]*File) {
		return func(t *testing.T, m map[string]*File) {
			f := m[rel]
			if f == nil || !bytes.Contains(f.Data, []byte(old)) {
				t.Fatalf("%s does not contain %q", rel, old)
			}
			f.Data = bytes.Replace(f.Data, []byte(old), []byte(new), 1)
		}
	}
	const ss = "default/savedsearches.conf"
	const dash = "default/data/ui/views/kubeprivpod_overview.xml"
	for _, tc := range []struct {
		name   string
		break_ func(*testing.T, map[string]*File)
		want   []string
	}{
		{"missing earliest time", replace(ss, "dispatch.earliest_time = -70m@m\n", ""),
			[]string{"dispatch.earliest_time missing", "stale"}},
		{"missing risk action", replace(ss, "action.risk = 1\n", ""),
			[]string{"action.risk missing"}},
		{"wrong risk score", replace(ss, `"risk_score": 49`, `"risk_score": 50`),
			[]string{`_risk = [{"risk_object_field": "user", "risk_object_type": "user", "risk_score": 50}`}},
		{"risk JSON broken", replace(ss, `"risk_score": 49}, {"threat`, `"risk_score": 49, {"threat`),
			[]string{"_risk is not JSON"}},
		{"wrong technique", replace(ss, `"mitre_attack": ["T1204"], "nist": ["DE.AE"], "type"`, `"mitre_attack": ["T1059"], "nist": ["DE.AE"], "type"`),
			[]string{`annotations mitre_attack = ["T1059"], want ["T1204"]`}},
		{"wrong risk message", replace(ss, "by user $user$.", "by $user$"),
			[]string{"_risk_message"}},
		{"stale conf", replace(ss, "description = Finds Kubernetes", "description = Detects Kubernetes"),
			[]string{"savedsearches.conf: stale"}},
		{"undefined macro", replace(ss, "search = `kube_audit` privileged", "search = `kube_audit_typo` privileged"),
			[]string{"macro `kube_audit_typo` is not defined"}},
		{"missing binary", func(t *testing.T, m map[string]*File) { delete(m, "windows_x86_64/bin/kubeprivpod.exe") },
			[]string{"windows_x86_64/bin/kubeprivpod.exe: missing", "windows_x86_64/bin/kubeprivpod.exe: missing"}},
		{"binary not executable", func(t *testing.T, m map[string]*File) { m["linux_x86_64/bin/kubeprivpod"].Mode = 0o644 },
			[]string{"linux_x86_64/bin/kubeprivpod: mode 0644; a program needs 0755"}},
		{"binary for the wrong platform", func(t *testing.T, m map[string]*File) {
			m["darwin_x86_64/bin/kube_audit_webhook"].Data = fakeExe("elf")
		},
			[]string{"darwin_x86_64/bin/kube_audit_webhook: is an x86-64 elf executable, want an x86-64 macho executable"}},
		{"local folder", func(t *testing.T, m map[string]*File) {
			m["local/macros.conf"] = &File{Name: "kubeprivpod/local/macros.conf", Mode: 0o644, ModTime: epoch, Data: []byte("[a]\ndefinition = b\n")}
		}, []string{"local/ must not ship"}},
		{"development file", func(t *testing.T, m map[string]*File) {
			m["go.mod"] = &File{Name: "kubeprivpod/go.mod", Mode: 0o644, ModTime: epoch, Data: []byte("module x\n")}
		}, []string{"kubeprivpod/go.mod: development file"}},
		{"executable outside bin", func(t *testing.T, m map[string]*File) { m["LICENSE"].Mode = 0o755 },
			[]string{"LICENSE: mode 0755, want 0644 outside bin folders"}},
		{"other mtime", func(t *testing.T, m map[string]*File) { m["LICENSE"].ModTime = epoch.Add(time.Hour) },
			[]string{"LICENSE: mtime"}},
		{"owner", func(t *testing.T, m map[string]*File) { m["LICENSE"].UID = 1000 },
			[]string{"LICENSE: owner 1000:0"}},
		{"ignored chunked setting", replace("default/commands.conf", "chunked = true\n", "chunked = true\nstreaming = true\n"),
			[]string{"[kubeprivpod] streaming is not a setting commands.conf.spec allows"}},
		{"is_configured", replace("default/app.conf", "is_configured = false", "is_configured = true"),
			[]string{"is_configured = true; it must be false"}},
		{"id differs", replace("default/app.conf", "id = kubeprivpod", "id = kubepriv"),
			[]string{`[package] id "kubepriv" differs from the package folder "kubeprivpod"`}},
		{"versions differ", replace("default/app.conf", "[id]\nname = kubeprivpod\nversion = 0.1.0", "[id]\nname = kubeprivpod\nversion = 0.1.1"),
			[]string{`[id] version "0.1.1" differs`}},
		{"unknown command in dashboard", replace("default/data/ui/views/kubeprivpod_overview.xml", "| stats sum(count) as writes by user", "| kubestats sum(count) as writes by user"),
			[]string{`command "kubestats" is neither`}},
		{"broken dashboard", replace("default/data/ui/views/kubeprivpod_overview.xml", "</form>", ""),
			[]string{"not well-formed XML"}},
		{"no declaration", replace("README.md", "# Binary File Declaration", "# Binaries"),
			[]string{`no "# Binary File Declaration" section`}},
		{"truncating sourcetype", replace("default/props.conf", "TRUNCATE = 0", "TRUNCATE = 10000"),
			[]string{`TRUNCATE = "10000", want "0"`}},
		{"icon size", func(t *testing.T, m map[string]*File) { m["static/appIcon.png"].Data = m["static/appIcon_2x.png"].Data },
			[]string{"static/appIcon.png: 72x72 pixels, want 36x36"}},
		{"conf syntax", replace("default/macros.conf", "[kube_audit]\n", "[kube_audit\n"),
			[]string{"stanza header has no closing ]"}},
		{"no index", func(t *testing.T, m map[string]*File) { delete(m, "default/indexes.conf") },
			[]string{"default/indexes.conf: missing"}},
		{"input writes elsewhere", replace("default/inputs.conf", "cluster = prod-eu-1\nindex = kube_audit", "cluster = prod-eu-1\nindex = main"),
			[]string{"[kube_audit_webhook://example] index = main, but the kube_audit macro searches kube_audit"}},
		{"input without default index", replace("default/inputs.conf", "\nindex = kube_audit\n\n", "\n\n"),
			[]string{"[kube_audit_webhook] sets no default index"}},
		{"macro names no index", replace("default/macros.conf", "definition = index=kube_audit ", "definition = "),
			[]string{"[kube_audit] must name exactly one index"}},
		{"index outside SPLUNK_DB", replace("default/indexes.conf", "homePath = $SPLUNK_DB/", "homePath = /data/"),
			[]string{`homePath = "/data/kube_audit/db"; it must start with $SPLUNK_DB/`}},
		{"panel ignores the outcome filter", replace(dash, `search outcome="$outcome$" | stats sum(count) as writes by user`, `stats sum(count) as writes by user`),
			[]string{`panel "By user" does not filter on $outcome$`}},
		{"ESCU panel ignores the outcome filter", replace(dash, `search outcome="$outcome$" | sort - count`, `sort - count`),
			[]string{`panel "ESCU detection table`}},
		{"outcome unknown not offered", replace(dash, `<choice value="unknown">unknown</choice>`, ``),
			[]string{`the outcome filter offers no "unknown"`}},
		{"no notice without events", replace(dash, `<row depends="$no_audit_events$">`, `<row>`),
			[]string{"nothing tells the user when the kube_audit macro finds no audit events"}},
		{"README links to docs", replace("README.md", "## License", "See [the admin guide](../docs/admin.md) and docs/webhook.md.\n\n## License"),
			[]string{"links to ../docs/admin.md, which is not in the package", "refers to docs/webhook.md"}},
		{"spec names a missing section", replace("README/inputs.conf.spec", `section
# "Install"`, `section
# "Audit webhook input"`), []string{`refers to section "Audit webhook input"`}},
		{"manifest version", replace("app.manifest", `"version": "0.1.0"`, `"version": "0.2.0"`),
			[]string{`info.id.version "0.2.0" differs from app.conf's [launcher] version "0.1.0"`}},
		{"second app name", replace("default/app.conf", "label = kubeprivpod", "label = Kubernetes Privileged Pods"),
			[]string{`info.title "kubeprivpod" differs from app.conf's [ui] label "Kubernetes Privileged Pods"`}},
		{"declaration by hand", replace("README.md", "`github.com/tidwall/gjson` v1.20.2", "`github.com/tidwall/gjson` v1.20.2, `gopkg.in/yaml.v3` v3.0.1"),
			[]string{"Binary File Declaration differs from the packaged programs' build information"}},
		{"program built with cgo", func(t *testing.T, m map[string]*File) {
			readBuildInfo = func(b []byte) (*debug.BuildInfo, error) {
				bi, err := fakeInfo(b)
				if err == nil {
					bi.Settings[0].Value = "1"
				}
				return bi, err
			}
			t.Cleanup(func() { readBuildInfo = fakeInfo })
		}, []string{`built with CGO_ENABLED="1"`}},
		{"no drilldowns", replace(ss, "action.notable.param.drilldown_searches = [{", "action.notable.param.drilldown_searches = [] #"),
			[]string{"drilldown_searches is not a JSON list", "stale"}},
		{"extended not throttled", replace(ss, "alert.suppress = true\n", ""),
			[]string{`throttling alert.suppress = "", fields "user,namespace,name,reasons"; want true`}},
		{"drilldown with an undefined macro", replace(ss, "\"`kube_audit` user.username=", "\"`kube_audt` user.username="),
			[]string{"drilldown \"View the Kubernetes API activity of - \\\"$user$\\\"\": macro `kube_audt` is not defined"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := synthetic(t)
			tc.break_(t, m)
			var msgs []string
			for _, err := range All(tgz(t, m), loadTargets(t), appFS()) {
				msgs = append(msgs, err.Error())
			}
			all := strings.Join(msgs, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("no problem mentions %q; got:\n%s", w, all)
				}
			}
		})
	}
}

// TestInputsSpec checks inputs.conf against the parameters the app's own
// README/inputs.conf.spec declares, as splunkd does for a modular input.
func TestInputsSpec(t *testing.T) {
	m := synthetic(t)
	add := func(rel, data string) {
		m[rel] = &File{Name: "kubeprivpod/" + rel, Mode: 0o644, ModTime: epoch, Data: []byte(data)}
	}
	add("README/inputs.conf.spec", "[kube_audit_webhook://<name>]\n* One listener.\nport = <integer>\n* The TCP port: a number\n  such as 8443.\n")
	add("default/inputs.conf", "[kube_audit_webhook]\nsourcetype = kube:apiserver:auditlog\ninterval = 60\nport = 8443\n")
	if errs := ConfFiles(tgz(t, m)); len(errs) != 0 {
		t.Fatalf("good inputs.conf: %v", errs)
	}
	add("default/inputs.conf", "[kube_audit_webhook]\nprot = 8443\n")
	errs := ConfFiles(tgz(t, m))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "inputs.conf:2: [kube_audit_webhook] prot is not a setting inputs.conf.spec allows") {
		t.Fatalf("misspelt parameter: %v", errs)
	}
	add("README/inputs.conf.spec", "[kube_audit_hook://<name>]\nport = <integer>\n")
	if errs := Binaries(tgz(t, m), loadTargets(t)); len(errs) != 1 || !strings.Contains(errs[0].Error(), `inputs.conf.spec:1: scheme "kube_audit_hook" has no program of that name`) {
		t.Fatalf("scheme without a program: %v", errs)
	}
	add("README/inputs.conf.spec", "[kube_audit_webhook://<name>]\n* nothing declared\n")
	errs = ConfFiles(tgz(t, m))
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "declares no parameters") {
		t.Fatalf("empty spec stanza: %v", errs)
	}
}

func TestCheckSPL(t *testing.T) {
	macros := map[string]string{"a": "x=1 | `b(p, q)`", "b(2)": "search $x$ $y$", "loop": "`loop`"}
	cmds := []string{"kubeprivpod", "search", "stats"}
	for _, tc := range []struct {
		spl  string
		post bool
		want []string
	}{
		{"`a` | kubeprivpod | stats count", false, nil},
		{`x="| nope" | stats count`, false, nil},
		{`x="\"| nope" | stats count`, false, nil},
		{"stats count | nope", true, []string{`command "nope"`}},
		{"nope", true, []string{`command "nope"`}},
		{"`b(1)` | search [| nope ]", false, []string{"macro `b(1)` is not defined in macros.conf (as [b(1)])", `command "nope"`}},
		{"`loop`", false, []string{"more than 10 deep"}},
		{"`open", false, []string{"unclosed macro quote at byte 0"}},
	} {
		errs := CheckSPL(tc.spl, tc.post, macros, cmds)
		var got []string
		for _, e := range errs {
			got = append(got, e.Error())
		}
		if len(got) != len(tc.want) {
			t.Errorf("CheckSPL(%q) = %q, want %d problems %q", tc.spl, got, len(tc.want), tc.want)
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("CheckSPL(%q)[%d] = %q, want it to mention %q", tc.spl, i, got[i], w)
			}
		}
	}
}

func TestRunsPerHour(t *testing.T) {
	for cron, want := range map[string]int{"0 * * * *": 1, "*/5 * * * *": 12, "*/4 * * * *": 15, "0,30 * * * *": 2, "* * * * *": 60, "bad": 61} {
		if got := runsPerHour(cron); got != want {
			t.Errorf("runsPerHour(%q) = %d, want %d", cron, got, want)
		}
	}
}

func FuzzCheckSPL(f *testing.F) {
	for _, s := range []string{"`a` | b", `x="|" | c`, "`b(1,2)`", "[| a ]", "`", `"\`, "| |"} {
		f.Add(s)
	}
	macros := map[string]string{"a": "`b(2)` | c", "b(2)": "$x$ `a`"}
	f.Fuzz(func(t *testing.T, spl string) {
		CheckSPL(spl, false, macros, []string{"c"})
		CheckSPL(spl, true, macros, []string{"c"})
	})
}

// FuzzRead feeds arbitrary bytes to the package reader and, when they
// read as a package, to every check: none may panic.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range []struct{ name, data string }{
		{"app/default/app.conf", "[package]\nid = app\n"},
		{"app/default/savedsearches.conf", "[s]\nsearch = `m` | x\naction.correlationsearch.metadata = {\"detection_id\": 1}\n"},
		{"app/default/data/ui/views/v.xml", "<form><search base=\"b\"><query>| y</query></search></form>"},
		{"app/README.md", "# Binary File Declaration\n"},
	} {
		tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(e.data))
	}
	tw.Close()
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	tg := loadTargets(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		All(p, tg, nil)
	})
}

// BenchmarkAll runs every check on the synthetic package.
func BenchmarkAll(b *testing.B) {
	p := tgz(b, synthetic(b))
	tg := loadTargets(b)
	b.ReportAllocs()
	for b.Loop() {
		All(p, tg, nil)
	}
}

// TestRun runs the program as build.sh does: 0 and one "ok" line per check
// on a good package, 1 and the problem on a bad one, 2 when it cannot read.
func TestRun(t *testing.T) {
	write := func(m map[string]*File) string {
		p := tgz(t, m)
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for _, f := range p.Files {
			h := &tar.Header{Name: f.Name, Mode: int64(f.Mode), ModTime: f.ModTime, Typeflag: tar.TypeReg, Size: int64(len(f.Data))}
			if f.Dir {
				h = &tar.Header{Name: f.Name + "/", Mode: int64(f.Mode), ModTime: f.ModTime, Typeflag: tar.TypeDir}
			}
			tw.WriteHeader(h)
			tw.Write(f.Data)
		}
		tw.Close()
		zw.Close()
		name := filepath.Join(t.TempDir(), "kubeprivpod-0.1.0.tgz")
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return name
	}
	args := func(pkg string) []string {
		return []string{"-targets", filepath.Join("..", "targets.txt"), "-app", filepath.Join(repoRoot, "app"), pkg}
	}
	var out, errb bytes.Buffer
	if code := run(args(write(synthetic(t))), &out, &errb); code != 0 || !strings.Contains(out.String(), "ok   Dashboard\n") {
		t.Fatalf("good package: exit %d\n%s%s", code, out.String(), errb.String())
	}
	m := synthetic(t)
	delete(m, "default/indexes.conf")
	out.Reset()
	errb.Reset()
	if code := run(args(write(m)), &out, &errb); code != 1 || !strings.Contains(out.String(), "FAIL Indexes: kubeprivpod/default/indexes.conf: missing") {
		t.Fatalf("package without indexes.conf: exit %d\n%s%s", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := run(args(filepath.Join(t.TempDir(), "none.tgz")), &out, &errb); code != 2 || !strings.Contains(errb.String(), "none.tgz") {
		t.Fatalf("missing package: exit %d, %s", code, errb.String())
	}
	errb.Reset()
	if code := run(nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: pkgcheck") {
		t.Fatalf("no argument: exit %d, %s", code, errb.String())
	}
}
