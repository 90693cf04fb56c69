package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"path"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/tools/appcontent"
	"github.com/kubeprivpod/kubeprivpod/tools/conf"
	"github.com/kubeprivpod/kubeprivpod/tools/internal/release"
)

// Check is one named check of the package.
type Check struct {
	Name string
	Run  func(*Package) []error
}

// Checks returns every check. t names the programs and platforms the
// package must hold (tools/targets.txt); app is the content folder (app/)
// the conf files were rendered from, nil to skip the staleness check.
func Checks(t *release.Targets, app fs.FS) []Check {
	cs := []Check{
		{"Structure", Structure}, {"ConfFiles", ConfFiles}, {"AppConf", AppConf}, {"Manifest", Manifest},
		{"Commands", Commands}, {"SavedSearches", SavedSearches}, {"References", References}, {"Views", Views},
		{"Binaries", func(p *Package) []error { return Binaries(p, t) }},
		{"Readme", func(p *Package) []error { return Readme(p, t) }},
		{"Links", Links}, {"Indexes", Indexes}, {"Dashboard", Dashboard}, {"Props", Props}, {"Icons", Icons},
	}
	if app != nil {
		cs = append(cs, Check{"Rendering", func(p *Package) []error { return Rendering(p, app) }})
	}
	return cs
}

// All runs every check of Checks and returns the problems found.
func All(p *Package, t *release.Targets, app fs.FS) []error {
	var errs []error
	for _, c := range Checks(t, app) {
		errs = append(errs, c.Run(p)...)
	}
	return errs
}

// problem formats one finding about a path inside the package.
func problem(where, format string, a ...any) error {
	return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, a...))
}

// devNames are development folders and files that must not ship.
var devNames = []string{"cmd", "internal", "test", "testdata", "app", "docs", "bench", "dist", "tools", "go.mod", "go.sum", "go.work", "build.sh", "BENCHMARKS.md"}

// Structure checks the layout AppInspect and the installer expect: one top
// folder, no local settings, no hidden or development files, modes owners
// can use and that keep programs inside bin folders, and the same owner and
// time on every entry so that the package is reproducible.
func Structure(p *Package) []error {
	var errs []error
	top := p.Top()
	if top == "" {
		return []error{problem(p.Path, "package must hold exactly one top folder")}
	}
	first := p.Files[0]
	for _, f := range p.Files {
		rel := p.Rel(f)
		where := f.Name
		segs := strings.Split(rel, "/")
		if rel == "" {
			if !f.Dir {
				errs = append(errs, problem(where, "top entry is not a folder"))
			}
		}
		switch {
		case rel == "local" || strings.HasPrefix(rel, "local/"):
			errs = append(errs, problem(where, "local/ must not ship (AppInspect check_that_local_does_not_exist)"))
		case rel == "metadata/local.meta":
			errs = append(errs, problem(where, "metadata/local.meta must not ship"))
		case strings.HasPrefix(rel, "metadata/") && !f.Dir && !strings.HasSuffix(rel, ".meta"):
			errs = append(errs, problem(where, "only .meta files belong in metadata/"))
		case rel != "" && slices.Contains(devNames, segs[0]):
			errs = append(errs, problem(where, "development file or folder must not ship"))
		case strings.HasSuffix(rel, ".go"):
			errs = append(errs, problem(where, "Go source must not ship"))
		}
		for _, s := range strings.Split(f.Name, "/") {
			if strings.HasPrefix(s, ".") || s == "__MACOSX" {
				errs = append(errs, problem(where, "hidden or __MACOSX entry"))
				break
			}
		}
		if strings.ContainsAny(f.Name, " \t") {
			errs = append(errs, problem(where, "file name contains a space"))
		}
		inBin := slices.Contains(segs[:len(segs)-1], "bin")
		switch {
		case f.Dir && f.Mode != 0o755:
			errs = append(errs, problem(where, "folder mode %04o, want 0755", f.Mode))
		case !f.Dir && inBin && f.Mode != 0o755 && f.Mode != 0o644:
			errs = append(errs, problem(where, "mode %04o, want 0755 for a program or 0644", f.Mode))
		case !f.Dir && !inBin && f.Mode != 0o644:
			errs = append(errs, problem(where, "mode %04o, want 0644 outside bin folders (AppInspect check_for_bin_files)", f.Mode))
		}
		if !f.Dir && !inBin && strings.HasSuffix(strings.ToLower(rel), ".exe") {
			errs = append(errs, problem(where, ".exe outside a bin folder"))
		}
		if f.UID != 0 || f.GID != 0 {
			errs = append(errs, problem(where, "owner %d:%d, want 0:0", f.UID, f.GID))
		}
		if !f.ModTime.Equal(first.ModTime) {
			errs = append(errs, problem(where, "mtime %s differs from %s of %s; build with one fixed mtime", f.ModTime, first.ModTime, first.Name))
		}
	}
	return errs
}

