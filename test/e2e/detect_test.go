package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// scanJSON runs `kubeprivpod scan --mode mode --format json file` and
// returns its rows and its warnings (stderr lines).
func scanJSON(t *testing.T, bin, mode, file string) ([]map[string]any, []string) {
	t.Helper()
	cmd := exec.Command(bin, "scan", "--mode", mode, "--format", "json", file)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubeprivpod scan --mode %s %s: %v\n%s", mode, file, err, errb.String())
	}
	var rows []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("scan output line %q: %v", l, err)
		}
		rows = append(rows, r)
	}
	var warns []string
	for _, l := range strings.Split(strings.TrimSpace(errb.String()), "\n") {
		if l != "" {
			warns = append(warns, l)
		}
	}
	return rows, warns
}

// cell returns a row's value as one string (multivalue joined by ",").
func cell(r map[string]any, col string) string {
	switch v := r[col].(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ",")
	default:
		return fmt.Sprint(v)
	}
}

// Names the controllers make up: pod-template hashes and the five random
// characters of generateName.
var (
	rsPod   = regexp.MustCompile(`^(.+)-[0-9a-z]{8,10}-[0-9a-z]{5}$`)
	rsName  = regexp.MustCompile(`^(web2?3?|priv-deploy)-[0-9a-z]{8,10}$`)
	genName = regexp.MustCompile(`^(.+)-[0-9a-z]{5}$`)
	// controlledBy finds the owner in an extended finding's message.
	controlledBy = regexp.MustCompile(`\(controlled by (\w+) ([^ )]+)\)`)
)

// stableName replaces the parts of controller-made names that change
// from run to run: priv-deploy-5d8f7c9b4-x2k9q becomes priv-deploy-HASH-XXXXX.
func stableName(name string, controllerMade bool) string {
	if !controllerMade {
		return name
	}
	if m := rsPod.FindStringSubmatch(name); m != nil {
		return m[1] + "-HASH-XXXXX"
	}
	if m := rsName.FindStringSubmatch(name); m != nil {
		return m[1] + "-HASH"
	}
	if m := genName.FindStringSubmatch(name); m != nil && !strings.HasSuffix(m[1], "-sts") {
		return m[1] + "-XXXXX"
	}
	return name
}

// controllerUser is the identity of a kube-controller-manager controller.
func controllerUser(u string) bool {
	return strings.HasPrefix(u, "system:serviceaccount:kube-system:") || u == "system:kube-controller-manager"
}

// escuLines is the escu rows as golden lines: the columns that identify
// the request (the last-applied annotation is checked against the event
// separately).
func escuLines(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join([]string{
			cell(r, "user"), cell(r, "verb"), cell(r, "objectRef.resource"),
			cell(r, "objectRef.namespace") + "/" + cell(r, "objectRef.name"),
			"code=" + cell(r, "responseStatus.code"), "src_ip=" + cell(r, "src_ip"),
			"groups=" + cell(r, "user_groups"), "count=" + cell(r, "count"),
		}, " | "))
	}
	sort.Strings(out)
	return out
}

// extendedLines is the extended findings as golden lines, with
// controller-made names made stable.
func extendedLines(rows []map[string]any) []string {
	var out []string
	for _, r := range rows {
		user := cell(r, "user")
		res := cell(r, "resource")
		if s := cell(r, "subresource"); s != "" {
			res += "/" + s
		}
		// A folded row names its objects (multivalue): each made stable.
		var names []string
		for _, n := range strings.Split(cell(r, "name"), ",") {
			if n = stableName(n, controllerUser(user)); len(names) == 0 || names[len(names)-1] != n {
				names = append(names, n)
			}
		}
		obj := cell(r, "namespace") + "/" + strings.Join(names, ",")
		if k := cell(r, "owner_kind"); k != "" {
			obj += " (controlled by " + k + " " + stableName(cell(r, "owner_name"), true) + ")"
		} else if m := controlledBy.FindStringSubmatch(cell(r, "message")); m != nil {
			obj += " (controlled by " + m[1] + " " + stableName(m[2], true) + ")"
		}
		out = append(out, strings.Join([]string{
			user, cell(r, "verb"), res, obj,
			cell(r, "outcome"), "containers=" + cell(r, "containers"),
			"reasons=" + cell(r, "reasons"), "count=" + cell(r, "count"),
		}, " | "))
	}
	sort.Strings(out)
	return out
}

// golden compares got with the file, or rewrites it when
// KUBEPRIVPOD_E2E_UPDATE is set.
func golden(t *testing.T, path string, got []string) {
	t.Helper()
	text := strings.Join(got, "\n") + "\n"
	if os.Getenv("KUBEPRIVPOD_E2E_UPDATE") != "" {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (KUBEPRIVPOD_E2E_UPDATE=1 ./build.sh e2e writes it)", err)
	}
	if text != string(want) {
		t.Errorf("%s differs from the real control plane's result (KUBEPRIVPOD_E2E_UPDATE=1 ./build.sh e2e rewrites it after review)\n%s",
			path, lineDiff(strings.Split(strings.TrimSuffix(string(want), "\n"), "\n"), got))
	}
}

