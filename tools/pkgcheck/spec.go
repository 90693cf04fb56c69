package main

import (
	"regexp"
	"slices"
	"strings"

	"github.com/kubeprivpod/kubeprivpod/tools/conf"
)

// A spec says which settings a .conf file allows. The names come from the
// Splunk 9.0.1 .spec files (README/<file>.spec); <name> and <N> stand for
// any name or number. Deprecated settings are left out on purpose.
type spec interface {
	allows(s *conf.Stanza, key string, inputKeys []string) bool
}

// keySet allows the same settings in every stanza.
type keySet struct{ re *regexp.Regexp }

func keys(names ...string) keySet {
	alts := make([]string, len(names))
	for i, n := range names {
		q := regexp.QuoteMeta(n)
		q = strings.ReplaceAll(q, "<N>", `[0-9]+`)
		q = strings.ReplaceAll(q, "<name>", `[A-Za-z0-9_]+`)
		q = strings.ReplaceAll(q, "<any>", `.+`)
		alts[i] = q
	}
	return keySet{regexp.MustCompile(`^(?:` + strings.Join(alts, "|") + `)$`)}
}

func (k keySet) allows(_ *conf.Stanza, key string, _ []string) bool { return k.re.MatchString(key) }

// perStanza allows settings by stanza name, as app.conf's spec does.
type perStanza map[string]keySet

func (p perStanza) allows(s *conf.Stanza, key string, _ []string) bool {
	k, ok := p[s.Name]
	return ok && k.allows(s, key, nil)
}

// commandsSpec allows, for chunked commands, only the settings splunkd
// honours with chunked = true.
type commandsSpec struct{}

var (
	chunkedKeys = keys("chunked", "filename", "is_risky", "maxwait", "maxchunksize", "command.arg.<N>", "python.version", "run_in_preview")
	legacyKeys  = keys("type", "python.version", "filename", "local", "perf_warn_limit", "streaming", "maxinputs", "passauth",
		"run_in_preview", "enableheader", "retainsevents", "generating", "generates_timeorder", "overrides_timeorder",
		"requires_preop", "streaming_preop", "required_fields", "supports_multivalues", "supports_getinfo", "supports_rawargs",
		"undo_scheduler_escaping", "requires_srinfo", "needs_empty_results", "changes_colorder", "outputheader",
		"clear_required_fields", "stderr_dest", "is_order_sensitive", "is_risky", "chunked", "pass_timezone")
)

func (commandsSpec) allows(s *conf.Stanza, key string, _ []string) bool {
	if v, _ := s.Get("chunked"); v == "true" || v == "1" {
		return chunkedKeys.allows(s, key, nil)
	}
	return legacyKeys.allows(s, key, nil)
}

// inputsSpec allows the settings every input takes and the parameters the
// app's README/inputs.conf.spec declares.
type inputsSpec struct{}

var inputGeneric = keys("host", "index", "source", "sourcetype", "queue", "disabled", "interval", "python.version",
	"start_by_shell", "passAuth", "_TCP_ROUTING", "_SYSLOG_ROUTING", "_INDEX_AND_FORWARD_ROUTING", "_rcvbuf",
	"run_introspection", "send_index_as_argument_for_path")

func (inputsSpec) allows(s *conf.Stanza, key string, inputKeys []string) bool {
	return inputGeneric.allows(s, key, nil) || slices.Contains(inputKeys, key)
}