// confFile parses the packaged file at rel, recording a problem if it is
// missing or broken.
func confFile(p *Package, rel string, errs *[]error) *conf.File {
	f := p.File(rel)
	if f == nil {
		*errs = append(*errs, problem(p.Top()+"/"+rel, "missing"))
		return nil
	}
	c, err := conf.Parse(f.Name, f.Data)
	if err != nil {
		*errs = append(*errs, err)
		return nil
	}
	return c
}

// ConfFiles parses every .conf, .meta and .conf.spec file and checks each
// setting against the spec of its file (see spec.go).
func ConfFiles(p *Package) []error {
	var errs []error
	var inputKeys []string
	if spec := p.File("README/inputs.conf.spec"); spec != nil {
		c, err := conf.Parse(spec.Name, specText(spec.Data))
		if err != nil {
			errs = append(errs, err)
		} else {
			for _, s := range c.Stanzas {
				if len(s.Settings) == 0 {
					errs = append(errs, problem(fmt.Sprintf("%s:%d", spec.Name, s.Line), "[%s] declares no parameters", s.Name))
				}
				for _, kv := range s.Settings {
					inputKeys = append(inputKeys, kv.Key)
				}
			}
		}
	}
	for _, f := range p.Files {
		rel := p.Rel(f)
		if f.Dir || !(strings.HasSuffix(rel, ".conf") || strings.HasSuffix(rel, ".meta")) {
			continue
		}
		c, err := conf.Parse(f.Name, f.Data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		base := path.Base(rel)
		spec, ok := specs[base]
		if !ok {
			errs = append(errs, problem(f.Name, "no spec table for %s in pkgcheck; add one before shipping it", base))
			continue
		}
		for _, s := range c.Stanzas {
			for _, kv := range s.Settings {
				if !spec.allows(s, kv.Key, inputKeys) {
					errs = append(errs, problem(fmt.Sprintf("%s:%d", f.Name, kv.Line), "[%s] %s is not a setting %s.spec allows here", s.Name, kv.Key, base))
				}
			}
		}
	}
	return errs
}

// specText blanks the documentation lines of a .spec file, keeping line
// numbers, so that the rest parses as a .conf file. Settings and stanza
// headers start at the first column; bullets ("* ...") and their indented
// continuation lines are documentation.
func specText(data []byte) []byte {
	lines := bytes.Split(data, []byte{'\n'})
	for i, l := range lines {
		if len(l) > 0 && (l[0] == '*' || l[0] == ' ' || l[0] == '\t') {
			lines[i] = nil
		}
	}
	return bytes.Join(lines, []byte{'\n'})
}

var versionRE = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

// AppConf checks app.conf as AppInspect does: a Major.Minor.Revision
// version, [package] id equal to the folder, is_configured false, a build
// number, a UI label of 5 to 80 characters and no install checksums.
func AppConf(p *Package) []error {
	var errs []error
	c := confFile(p, "default/app.conf", &errs)
	if c == nil {
		return errs
	}
	where := c.Name
	get := func(stanza, key string) string {
		if s := c.Stanza(stanza); s != nil {
			if v, ok := s.Get(key); ok {
				return v
			}
		}
		errs = append(errs, problem(where, "[%s] %s missing", stanza, key))
		return ""
	}
	v := get("launcher", "version")
	if v != "" && !versionRE.MatchString(v) {
		errs = append(errs, problem(where, "[launcher] version %q is not Major.Minor.Revision", v))
	}
	if id := get("id", "version"); id != "" && id != v {
		errs = append(errs, problem(where, "[id] version %q differs from [launcher] version %q", id, v))
	}
	if id := get("package", "id"); id != "" && id != p.Top() {
		errs = append(errs, problem(where, "[package] id %q differs from the package folder %q", id, p.Top()))
	}
	if n := get("id", "name"); n != "" && n != p.Top() {
		errs = append(errs, problem(where, "[id] name %q differs from the package folder %q", n, p.Top()))
	}
	if ic := get("install", "is_configured"); ic != "" && ic != "false" && ic != "0" {
		errs = append(errs, problem(where, "[install] is_configured = %s; it must be false", ic))
	}
	if b := get("install", "build"); b != "" {
		if n, err := strconv.Atoi(b); err != nil || n < 1 {
			errs = append(errs, problem(where, "[install] build %q is not a positive integer", b))
		}
	}
	if l := get("ui", "label"); l != "" && (len(l) < 5 || len(l) > 80) {
		errs = append(errs, problem(where, "[ui] label is %d characters; 5 to 80 allowed", len(l)))
	}
	if s := c.Stanza("install"); s != nil {
		for _, k := range []string{"install_source_checksum", "install_source_local_checksum"} {
			if _, ok := s.Get(k); ok {
				errs = append(errs, problem(where, "[install] %s is set by splunkd; never ship it", k))
			}
		}
	}
	return errs
}

// Commands checks the chunked command stanza and that its program exists,
// executable, in every platform folder.
func Commands(p *Package) []error {
	var errs []error
	c := confFile(p, "default/commands.conf", &errs)
	if c == nil {
		return errs
	}
	s := c.Stanza("kubeprivpod")
	if s == nil {
		return append(errs, problem(c.Name, "no [kubeprivpod] stanza"))
	}
	if v, _ := s.Get("chunked"); v != "true" && v != "1" {
		errs = append(errs, problem(c.Name, "[kubeprivpod] chunked = %q, want true", v))
	}
	prog, ok := s.Get("filename")
	if !ok {
		prog = s.Name
	}
	if prog != "kubeprivpod" {
		errs = append(errs, problem(c.Name, "[kubeprivpod] filename = %q, want kubeprivpod", prog))
	}
	if p.File("metadata/default.meta") == nil {
		errs = append(errs, problem(p.Top()+"/metadata/default.meta", "missing; required with commands.conf"))
	}
	return errs
}

// Binaries checks that each program is in each platform folder, marked
// executable and built for that platform (x86-64), and that every modular
// input scheme in README/inputs.conf.spec is one of those programs.
func Binaries(p *Package, t *release.Targets) []error {
	var errs []error
	if spec := p.File("README/inputs.conf.spec"); spec != nil {
		if c, err := conf.Parse(spec.Name, specText(spec.Data)); err == nil {
			for _, s := range c.Stanzas {
				scheme, _, ok := strings.Cut(s.Name, "://")
				if ok && !slices.Contains(t.Programs, scheme) {
					errs = append(errs, problem(fmt.Sprintf("%s:%d", spec.Name, s.Line), "scheme %q has no program of that name", scheme))
				}
			}
		}
	}
	for _, pl := range t.Platforms {
		for _, prog := range t.Programs {
			rel := pl.Dir + "/" + prog + pl.Ext
			f := p.File(rel)
			where := p.Top() + "/" + rel
			if f == nil {
				errs = append(errs, problem(where, "missing"))
				continue
			}
			if f.Mode != 0o755 {
				errs = append(errs, problem(where, "mode %04o; a program needs 0755", f.Mode))
			}
			if got := exeFormat(f.Data); got != pl.Format {
				errs = append(errs, problem(where, "is %s, want an x86-64 %s executable", orNot(got), pl.Format))
			}
		}
	}
	return errs
}

func orNot(format string) string {
	if format == "" {
		return "not an x86-64 executable"
	}
	return "an x86-64 " + format + " executable"
}

// exeFormat reports "elf", "macho" or "pe" for an x86-64 executable of that
// format, or "" for anything else.
func exeFormat(b []byte) string {
	switch {
	case len(b) >= 20 && bytes.HasPrefix(b, []byte("\x7fELF")):
		// 64-bit, little-endian, executable or PIE, machine x86-64 (62).
		if b[4] == 2 && b[5] == 1 && binary.LittleEndian.Uint16(b[18:]) == 62 {
			return "elf"
		}
	case len(b) >= 8 && binary.LittleEndian.Uint32(b) == 0xfeedfacf:
		// MH_MAGIC_64, CPU_TYPE_X86_64.
		if binary.LittleEndian.Uint32(b[4:]) == 0x01000007 {
			return "macho"
		}
	case len(b) >= 0x40 && bytes.HasPrefix(b, []byte("MZ")):
		off := int(binary.LittleEndian.Uint32(b[0x3c:]))
		// "PE\0\0", then the COFF machine IMAGE_FILE_MACHINE_AMD64.
		if off >= 0x40 && off+6 <= len(b) && bytes.Equal(b[off:off+4], []byte("PE\x00\x00")) &&
			binary.LittleEndian.Uint16(b[off+4:]) == 0x8664 {
			return "pe"
		}
	}
	return ""
}

// readBuildInfo reads a packaged program's Go build information; tests
// replace it, as their programs are headers only.
var readBuildInfo = release.ReadBuildInfo

// Readme checks AppInspect's condition for shipping binaries without C
// source, a README at the app root with a "# Binary File Declaration"
// section, and that the section is exactly what the packaged programs' own
// build information says (tools/pkgreadme generates it from the same).
func Readme(p *Package, t *release.Targets) []error {
	f := p.File("README.md")
	if f == nil {
		return []error{problem(p.Top()+"/README.md", "missing; AppInspect needs its Binary File Declaration section")}
	}
	section, ok := mdSection(string(f.Data), release.DeclarationTitle)
	if !ok {
		return []error{problem(f.Name, `no "# Binary File Declaration" section`)}
	}
	infos := map[string]*debug.BuildInfo{}
	for _, rel := range t.Files() {
		if b := p.File(rel); b != nil {
			if bi, err := readBuildInfo(b.Data); err == nil {
				infos[rel] = bi
			}
		}
	}
	want, err := release.Declaration(t, infos)
	if err != nil {
		return []error{problem(f.Name, "cannot declare the packaged programs: %v", err)}
	}
	_, wantSection, _ := strings.Cut(want, "\n")
	if strings.TrimSpace(section) != strings.TrimSpace(wantSection) {
		return []error{problem(f.Name, "Binary File Declaration differs from the packaged programs' build information; the package README must be generated by tools/pkgreadme:\n%s", want)}
	}
	return nil
}

// mdSection returns the text under the first Markdown heading whose title
// is title, up to the next heading of the same or a higher level.
func mdSection(doc, title string) (string, bool) {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		level := len(l) - len(strings.TrimLeft(l, "#"))
		if level == 0 || strings.TrimSpace(l[level:]) != title {
			continue
		}
		var out []string
		for _, m := range lines[i+1:] {
			if n := len(m) - len(strings.TrimLeft(m, "#")); n > 0 && n <= level && strings.HasPrefix(m[n:], " ") {
				break
			}
			out = append(out, m)
		}
		return strings.Join(out, "\n"), true
	}
	return "", false
}

