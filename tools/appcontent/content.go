// Package appcontent reads the app's detection content, kept as data in
// app/ in splunk/security_content's YAML shape, and renders the
// savedsearches.conf and macros.conf stanzas the way ESCU's contentctl
// (v4.4) renders them, so the YAML is the one source of truth.
//
// Only what this app's detections use is rendered: scheduling from the
// deployment of the detection's type, the risk-based alerting action,
// drilldown searches and throttling; notable events, email, Slack and
// SOAR actions are not.
package appcontent

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Detection is one detection file, app/detections/*.yml.
type Detection struct {
	Name                string      `yaml:"name"`
	ID                  string      `yaml:"id"`
	Version             int         `yaml:"version"`
	Date                string      `yaml:"date"`
	Author              string      `yaml:"author"`
	Status              string      `yaml:"status"`
	Type                string      `yaml:"type"`
	Description         string      `yaml:"description"`
	DataSource          []string    `yaml:"data_source"`
	Search              string      `yaml:"search"`
	HowToImplement      string      `yaml:"how_to_implement"`
	KnownFalsePositives string      `yaml:"known_false_positives"`
	References          []string    `yaml:"references"`
	DrilldownSearches   []Drilldown `yaml:"drilldown_searches"`
	Tags                Tags        `yaml:"tags"`

	File string `yaml:"-"` // path inside app/, for errors
}

// Tags is a detection's tags block.
type Tags struct {
	AnalyticStory  []string     `yaml:"analytic_story"`
	AssetType      string       `yaml:"asset_type"`
	Confidence     int          `yaml:"confidence"`
	Impact         int          `yaml:"impact"`
	Message        string       `yaml:"message"`
	MitreAttackID  []string     `yaml:"mitre_attack_id"`
	Observable     []Observable `yaml:"observable"`
	Product        []string     `yaml:"product"`
	RequiredFields []string     `yaml:"required_fields"`
	// OutputFields lists the columns the search returns. It is this app's
	// addition to the shape: it lets the loader check that the risk message
	// and the observables name real fields.
	OutputFields   []string    `yaml:"output_fields"`
	RiskScore      int         `yaml:"risk_score"`
	SecurityDomain string      `yaml:"security_domain"`
	Throttling     *Throttling `yaml:"throttling"`
}

// Drilldown is a search Enterprise Security offers an analyst from a
// finding. %original_detection_search% in Search stands for the
// detection's search; $field$ tokens take the finding's values.
type Drilldown struct {
	Name           string `yaml:"name"`
	Search         string `yaml:"search"`
	EarliestOffset string `yaml:"earliest_offset"`
	LatestOffset   string `yaml:"latest_offset"`
}

// Throttling suppresses repeated alerts: results with the same values of
// Fields fire once per Period (alert.suppress.*).
type Throttling struct {
	Fields []string `yaml:"fields"`
	Period string   `yaml:"period"`
}

// DrilldownPlaceholder is replaced by the detection's search in a
// drilldown's search, as contentctl does.
const DrilldownPlaceholder = "%original_detection_search%"

// Drilldowns returns the drilldown searches with the placeholder replaced.
func (d *Detection) Drilldowns() []Drilldown {
	out := make([]Drilldown, len(d.DrilldownSearches))
	for i, dd := range d.DrilldownSearches {
		dd.Search = strings.ReplaceAll(dd.Search, DrilldownPlaceholder, d.Search)
		out[i] = dd
	}
	return out
}

// Observable is a field of the search's result that names an entity.
type Observable struct {
	Name string   `yaml:"name"`
	Type string   `yaml:"type"`
	Role []string `yaml:"role"`
}

// Macro is one macro file, app/macros/*.yml, or a detection's generated
// filter macro.
type Macro struct {
	Name        string   `yaml:"name"`
	Arguments   []string `yaml:"arguments"`
	Definition  string   `yaml:"definition"`
	Description string   `yaml:"description"`
}

// Deployment is one file of app/deployments/: how detections of a type run.
type Deployment struct {
	Name       string `yaml:"name"`
	Type       string `yaml:"type"`
	Scheduling struct {
		CronSchedule   string `yaml:"cron_schedule"`
		EarliestTime   string `yaml:"earliest_time"`
		LatestTime     string `yaml:"latest_time"`
		ScheduleWindow string `yaml:"schedule_window"`
	} `yaml:"scheduling"`
	AlertAction struct {
		RBA struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"rba"`
	} `yaml:"alert_action"`
}

// Story is one file of app/stories/.
type Story struct {
	Name        string `yaml:"name"`
	ID          string `yaml:"id"`
	Description string `yaml:"description"`
}

// Content is everything in app/.
type Content struct {
	Detections  []*Detection // sorted by name
	Macros      []*Macro     // the macro files, sorted by name
	Deployments []*Deployment
	Stories     []*Story
}

// AppLabel prefixes saved search names, as "ESCU" does for ESCU's, so that
// risk events from this app and from ESCU can be told apart.
const AppLabel = "kubeprivpod"

// ErrInvalid is wrapped by every content validation error.
var ErrInvalid = errors.New("invalid app content")

var (
	uuidRE  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	macroRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	tokenRE = regexp.MustCompile(`\$([^$]+)\$`)
	// periodRE is contentctl's pattern for a throttling period.
	periodRE = regexp.MustCompile(`^[0-9]+[smh]$`)
)

// offsetTokens are the tokens ES fills in a drilldown besides the
// finding's fields: the detection's own search window.
var offsetTokens = []string{"info_min_time", "info_max_time"}

// Load reads and validates the content under fsys, which is rooted at the
// app/ folder. Unknown YAML keys are errors, so a typo cannot silently drop
// a setting.
func Load(fsys fs.FS) (*Content, error) {
	c := &Content{}
	if err := loadDir(fsys, "stories", &c.Stories); err != nil {
		return nil, err
	}
	if err := loadDir(fsys, "deployments", &c.Deployments); err != nil {
		return nil, err
	}
	if err := loadDir(fsys, "macros", &c.Macros); err != nil {
		return nil, err
	}
	if err := loadDir(fsys, "detections", &c.Detections); err != nil {
		return nil, err
	}
	if len(c.Detections) == 0 {
		return nil, fmt.Errorf("%w: no detections in detections/", ErrInvalid)
	}
	slices.SortFunc(c.Detections, func(a, b *Detection) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(c.Macros, func(a, b *Macro) int { return strings.Compare(a.Name, b.Name) })
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func loadDir[T any](fsys fs.FS, dir string, out *[]*T) error {
	names, err := fs.Glob(fsys, dir+"/*.yml")
	if err != nil {
		return err
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		v := new(T)
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
		}
		if d, ok := any(v).(*Detection); ok {
			d.File = name
		}
		*out = append(*out, v)
	}
	return nil
}

func (c *Content) validate() error {
	ids := map[string]string{}
	macros := map[string]bool{}
	for _, m := range c.Macros {
		if !macroRE.MatchString(m.Name) || m.Definition == "" || m.Description == "" {
			return fmt.Errorf("%w: macro %q needs a name of letters, digits, _ and -, a definition and a description", ErrInvalid, m.Name)
		}
		macros[m.Name] = true
	}
	for _, d := range c.Detections {
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%w: %s: %s", ErrInvalid, d.File, fmt.Sprintf(format, a...))
		}
		switch {
		case d.Name == "" || d.Description == "" || d.Search == "" || d.HowToImplement == "" || d.KnownFalsePositives == "":
			return bad("name, description, search, how_to_implement and known_false_positives are required")
		case !uuidRE.MatchString(d.ID):
			return bad("id %q is not a lower-case UUID", d.ID)
		case ids[d.ID] != "":
			return bad("id %s also used by %s", d.ID, ids[d.ID])
		case d.Version < 1:
			return bad("version must be a positive integer")
		case c.deployment(d.Type) == nil:
			return bad("no deployment in deployments/ for type %q", d.Type)
		}
		ids[d.ID] = d.File
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
			return bad("date %q is not YYYY-MM-DD", d.Date)
		}
		t := d.Tags
		// contentctl computes round(confidence*impact/100); Python rounds half to even.
		if want := int(math.RoundToEven(float64(t.Confidence*t.Impact) / 100)); t.RiskScore != want {
			return bad("risk_score %d, but round(confidence*impact/100) = %d", t.RiskScore, want)
		}
		if t.Message == "" || len(t.AnalyticStory) == 0 || len(t.MitreAttackID) == 0 || len(t.OutputFields) == 0 {
			return bad("tags need message, analytic_story, mitre_attack_id and output_fields")
		}
		for _, s := range t.AnalyticStory {
			if !slices.ContainsFunc(c.Stories, func(st *Story) bool { return st.Name == s }) {
				return bad("analytic_story %q has no file in stories/", s)
			}
		}
		for _, id := range t.MitreAttackID {
			if _, ok := techniqueTactics[id]; !ok {
				return bad("mitre_attack_id %s is not in this package's technique table", id)
			}
		}
		for _, m := range tokenRE.FindAllStringSubmatch(t.Message, -1) {
			if !slices.Contains(t.OutputFields, m[1]) {
				return bad("message uses $%s$, which is not in output_fields", m[1])
			}
		}
		if _, err := d.Risk(); err != nil {
			return bad("%v", err)
		}
		if err := d.validateDrilldowns(); err != nil {
			return bad("%v", err)
		}
		if th := t.Throttling; th != nil {
			if len(th.Fields) == 0 || !periodRE.MatchString(th.Period) {
				return bad("throttling needs fields and a period such as 3600s, 60m or 24h")
			}
			for _, f := range th.Fields {
				if !slices.Contains(t.OutputFields, f) {
					return bad("throttling field %s is not in output_fields", f)
				}
			}
		}
		suffix := "| `" + d.FilterMacro() + "`"
		if !strings.HasSuffix(d.Search, suffix) {
			return bad("search must end with %s", suffix)
		}
		if macros[d.FilterMacro()] {
			return bad("filter macro %s is generated; remove its file from macros/", d.FilterMacro())
		}
		// ES limits a correlation search label, in the form it stores it, to 99 characters.
		if n := len(t.SecurityDomain + " - " + d.StanzaName() + " - Rule"); n > 99 {
			return bad("saved search name too long for ES (%d > 99 characters)", n)
		}
	}
	return nil
}

// validateDrilldowns applies contentctl's rules (a name of at least 5
// characters, a search, and the placeholder in at least one search) and
// checks that every $token$ is a result field or a search-window token, so
// a drilldown cannot silently search for a literal "$usr$".
func (d *Detection) validateDrilldowns() error {
	if len(d.DrilldownSearches) == 0 {
		return nil
	}
	placeholder := false
	for i, dd := range d.DrilldownSearches {
		if len(dd.Name) < 5 || dd.Search == "" {
			return fmt.Errorf("drilldown_searches[%d] needs a name of at least 5 characters and a search", i)
		}
		placeholder = placeholder || strings.Contains(dd.Search, DrilldownPlaceholder)
		for _, s := range []string{dd.Name, dd.Search, dd.EarliestOffset, dd.LatestOffset} {
			for _, m := range tokenRE.FindAllStringSubmatch(s, -1) {
				if !slices.Contains(d.Tags.OutputFields, m[1]) && !slices.Contains(offsetTokens, m[1]) {
					return fmt.Errorf("drilldown_searches[%d] uses $%s$, which is not in output_fields", i, m[1])
				}
			}
		}
	}
	if !placeholder {
		return fmt.Errorf("no drilldown search contains %s", DrilldownPlaceholder)
	}
	return nil
}

func (c *Content) deployment(typ string) *Deployment {
	for _, d := range c.Deployments {
		if d.Type == typ {
			return d
		}
	}
	return nil
}

// StanzaName is the saved search's name: "<app label> - <name> - Rule".
func (d *Detection) StanzaName() string { return AppLabel + " - " + d.Name + " - Rule" }

// FilterMacro is the name of the detection's tuning macro, derived from its
// name as contentctl does: lower case, runs of other characters as "_".
func (d *Detection) FilterMacro() string {
	var b strings.Builder
	for _, r := range strings.ToLower(d.Name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String() + "_filter"
}

// AllMacros returns the macro files and every detection's filter macro,
// sorted by name: the content of macros.conf.
func (c *Content) AllMacros() []*Macro {
	all := slices.Clone(c.Macros)
	for _, d := range c.Detections {
		all = append(all, &Macro{
			Name:        d.FilterMacro(),
			Definition:  "search *",
			Description: "Update this macro to limit the output results to filter out false positives.",
		})
	}
	slices.SortFunc(all, func(a, b *Macro) int { return strings.Compare(a.StanzaName(), b.StanzaName()) })
	return all
}

// StanzaName is the macros.conf stanza: the name, with "(N)" for N arguments.
func (m *Macro) StanzaName() string {
	if len(m.Arguments) == 0 {
		return m.Name
	}
	return fmt.Sprintf("%s(%d)", m.Name, len(m.Arguments))
}

// Risk object and threat object types by observable type, as ES names them.
var (
	riskObjectTypes   = map[string]string{"User": "user", "Hostname": "system", "IP Address": "system", "Endpoint": "system"}
	threatObjectTypes = map[string]string{"IP Address": "ip_address", "URL String": "url", "Process": "process", "File Name": "file_name", "Hostname": "domain"}
)

// RiskEntry is one element of the _risk JSON array.
type RiskEntry struct {
	RiskObjectField   string `json:"risk_object_field,omitempty"`
	RiskObjectType    string `json:"risk_object_type,omitempty"`
	RiskScore         int    `json:"risk_score,omitempty"`
	ThreatObjectField string `json:"threat_object_field,omitempty"`
	ThreatObjectType  string `json:"threat_object_type,omitempty"`
}

// Risk returns the risk objects (observables with role Victim) and the
// threat objects (role Attacker) of the detection, in observable order.
func (d *Detection) Risk() ([]RiskEntry, error) {
	var out []RiskEntry
	for _, o := range d.Tags.Observable {
		if !slices.Contains(d.Tags.OutputFields, o.Name) {
			return nil, fmt.Errorf("observable %s is not in output_fields", o.Name)
		}
		switch {
		case slices.Contains(o.Role, "Victim"):
			t, ok := riskObjectTypes[o.Type]
			if !ok {
				return nil, fmt.Errorf("observable %s: no risk object type for %q", o.Name, o.Type)
			}
			out = append(out, RiskEntry{RiskObjectField: o.Name, RiskObjectType: t, RiskScore: d.Tags.RiskScore})
		case slices.Contains(o.Role, "Attacker"):
			t, ok := threatObjectTypes[o.Type]
			if !ok {
				return nil, fmt.Errorf("observable %s: no threat object type for %q", o.Name, o.Type)
			}
			out = append(out, RiskEntry{ThreatObjectField: o.Name, ThreatObjectType: t})
		default:
			return nil, fmt.Errorf("observable %s: role must include Victim or Attacker", o.Name)
		}
	}
	if !slices.ContainsFunc(out, func(e RiskEntry) bool { return e.RiskObjectField != "" }) {
		return nil, errors.New("no observable with role Victim, so no risk object")
	}
	return out, nil
}

// techniqueTactics holds the MITRE ATT&CK tactics of the techniques this
// content uses (enterprise matrix); contentctl reads them from MITRE's data.
var techniqueTactics = map[string][]string{
	"T1204": {"Execution"},
	"T1610": {"Defense Evasion", "Execution"},
	"T1611": {"Privilege Escalation"},
}

// killChain maps an ATT&CK tactic to a Lockheed kill chain phase, as
// contentctl's ATTACK_TACTICS_KILLCHAIN_MAPPING does.
var killChain = map[string]string{
	"Reconnaissance":       "Reconnaissance",
	"Resource Development": "Weaponization",
	"Initial Access":       "Delivery",
	"Execution":            "Installation",
	"Persistence":          "Installation",
	"Privilege Escalation": "Exploitation",
	"Defense Evasion":      "Exploitation",
	"Credential Access":    "Exploitation",
	"Discovery":            "Exploitation",
	"Lateral Movement":     "Exploitation",
	"Collection":           "Exploitation",
	"Command And Control":  "Command and Control",
	"Exfiltration":         "Actions on Objectives",
	"Impact":               "Actions on Objectives",
}

// KillChainPhases returns the sorted, distinct phases of the detection's
// techniques.
func (d *Detection) KillChainPhases() []string {
	var out []string
	for _, id := range d.Tags.MitreAttackID {
		for _, tactic := range techniqueTactics[id] {
			if p := killChain[tactic]; !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}

// NIST is DE.CM for TTP detections and DE.AE otherwise (contentctl's rule).
func (d *Detection) NIST() []string {
	if d.Type == "TTP" {
		return []string{"DE.CM"}
	}
	return []string{"DE.AE"}
}

// CIS is CIS 13 for the network security domain and CIS 10 otherwise.
func (d *Detection) CIS() []string {
	if d.Tags.SecurityDomain == "network" {
		return []string{"CIS 13"}
	}
	return []string{"CIS 10"}
}

// PublishTime is UTC midnight of the detection's date, in epoch seconds.
func (d *Detection) PublishTime() int64 {
	t, _ := time.Parse(time.DateOnly, d.Date) // validated by Load
	return t.Unix()
}