var specs = map[string]spec{
	"app.conf": perStanza{
		"launcher":             keys("version", "description", "author", "remote_tab"),
		"package":              keys("id", "check_for_updates", "show_upgrade_notification"),
		"install":              keys("state", "state_change_requires_restart", "is_configured", "build", "allows_disable", "install_source_checksum", "install_source_local_checksum"),
		"ui":                   keys("is_visible", "show_in_nav", "label", "docs_section_override", "attribution_link", "setup_view", "supported_themes", "is_manageable"),
		"id":                   keys("group", "name", "version"),
		"triggers":             keys("reload.<name>"),
		"shclustering":         keys("deployer_lookups_push_mode", "deployer_push_mode"),
		"diag":                 keys("extension_script", "data_limit", "default_gather_lookups"),
		"credentials_settings": keys("verify_script", "file_name"),
	},
	"commands.conf": commandsSpec{},
	"macros.conf":   keys("args", "definition", "iseval", "validation", "errormsg", "description"),

	// The allowlist lookup's definitions (lookups/kubeprivpod_allowlist.csv).
	"transforms.conf": keys("filename", "match_type", "max_matches", "min_matches", "default_match", "case_sensitive_match"),

	"searchbnf.conf": keys("syntax", "simplesyntax", "alias", "description", "shortdesc", "example<N>", "comment<N>",
		"usage", "tags", "maintainer", "appears-in", "related", "category"),
	"default.meta": keys("access", "export", "owner", "version", "modtime", "import"),
	"inputs.conf":  inputsSpec{},
	"props.conf": keys("description", "category", "pulldown_type", "KV_MODE", "AUTO_KV_JSON", "KV_TRIM_SPACES",
		"INDEXED_EXTRACTIONS", "SHOULD_LINEMERGE", "LINE_BREAKER", "LINE_BREAKER_LOOKBEHIND", "BREAK_ONLY_BEFORE",
		"BREAK_ONLY_BEFORE_DATE", "MUST_BREAK_AFTER", "MUST_NOT_BREAK_AFTER", "MUST_NOT_BREAK_BEFORE", "MAX_EVENTS",
		"TRUNCATE", "EVENT_BREAKER_ENABLE", "EVENT_BREAKER", "TIME_PREFIX", "TIME_FORMAT", "MAX_TIMESTAMP_LOOKAHEAD",
		"TZ", "TZ_ALIAS", "DATETIME_CONFIG", "MAX_DAYS_AGO", "MAX_DAYS_HENCE", "MAX_DIFF_SECS_AGO", "MAX_DIFF_SECS_HENCE",
		"ADD_EXTRA_TIME_FIELDS", "NO_BINARY_CHECK", "CHARSET", "ANNOTATE_PUNCT", "SEGMENTATION", "SEDCMD-<name>",
		"TRANSFORMS-<name>", "REPORT-<name>", "EXTRACT-<name>", "FIELDALIAS-<name>", "EVAL-<any>", "LOOKUP-<name>",
		"KV_MODE", "JSON_TRIM_BRACES_IN_ARRAY_NAMES", "detect_trailing_nulls", "priority", "rename", "sourcetype",
		"HEADER_MODE", "TIMESTAMP_FIELDS", "FIELD_DELIMITER", "FIELD_QUOTE", "HEADER_FIELD_LINE_NUMBER"),
	"savedsearches.conf": keys(
		"disabled", "search", "dispatchAs", "enableSched", "cron_schedule", "allow_skew", "max_concurrent",
		"realtime_schedule", "schedule_priority", "schedule_window", "schedule_as", "workload_pool",
		"counttype", "relation", "quantity", "alert_condition",
		"action.<name>", "action.<name>.<any>",
		"run_on_startup", "run_n_times",
		"dispatch.ttl", "dispatch.buckets", "dispatch.max_count", "dispatch.max_time", "dispatch.lookups",
		"dispatch.earliest_time", "dispatch.latest_time", "dispatch.index_earliest", "dispatch.index_latest",
		"dispatch.time_format", "dispatch.spawn_process", "dispatch.auto_cancel", "dispatch.auto_pause",
		"dispatch.reduce_freq", "dispatch.allow_partial_results", "dispatch.rt_backfill", "dispatch.indexedRealtime",
		"dispatch.indexedRealtimeOffset", "dispatch.indexedRealtimeMinSpan", "dispatch.rt_maximum_span",
		"dispatch.sample_ratio", "dispatch.rate_limit_retry", "restart_on_searchpeer_add",
		"durable.track_time_type", "durable.lag_time", "durable.backfill_type", "durable.max_backfill_intervals",
		"auto_summarize", "auto_summarize.<any>",
		"alert.suppress", "alert.suppress.period", "alert.suppress.fields", "alert.suppress.group_name",
		"alert.severity", "alert.expires", "alert.digest_mode", "alert.track", "alert.display_view", "alert.managedBy",
		"displayview", "vsid", "is_visible", "description", "request.ui_dispatch_app", "request.ui_dispatch_view",
		"display.<any>", "embed.enabled", "defer_scheduled_searchable_idxc", "skip_scheduled_realtime_idxc",
		"precalculate_required_fields_for_alerts"),
	"indexes.conf": keys("homePath", "coldPath", "thawedPath", "summaryHomePath", "tstatsHomePath", "datatype",
		"frozenTimePeriodInSecs", "maxTotalDataSizeMB", "maxDataSize", "coldToFrozenDir", "coldToFrozenScript",
		"repFactor", "enableDataIntegrityControl", "disabled"),
}