// Props checks the shipped sourcetype: it must not redefine Splunk's own
// sourcetypes (AppInspect fails that) and must keep large audit events
// whole and one per line.
func Props(p *Package) []error {
	var errs []error
	c := confFile(p, "default/props.conf", &errs)
	if c == nil {
		return errs
	}
	for _, s := range c.Stanzas {
		if slices.Contains([]string{"_json", "json_no_timestamp", "access_combined", "syslog", "default", "csv"}, s.Name) {
			errs = append(errs, problem(fmt.Sprintf("%s:%d", c.Name, s.Line), "[%s] is a Splunk default sourcetype; do not configure it", s.Name))
		}
	}
	s := c.Stanza("kube:apiserver:auditlog")
	if s == nil {
		return append(errs, problem(c.Name, "no [kube:apiserver:auditlog] stanza"))
	}
	for k, want := range map[string]string{"SHOULD_LINEMERGE": "false", "TRUNCATE": "0", "KV_MODE": "json"} {
		if v, _ := s.Get(k); v != want {
			errs = append(errs, problem(c.Name, "[%s] %s = %q, want %q", s.Name, k, v, want))
		}
	}
	if _, ok := s.Get("INDEXED_EXTRACTIONS"); ok {
		errs = append(errs, problem(c.Name, "[%s] INDEXED_EXTRACTIONS with KV_MODE = json extracts every field twice", s.Name))
	}
	return errs
}

