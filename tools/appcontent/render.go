package appcontent

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Header starts every rendered file, so nobody edits it by hand.
const Header = "# Generated from app/ by ./build.sh conf (go run ./tools/renderconf).\n" +
	"# Edit the YAML under app/, not this file: a test fails when the two differ.\n"

// SavedSearchesConf renders savedsearches.conf: one stanza per detection,
// keys in the order of contentctl v4.4's savedsearches_detections.j2, then
// the single-drilldown keys older Enterprise Security versions read.
func (c *Content) SavedSearchesConf() []byte {
	var b bytes.Buffer
	b.WriteString(Header)
	for _, d := range c.Detections {
		dep := c.deployment(d.Type)
		risk, _ := d.Risk() // validated by Load
		t := d.Tags
		b.WriteString("\n[" + d.StanzaName() + "]\n")
		kv := func(k, v string) { writeSetting(&b, k, v) }
		kv("action.escu", "0")
		kv("action.escu.enabled", "1")
		kv("description", d.Description)
		kv("action.escu.mappings", pyJSON(obj{
			{"cis20", d.CIS()},
			{"kill_chain_phases", d.KillChainPhases()},
			{"mitre_attack", t.MitreAttackID},
			{"nist", d.NIST()},
		}))
		kv("action.escu.data_models", "[]")
		kv("action.escu.eli5", d.Description)
		kv("action.escu.how_to_implement", d.HowToImplement)
		kv("action.escu.known_false_positives", d.KnownFalsePositives)
		kv("action.escu.creation_date", d.Date)
		kv("action.escu.modification_date", d.Date)
		kv("action.escu.confidence", "high")
		kv("action.escu.search_type", "detection")
		kv("action.escu.product", pyJSON(t.Product))
		kv("action.escu.providing_technologies", pyJSON(providingTechnologies(d.Search)))
		kv("action.escu.analytic_story", pyJSON(t.AnalyticStory))
		if dep.AlertAction.RBA.Enabled {
			kv("action.risk", "1")
			kv("action.risk.param._risk_message", t.Message)
			kv("action.risk.param._risk", riskJSON(risk))
			kv("action.risk.param._risk_score", "0")
			kv("action.risk.param.verbose", "0")
		}
		kv("cron_schedule", dep.Scheduling.CronSchedule)
		kv("dispatch.earliest_time", dep.Scheduling.EarliestTime)
		kv("dispatch.latest_time", dep.Scheduling.LatestTime)
		kv("action.correlationsearch.enabled", "1")
		kv("action.correlationsearch.label", d.StanzaName())
		kv("action.correlationsearch.annotations", pyJSON(obj{
			{"analytic_story", t.AnalyticStory},
			{"cis20", d.CIS()},
			{"confidence", t.Confidence},
			{"data_source", d.DataSource},
			{"impact", t.Impact},
			{"kill_chain_phases", d.KillChainPhases()},
			{"mitre_attack", t.MitreAttackID},
			{"nist", d.NIST()},
			{"type", d.Type},
			{"type_list", []string{d.Type}},
		}))
		kv("action.correlationsearch.metadata", pyJSON(obj{
			{"deprecated", "0"},
			{"detection_id", d.ID},
			{"detection_version", strconv.Itoa(d.Version)},
			{"publish_time", pyFloat(d.PublishTime())},
		}))
		if dep.Scheduling.ScheduleWindow != "" {
			kv("schedule_window", dep.Scheduling.ScheduleWindow)
		}
		kv("alert.digest_mode", "1")
		kv("disabled", "true")
		kv("enableSched", "1")
		kv("allow_skew", "100%")
		kv("counttype", "number of events")
		kv("relation", "greater than")
		kv("quantity", "0")
		kv("realtime_schedule", "0")
		kv("is_visible", "false")
		if th := t.Throttling; th != nil {
			kv("alert.suppress", "true")
			kv("alert.suppress.fields", strings.Join(th.Fields, ","))
			kv("alert.suppress.period", th.Period)
		}
		kv("search", d.Search)
		dds := d.Drilldowns()
		list := []any{}
		for _, dd := range dds {
			o := obj{{"name", dd.Name}, {"search", dd.Search}}
			if dd.EarliestOffset != "" {
				o = append(o, member{"earliest_offset", dd.EarliestOffset})
			}
			if dd.LatestOffset != "" {
				o = append(o, member{"latest_offset", dd.LatestOffset})
			}
			list = append(list, o)
		}
		kv("action.notable.param.drilldown_searches", pyJSON(list))
		// Enterprise Security before 7.3 reads one drilldown from these
		// keys; contentctl up to v4.3 wrote them, v4.4 only the list above.
		if len(dds) > 0 {
			kv("action.notable.param.drilldown_name", dds[0].Name)
			kv("action.notable.param.drilldown_search", dds[0].Search)
			kv("action.notable.param.drilldown_earliest_offset", dds[0].EarliestOffset)
			kv("action.notable.param.drilldown_latest_offset", dds[0].LatestOffset)
		}
	}
	return b.Bytes()
}

