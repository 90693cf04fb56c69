package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/tools/conf"
)

// Detection IDs and the values the app promises for each.
const (
	ESCUDetectionID     = "3c6bd734-334d-4818-ae7c-5234313fc5da"
	ExtendedDetectionID = "4b698b65-32da-429e-b167-93a12785cea3"
)

// riskShape is the _risk JSON both detections must carry: the user as risk
// object with ESCU's score 49, the source address as threat object.
const riskShape = `[{"risk_object_field": "user", "risk_object_type": "user", "risk_score": 49}, {"threat_object_field": "src_ip", "threat_object_type": "ip_address"}]`

type expectation struct {
	search      string // substring the search must contain
	riskMessage string // exact, or "" for any non-empty message
	annotations map[string]any
	suppress    string // alert.suppress.fields, or "" for no throttling
}

var expected = map[string]expectation{
	ESCUDetectionID: {
		search:      "| kubeprivpod |",
		riskMessage: "Kubernetes privileged pod created by user $user$.",
		annotations: map[string]any{
			"analytic_story": []any{"Kubernetes Security"}, "mitre_attack": []any{"T1204"},
			"kill_chain_phases": []any{"Installation"}, "nist": []any{"DE.AE"}, "cis20": []any{"CIS 13"},
			"confidence": 70.0, "impact": 70.0,
		},
	},
	ExtendedDetectionID: {
		search: "| kubeprivpod mode=extended |",
		annotations: map[string]any{
			"analytic_story": []any{"Kubernetes Security"}, "mitre_attack": []any{"T1204", "T1610", "T1611"},
			"nist": []any{"DE.AE"}, "cis20": []any{"CIS 13"},
		},
		suppress: "user,namespace,name,reasons",
	},
}

