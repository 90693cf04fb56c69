package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var repoRoot = filepath.Join("..", "..")

func appFS() fs.FS { return os.DirFS(filepath.Join(repoRoot, "app")) }

// TestPackage runs every check on the package ./build.sh built, named by
// KUBEPRIVPOD_PACKAGE (./build.sh test sets it).
func TestPackage(t *testing.T) {
	name := os.Getenv("KUBEPRIVPOD_PACKAGE")
	if name == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KUBEPRIVPOD_PACKAGE is unset under CI; run ./build.sh test, which builds the package and sets it")
		}
		t.Skip("KUBEPRIVPOD_PACKAGE is unset; ./build.sh test builds dist/kubeprivpod-<version>.tgz and runs these checks on it")
	}
	p, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	if p.Top() != "kubeprivpod" {
		t.Fatalf("top folder %q, want kubeprivpod", p.Top())
	}
	for _, c := range []struct {
		name  string
		check func(*Package) []error
	}{
		{"Structure", Structure}, {"ConfFiles", ConfFiles}, {"AppConf", AppConf}, {"Commands", Commands},
		{"SavedSearches", SavedSearches}, {"References", References}, {"Views", Views},
		{"Binaries", Binaries}, {"Readme", Readme}, {"Props", Props}, {"Icons", Icons},
		{"Rendering", func(p *Package) []error { return Rendering(p, appFS()) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, err := range c.check(p) {
				t.Error(err)
			}
		})
	}
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
// checkout, with header-only binaries and a README.md holding the Binary
// File Declaration of README.md or docs/admin.md, so that the checks can be shown to
// pass on it and to fail on each defect put into it.
func synthetic(t *testing.T) map[string]*File {
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
	for _, rel := range []string{"LICENSE", "bin/README"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, rel))
		if err != nil {
			t.Fatal(err)
		}
		add(rel, b, 0o644)
	}
	// The declaration is written in docs/admin.md and merged into README.md.
	decl, ok := "", false
	for _, doc := range []string{"README.md", filepath.Join("docs", "admin.md")} {
		if b, err := os.ReadFile(filepath.Join(repoRoot, doc)); err == nil {
			if decl, ok = mdSection(string(b), "Binary File Declaration"); ok {
				break
			}
		}
	}
	if !ok {
		t.Fatal("neither README.md nor docs/admin.md has a Binary File Declaration section")
	}
	add("README.md", []byte("# kubeprivpod\n\n# Binary File Declaration\n"+decl), 0o644)
	for _, pl := range Platforms {
		for _, prog := range Programs {
			add(pl.Dir+"/"+prog+pl.Ext, fakeExe(pl.Format), 0o755)
		}
	}
	return files
}

// tgz writes files (and their folders) as build.sh does and reads the
// result back through Read.
func tgz(t *testing.T, files map[string]*File) *Package {
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
	for _, err := range All(p, appFS()) {
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := synthetic(t)
			tc.break_(t, m)
			var msgs []string
			for _, err := range All(tgz(t, m), appFS()) {
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
	if errs := Binaries(tgz(t, m)); len(errs) != 1 || !strings.Contains(errs[0].Error(), `inputs.conf.spec:1: scheme "kube_audit_hook" has no program of that name`) {
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
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		All(p, nil)
	})
}

func BenchmarkAll(b *testing.B) {
	name := os.Getenv("KUBEPRIVPOD_PACKAGE")
	if name == "" {
		b.Skip("KUBEPRIVPOD_PACKAGE unset")
	}
	p, err := Open(name)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		All(p, nil)
	}
}