// Icons checks the app icons Splunk Web shows: PNG files of 36x36 and
// 72x72 pixels in static/.
func Icons(p *Package) []error {
	var errs []error
	for rel, size := range map[string]int{
		"static/appIcon.png": 36, "static/appIcon_2x.png": 72, "static/appIconAlt.png": 36, "static/appIconAlt_2x.png": 72,
	} {
		f := p.File(rel)
		if f == nil {
			errs = append(errs, problem(p.Top()+"/"+rel, "missing"))
			continue
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(f.Data))
		switch {
		case err != nil:
			errs = append(errs, problem(f.Name, "not a PNG: %v", err))
		case cfg.Width != size || cfg.Height != size:
			errs = append(errs, problem(f.Name, "%dx%d pixels, want %dx%d", cfg.Width, cfg.Height, size, size))
		}
	}
	return errs
}

// Rendering checks that the packaged savedsearches.conf and macros.conf
// are the rendering of the content in app, so a package built from stale
// conf files fails.
func Rendering(p *Package, app fs.FS) []error {
	c, err := appcontent.Load(app)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for rel, want := range map[string][]byte{
		"default/savedsearches.conf": c.SavedSearchesConf(),
		"default/macros.conf":        c.MacrosConf(),
	} {
		f := p.File(rel)
		switch {
		case f == nil:
			errs = append(errs, problem(p.Top()+"/"+rel, "missing"))
		case !bytes.Equal(f.Data, want):
			errs = append(errs, problem(f.Name, "stale: differs from the rendering of app/; run ./build.sh conf"))
		}
	}
	return errs
}

// jsonEqual decodes s and compares it with want decoded from its JSON text.
func jsonEqual(s, want string) (bool, error) {
	var got, exp any
	if err := json.Unmarshal([]byte(s), &got); err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		panic(err)
	}
	return reflect.DeepEqual(got, exp), nil
}