// SavedSearches checks savedsearches.conf: AppInspect's scheduling rules
// for every search, and for the two detections the risk-based alerting
// settings and the JSON values they must carry.
func SavedSearches(p *Package) []error {
	var errs []error
	c := confFile(p, "default/savedsearches.conf", &errs)
	if c == nil {
		return errs
	}
	found := map[string]bool{}
	for _, s := range c.Stanzas {
		where := fmt.Sprintf("%s:%d [%s]", c.Name, s.Line, s.Name)
		get := func(key string) string {
			v, ok := s.Get(key)
			if !ok {
				errs = append(errs, problem(where, "%s missing", key))
			}
			return v
		}
		if d, _ := s.Get("description"); strings.TrimSpace(d) == "" {
			errs = append(errs, problem(where, "empty description (AppInspect check_for_empty_saved_search_description)"))
		}
		if to, _ := s.Get("action.email.to"); to != "" {
			errs = append(errs, problem(where, "action.email.to carries an address"))
		}
		get("search")
		if v, _ := s.Get("enableSched"); v == "1" || v == "true" {
			earliest := get("dispatch.earliest_time")
			get("dispatch.latest_time")
			if strings.HasPrefix(earliest, "rt") {
				errs = append(errs, problem(where, "real-time search"))
			}
			if cron := get("cron_schedule"); cron != "" && runsPerHour(cron) > 12 {
				errs = append(errs, problem(where, "cron %q runs more than 12 times an hour", cron))
			}
		}
		meta, ok := s.Get("action.correlationsearch.metadata")
		if !ok {
			continue
		}
		var md struct {
			DetectionID string `json:"detection_id"`
		}
		if err := json.Unmarshal([]byte(meta), &md); err != nil {
			errs = append(errs, problem(where, "action.correlationsearch.metadata is not JSON: %v", err))
			continue
		}
		exp, known := expected[md.DetectionID]
		if !known {
			errs = append(errs, problem(where, "unknown detection_id %q", md.DetectionID))
			continue
		}
		found[md.DetectionID] = true
		if !strings.Contains(get("search"), exp.search) {
			errs = append(errs, problem(where, "search does not contain %q", exp.search))
		}
		if v := get("action.risk"); v != "1" {
			errs = append(errs, problem(where, "action.risk = %q, want 1", v))
		}
		if v := get("disabled"); v != "true" && v != "1" {
			errs = append(errs, problem(where, "disabled = %q; detections ship disabled, as in ESCU", v))
		}
		msg := get("action.risk.param._risk_message")
		if exp.riskMessage != "" && msg != exp.riskMessage {
			errs = append(errs, problem(where, "_risk_message %q, want %q", msg, exp.riskMessage))
		}
		sup, _ := s.Get("alert.suppress")
		fields, _ := s.Get("alert.suppress.fields")
		switch {
		case exp.suppress == "" && sup != "":
			errs = append(errs, problem(where, "alert.suppress = %s; this detection is not throttled", sup))
		case exp.suppress != "" && (sup != "true" && sup != "1" || fields != exp.suppress):
			errs = append(errs, problem(where, "throttling alert.suppress = %q, fields %q; want true, %q", sup, fields, exp.suppress))
		case exp.suppress != "":
			if period := get("alert.suppress.period"); !regexp.MustCompile(`^[0-9]+[smh]$`).MatchString(period) {
				errs = append(errs, problem(where, "alert.suppress.period %q is not a number of s, m or h", period))
			}
		}
		var drill []map[string]string
		if err := json.Unmarshal([]byte(get("action.notable.param.drilldown_searches")), &drill); err != nil {
			errs = append(errs, problem(where, "action.notable.param.drilldown_searches is not a JSON list of objects: %v", err))
		} else if len(drill) < 2 {
			errs = append(errs, problem(where, "%d drilldown searches; want the user's activity and the object's audit events", len(drill)))
		}
		if label := get("action.correlationsearch.label"); label != s.Name {
			errs = append(errs, problem(where, "action.correlationsearch.label %q differs from the stanza name", label))
		}
		if r := get("action.risk.param._risk"); r != "" {
			if ok, err := jsonEqual(r, riskShape); err != nil {
				errs = append(errs, problem(where, "_risk is not JSON: %v", err))
			} else if !ok {
				errs = append(errs, problem(where, "_risk = %s, want %s", r, riskShape))
			}
		}
		if a := get("action.correlationsearch.annotations"); a != "" {
			var got map[string]any
			if err := json.Unmarshal([]byte(a), &got); err != nil {
				errs = append(errs, problem(where, "annotations are not JSON: %v", err))
				continue
			}
			for k, want := range exp.annotations {
				if g, _ := json.Marshal(got[k]); string(g) != mustJSON(want) {
					errs = append(errs, problem(where, "annotations %s = %s, want %s", k, g, mustJSON(want)))
				}
			}
		}
	}
	for id := range expected {
		if !found[id] {
			errs = append(errs, problem(c.Name, "no saved search for detection %s", id))
		}
	}
	return errs
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// runsPerHour estimates the runs per hour of a cron schedule from its
// minute field ("0", "*/5", "0,30", "*"); other forms count as one.
func runsPerHour(cron string) int {
	f := strings.Fields(cron)
	if len(f) != 5 {
		return 61 // invalid: report it
	}
	m := f[0]
	switch {
	case m == "*":
		return 60
	case strings.HasPrefix(m, "*/"):
		var n int
		if _, err := fmt.Sscanf(m, "*/%d", &n); err != nil || n <= 0 {
			return 61
		}
		return (59 / n) + 1
	default:
		return strings.Count(m, ",") + 1
	}
}

// builtinCommands are the Splunk search commands the app's searches may
// use besides its own.
var builtinCommands = []string{
	"search", "where", "stats", "eventstats", "streamstats", "eval", "table", "fields", "rename", "fillnull",
	"sort", "head", "tail", "dedup", "timechart", "chart", "top", "rare", "mvexpand", "makemv", "convert",
	"bin", "bucket", "lookup", "inputlookup", "tstats", "from", "rex", "spath", "append", "format", "return",
	"regex", "addinfo", "tojson", "datamodel",
}

// macroDefs reads the packaged macros.conf: stanza name to definition.
func macroDefs(p *Package, errs *[]error) map[string]string {
	c := confFile(p, "default/macros.conf", errs)
	out := map[string]string{}
	if c == nil {
		return out
	}
	for _, s := range c.Stanzas {
		d, ok := s.Get("definition")
		if !ok {
			*errs = append(*errs, problem(c.Name, "[%s] has no definition", s.Name))
		}
		out[s.Name] = d
	}
	return out
}

// commandNames reads the packaged commands.conf stanza names.
func commandNames(p *Package) []string {
	var names []string
	if f := p.File("default/commands.conf"); f != nil {
		if c, err := conf.Parse(f.Name, f.Data); err == nil {
			for _, s := range c.Stanzas {
				names = append(names, s.Name)
			}
		}
	}
	return names
}

// References checks that every saved search uses only macros the app
// defines, and only its own commands or Splunk's.
func References(p *Package) []error {
	var errs []error
	macros := macroDefs(p, &errs)
	commands := append(commandNames(p), builtinCommands...)
	c := confFile(p, "default/savedsearches.conf", &errs)
	if c == nil {
		return errs
	}
	for _, s := range c.Stanzas {
		q, ok := s.Get("search")
		if !ok {
			continue
		}
		where := fmt.Sprintf("%s [%s]", c.Name, s.Name)
		for _, err := range CheckSPL(q, false, macros, commands) {
			errs = append(errs, problem(where, "%v", err))
		}
		var drill []struct{ Name, Search string }
		if d, ok := s.Get("action.notable.param.drilldown_searches"); ok && json.Unmarshal([]byte(d), &drill) == nil {
			for _, dd := range drill {
				for _, err := range CheckSPL(dd.Search, false, macros, commands) {
					errs = append(errs, problem(where, "drilldown %q: %v", dd.Name, err))
				}
			}
		}
	}
	return errs
}

// Views parses every Simple XML view and nav file and checks the searches
// in the views as References does.
func Views(p *Package) []error {
	var errs []error
	macros := macroDefs(p, &errs)
	commands := append(commandNames(p), builtinCommands...)
	views := p.Glob("default/data/ui/views/*.xml")
	if len(views) == 0 {
		errs = append(errs, problem(p.Top()+"/default/data/ui/views", "no dashboard"))
	}
	for _, f := range append(p.Glob("default/data/ui/nav/*.xml"), views...) {
		queries, err := xmlQueries(f.Data)
		if err != nil {
			errs = append(errs, problem(f.Name, "not well-formed XML: %v", err))
			continue
		}
		for _, q := range queries {
			for _, err := range CheckSPL(q.text, q.postProcess, macros, commands) {
				errs = append(errs, problem(fmt.Sprintf("%s:%d", f.Name, q.line), "%v", err))
			}
		}
	}
	return errs
}

type query struct {
	text        string
	postProcess bool // in a <search base="...">: starts with a command
	line        int
}

// xmlQueries returns the <query> texts of a Simple XML document.
func xmlQueries(data []byte) ([]query, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var out []query
	var stack []bool // per open <search>: has a base
	inQuery := false
	var buf strings.Builder
	line := 1
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "search":
				base := false
				for _, a := range t.Attr {
					base = base || a.Name.Local == "base"
				}
				stack = append(stack, base)
			case "query":
				inQuery = true
				buf.Reset()
				line = 1 + bytes.Count(data[:off], []byte{'\n'})
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "search":
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			case "query":
				inQuery = false
				out = append(out, query{buf.String(), len(stack) > 0 && stack[len(stack)-1], line})
			}
		case xml.CharData:
			if inQuery {
				buf.Write(t)
			}
		}
	}
}