// MacrosConf renders macros.conf: the macro files and the generated
// filter macros, sorted by stanza name.
func (c *Content) MacrosConf() []byte {
	var b bytes.Buffer
	b.WriteString(Header)
	for _, m := range c.AllMacros() {
		b.WriteString("\n[" + m.StanzaName() + "]\n")
		if len(m.Arguments) > 0 {
			writeSetting(&b, "args", strings.Join(m.Arguments, ", "))
		}
		writeSetting(&b, "definition", m.Definition)
		writeSetting(&b, "description", m.Description)
	}
	return b.Bytes()
}

// writeSetting writes "key = value", continuing lines of a multi-line
// value with a trailing backslash as .conf files require.
func writeSetting(b *bytes.Buffer, key, value string) {
	value = strings.TrimRight(value, "\n")
	b.WriteString(key + " = " + strings.ReplaceAll(value, "\n", "\\\n") + "\n")
}

// providingTechnologies maps search substrings to products, as contentctl's
// enum does for the one technology this app searches.
func providingTechnologies(search string) []string {
	if strings.Contains(search, "`kube") {
		return []string{"Kubernetes"}
	}
	return []string{}
}

func riskJSON(entries []RiskEntry) string {
	var list []any
	for _, e := range entries {
		if e.RiskObjectField != "" {
			list = append(list, obj{
				{"risk_object_field", e.RiskObjectField},
				{"risk_object_type", e.RiskObjectType},
				{"risk_score", e.RiskScore},
			})
		} else {
			list = append(list, obj{
				{"threat_object_field", e.ThreatObjectField},
				{"threat_object_type", e.ThreatObjectType},
			})
		}
	}
	return pyJSON(list)
}

// obj is a JSON object with its members in order; pyJSON sorts them.
type obj []member

type member struct {
	k string
	v any
}

// pyFloat is a number Python prints with a fractional part, such as the
// float epoch contentctl writes for publish_time.
type pyFloat int64

// pyJSON encodes v as Jinja's tojson does (Python json.dumps with sorted
// keys and ", " / ": " separators, then HTML-safe escapes for & < > '),
// so rendered values match ESCU's text byte for byte.
func pyJSON(v any) string {
	var b strings.Builder
	writePyJSON(&b, v)
	return b.String()
}

func writePyJSON(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		writePyString(b, v)
	case int:
		b.WriteString(strconv.Itoa(v))
	case pyFloat:
		b.WriteString(strconv.FormatInt(int64(v), 10) + ".0")
	case []string:
		b.WriteByte('[')
		for i, s := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyString(b, s)
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyJSON(b, e)
		}
		b.WriteByte(']')
	case obj:
		sorted := slices.Clone(v)
		slices.SortStableFunc(sorted, func(x, y member) int { return strings.Compare(x.k, y.k) })
		b.WriteByte('{')
		for i, m := range sorted {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyString(b, m.k)
			b.WriteString(": ")
			writePyJSON(b, m.v)
		}
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("appcontent: pyJSON of %T", v))
	}
}

// writePyString writes s as json.dumps(ensure_ascii=True) would, plus the
// HTML-safe escapes Jinja's tojson adds.
func writePyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '&', '<', '>', '\'':
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			switch {
			case r >= ' ' && r <= '~':
				b.WriteRune(r)
			case r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				fmt.Fprintf(b, `\u%04x`, r)
			}
		}
	}
	b.WriteByte('"')
}