// lineDiff lists lines only in want (-) and only in got (+).
func lineDiff(want, got []string) string {
	count := map[string]int{}
	for _, l := range want {
		count[l]++
	}
	for _, l := range got {
		count[l]--
	}
	var b strings.Builder
	for _, l := range want {
		if count[l] > 0 {
			fmt.Fprintf(&b, "- %s\n", l)
			count[l]--
		}
	}
	for _, l := range got {
		if count[l] < 0 {
			fmt.Fprintf(&b, "+ %s\n", l)
			count[l]++
		}
	}
	return b.String()
}

// --- the search command over the chunked protocol, as splunkd runs it ---

func frame(b *bytes.Buffer, meta string, body []byte) {
	fmt.Fprintf(b, "chunked 1.0,%d,%d\n%s", len(meta), len(body), meta)
	b.Write(body)
}

func getinfo(b *bytes.Buffer, args ...string) {
	a, _ := json.Marshal(args)
	frame(b, `{"action":"getinfo","preview":false,"searchinfo":{"args":`+string(a)+`,"raw_args":`+string(a)+
		`,"dispatch_dir":"/tmp","sid":"e2e.1","app":"kubeprivpod","owner":"admin","username":"admin","splunk_version":"9.3.1",`+
		`"search":"search%20%60kube_audit%60%20%7C%20kubeprivpod","command":"kubeprivpod","maxresultrows":50000}}`, nil)
}

func execute(b *bytes.Buffer, finished bool, body []byte) {
	frame(b, fmt.Sprintf(`{"action":"execute","finished":%t}`, finished), body)
}

// rawCSV is an execute body of events in a _raw column, with splunkd's
// _chunked_idx.
func rawCSV(t *testing.T, events []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"_raw", "_chunked_idx"})
	for i, e := range events {
		w.Write([]string{e, strconv.Itoa(i)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type reply struct {
	meta string
	body []byte
}

// runChunked runs one kubeprivpod process on a conversation and returns
// its replies.
func runChunked(t *testing.T, bin string, in []byte) []reply {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubeprivpod (chunked): %v\n%s", err, errb.String())
	}
	var rs []reply
	o := out.Bytes()
	for len(o) > 0 {
		var ml, bl int
		nl := bytes.IndexByte(o, '\n')
		if nl < 0 {
			t.Fatalf("bad reply framing at %.40q", o)
		}
		if _, err := fmt.Sscanf(string(o[:nl]), "chunked 1.0,%d,%d", &ml, &bl); err != nil {
			t.Fatalf("bad reply header %q: %v", o[:nl], err)
		}
		o = o[nl+1:]
		rs = append(rs, reply{string(o[:ml]), o[ml : ml+bl]})
		o = o[ml+bl:]
	}
	return rs
}

// single runs the search in one process over all events, in chunks of
// size, and returns the final reply.
func single(t *testing.T, bin, mode string, events []string, size int) reply {
	var in bytes.Buffer
	getinfo(&in, "mode="+mode)
	for i := 0; i < len(events); i += size {
		end := min(i+size, len(events))
		execute(&in, end == len(events), rawCSV(t, events[i:end]))
	}
	rs := runChunked(t, bin, in.Bytes())
	return rs[len(rs)-1]
}

// distributed runs the map phase in procs processes (as indexers would,
// each over its share of the events) and one reduce process over their
// output, and returns the reduce's final reply.
func distributed(t *testing.T, bin, mode string, events []string, procs, size int) reply {
	var partials [][]byte
	per := (len(events) + procs - 1) / procs
	for p := 0; p < len(events); p += per {
		share := events[p:min(p+per, len(events))]
		var in bytes.Buffer
		getinfo(&in, "phase=map", "mode="+mode)
		for i := 0; i < len(share); i += size {
			end := min(i+size, len(share))
			execute(&in, end == len(share), rawCSV(t, share[i:end]))
		}
		for _, r := range runChunked(t, bin, in.Bytes())[1:] {
			if len(r.body) > 0 {
				partials = append(partials, r.body)
			}
		}
	}
	var in bytes.Buffer
	getinfo(&in, "mode="+mode)
	for i, b := range partials {
		execute(&in, i == len(partials)-1, b)
	}
	if len(partials) == 0 {
		execute(&in, true, nil)
	}
	rs := runChunked(t, bin, in.Bytes())
	return rs[len(rs)-1]
}

// replyRows counts the data rows of a reply's CSV body.
func replyRows(t *testing.T, body []byte) int {
	t.Helper()
	if len(body) == 0 {
		return 0
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("reply body: %v", err)
	}
	return len(recs) - 1
}