// CheckSPL expands the macros of a search (recursively, as splunkd does)
// and reports macros that are not defined and commands that are neither
// the app's nor in builtinCommands. A post-process search starts with a
// command; an ordinary one starts with an implicit search.
func CheckSPL(spl string, postProcess bool, macros map[string]string, commands []string) []error {
	expanded, errs := expandMacros(spl, macros, 0)
	if postProcess {
		expanded = "| " + expanded
	}
	for _, cmd := range splCommands(expanded) {
		if !slices.Contains(commands, cmd) {
			errs = append(errs, fmt.Errorf("command %q is neither the app's nor a known Splunk command", cmd))
		}
	}
	return errs
}

// expandMacros replaces `name` and `name(a, b)` outside quoted strings by
// the definition of macro "name" or "name(2)".
func expandMacros(spl string, macros map[string]string, depth int) (string, []error) {
	if depth > 10 {
		return spl, []error{errors.New("macros nest more than 10 deep")}
	}
	var out strings.Builder
	var errs []error
	inQuote := false
	for i := 0; i < len(spl); i++ {
		ch := spl[i]
		switch {
		case ch == '\\' && inQuote && i+1 < len(spl):
			out.WriteByte(ch)
			i++
			out.WriteByte(spl[i])
			continue
		case ch == '"':
			inQuote = !inQuote
		case ch == '`' && !inQuote:
			end := strings.IndexByte(spl[i+1:], '`')
			if end < 0 {
				return spl, append(errs, fmt.Errorf("unclosed macro quote at byte %d", i))
			}
			call := spl[i+1 : i+1+end]
			i += end + 1
			name, args, hasArgs := strings.Cut(call, "(")
			key := name
			if hasArgs {
				key = fmt.Sprintf("%s(%d)", name, len(strings.Split(strings.TrimSuffix(args, ")"), ",")))
			}
			def, ok := macros[key]
			if !ok {
				errs = append(errs, fmt.Errorf("macro `%s` is not defined in macros.conf (as [%s])", call, key))
				continue
			}
			sub, e := expandMacros(def, macros, depth+1)
			errs = append(errs, e...)
			out.WriteString(" " + sub + " ")
			continue
		}
		out.WriteByte(ch)
	}
	return out.String(), errs
}

// splCommands returns the command names of a macro-free search: the first
// word after each "|" outside quotes, and of each subsearch that starts
// with "|". The leading implicit search has no name to check.
func splCommands(spl string) []string {
	var cmds []string
	inQuote := false
	for i := 0; i < len(spl); i++ {
		switch ch := spl[i]; {
		case ch == '\\' && inQuote:
			i++
		case ch == '"':
			inQuote = !inQuote
		case ch == '|' && !inQuote:
			rest := strings.TrimLeft(spl[i+1:], " \t\r\n")
			end := strings.IndexAny(rest, " \t\r\n|]")
			if end < 0 {
				end = len(rest)
			}
			if w := rest[:end]; w != "" {
				cmds = append(cmds, w)
			}
		}
	}
	return cmds
}
