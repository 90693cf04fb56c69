// Package extended is kubeprivpod's extended detection (mode=extended): it
// reads the pod spec of every write to pods and to the workload objects
// that template pods, and reports each request that asks for a node-escape
// capability Pod Security "baseline" forbids — privileged containers,
// host namespaces, hostPath volumes, added capabilities, Windows
// HostProcess — with who, where, which containers, why and the outcome.
//
// Unlike the default ESCU mode it does not trust the kubectl
// last-applied-configuration annotation: it reads requestObject (for patch,
// responseObject or else the patch document in any of its three forms).
// One request logged at several stages is counted once, from its most
// complete stage, also when the stages reach different map processes.
package extended

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// Columns are the result columns, in order.
var Columns = []string{
	"firstTime", "lastTime", "count", "user", "user_groups", "src_ip", "userAgent",
	"verb", "resource", "subresource", "namespace", "name",
	"owner_kind", "owner_namespace", "owner_name", "workload", "outcome",
	"containers", "images", "reasons", "changed", "risk_score", "message",
}

// Blind-write flags: why a pod-spec write could not be judged.
const (
	blindNoBody    uint8 = 1 << iota // logged without a body (level Metadata or None for the body)
	blindTruncated                   // truncated by the API server or by Splunk
)

// Detector is one run of the extended detection. Use New.
type Detector struct {
	in  inspector
	pin inspector // of a patch document whose result the event also holds

	// Findings of keyed requests, one per request, and of requests whose
	// events carry no audit ID (each its own request), sharing the stored
	// findings and origins of intern.
	keyed   map[reqKey]request
	unkeyed []request
	intern  interner
	cand    record   // the finding being added; its strings alias the event
	keyBuf  []byte   // keyOf's
	keyText []byte   // the request key of the event being judged (auditKeyInto)
	specBuf []byte   // judgedCode's
	texts   []string // candidate's clauses of the message
	// specSums memoizes judgedCode's fingerprints by the code they are
	// of (a workload's pods and stages repeat it), holding specBytes
	// bytes of it.
	specSums  map[string]string
	specBytes int
	// unquoted is AddCSVField's buffer: the event, or its prefix, with
	// its CSV quoting removed.
	unquoted []byte
	// runs keeps, for preCSV, the members between a write's verb and
	// its objectRef that clients repeat (a few hundred KB at most).
	runs jsonscan.RunCache
	// hint is what AddCSVField's walk found of the event it hands on:
	// quickWatch's answer when not nil, and with hintNoName, that
	// mayFind and mayPatchCode are false.
	hint       *watched
	hintNoName bool

	// Pod-spec writes without a body, by request key, and those without
	// a key.
	blind      map[reqKey]uint8
	blindNoKey [2]int // [0] no body, [1] truncated

	nonJSON int

	// JSON objects that are neither audit events nor a known envelope,
	// and the top-level keys of one of them (the least, so that the
	// message does not depend on the order or split of the events).
	unknown     int
	unknownKeys string

	// exhaustive turns the pre-filter's shortcuts off (quickWatch, mayFind,
	// quickHasBody), so tests can check that they never change a finding.
	exhaustive bool

	buf bytes.Buffer // Flush's encoding buffer

	// rows is the result's groups in row order, built by the first
	// Result or WriteRows after the last finding was added.
	rows *sortedRows
}

var _ detect.Detector = (*Detector)(nil)

// New returns an empty detector.
func New() *Detector {
	d := &Detector{}
	d.reset()
	return d
}

// reset forgets everything added.
func (d *Detector) reset() {
	d.keyed = map[reqKey]request{}
	d.unkeyed = nil
	d.rows = nil
	d.intern.reset()
	d.blind = map[reqKey]uint8{}
	d.blindNoKey = [2]int{}
	d.nonJSON = 0
	d.unknown, d.unknownKeys = 0, ""
}

// AddEvent offers one event (Splunk's _raw): a Kubernetes audit.k8s.io
// Event, a GKE Cloud Audit Log entry, or one of the envelopes cloud
// pipelines wrap them in (see envelope.go), or a JSON array of those.
// Audit events that cannot change a pod spec cost a scan of their first
// few members and no allocation.
func (d *Detector) AddEvent(raw []byte) {
	d.inner(view(raw), 0)
}

// trimBlank drops the JSON whitespace around an event.
func trimBlank(s string) string {
	for len(s) > 0 && jsonscan.IsBlank(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && jsonscan.IsBlank(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// event routes one JSON object; depth counts the envelopes around it.
// The pre-filter reads the verb, which the API server writes early, and
// for writes the objectRef next to it: that rules out nearly every audit
// event (reads, leases, configmaps, core events) near the start of the
// event (quickWatch, with gjson as the fallback). Of the rest, only
// events whose bytes can spell a node-escape field are walked, and only
// those that would count are validated. Objects without a verb are looked
// at as envelopes (envelope.go), and counted when they are none.
func (d *Detector) event(s string, depth int) {
	var w *watched
	noName, hinted := false, false
	if d.hint != nil && depth == 0 {
		w, noName, hinted = d.hint, d.hintNoName, true
		d.hint = nil
	} else {
		switch q, ok := quickWatch(s); {
		case !ok || d.exhaustive:
			// Not in the plain shape quickWatch reads: ask gjson.
		case q == notWatched:
			return
		default:
			w = q
		}
	}
	var verb gjson.Result
	if w == nil {
		verb = gjson.Get(s, "verb")
	}
	if w != nil || verb.Exists() {
		if w == nil {
			if verb.Type != gjson.String || !isWriteVerb(verb.Str) {
				return
			}
			ref := gjson.Get(s, "objectRef")
			if w = lookupResource(ref.Get("resource").Str, ref.Get("subresource").Str, ref.Get("apiGroup").Str); w == nil {
				return
			}
		}
		// A hint without noName says the quoted cell may spell a field
		// (mayFindCSV): mayFind on the unquoted text nearly always agrees,
		// and judging without asking it is what the exhaustive path does,
		// with the same findings.
		may := d.exhaustive || !noName && (hinted || mayFind(s) || mayPatchCode(s))
		if !may {
			if has, ok := quickHasBody(s); ok && has {
				return
			}
		}
		e := event{keyBuf: &d.keyText}
		parseAudit(s, &e)
		e.watch = w
		d.judge(&e, may)
		return
	}
	if !d.envelope(s, depth) {
		d.unrecognized(s)
	}
}

// notObject counts an event that is not a JSON object. When its readable
// start shows a pod-spec write at a stage that carries the body, it was
// most likely cut by Splunk's TRUNCATE limit, and is counted as a write
// that could not be judged instead.
func (d *Detector) notObject(s string) {
	if len(s) > 0 && s[0] == '{' {
		verb := gjson.Get(s, "verb")
		ref := gjson.Get(s, "objectRef")
		if verb.Type == gjson.String && isWriteVerb(verb.Str) &&
			lookupResource(ref.Get("resource").Str, ref.Get("subresource").Str, ref.Get("apiGroup").Str) != nil {
			stage := gjson.Get(s, "stage").Str
			if !bodyExpected(stage) {
				d.nonJSON++ // a broken early stage: nothing to judge either way
				return
			}
			f := gjson.GetMany(s, "auditID", "user.username", "requestURI", "requestReceivedTimestamp")
			d.markBlind(auditKey(f[0].Str, f[1].Str, f[2].Str, f[3].Str), blindTruncated)
			return
		}
	}
	d.nonJSON++
}

func (d *Detector) markBlind(key string, flag uint8) {
	if key == "" {
		if flag == blindTruncated {
			d.blindNoKey[1]++
		} else {
			d.blindNoKey[0]++
		}
		return
	}
	d.blind[keyOf(&d.keyBuf, key)] |= flag
}

// judge inspects the body of a pod-spec write and records a finding. When
// may is false the event cannot hold a node-escape field (see mayFind), so
// only whether it has a body matters.
func (d *Detector) judge(e *event, may bool) {
	body := e.body()
	if !body.Exists() {
		e.readAnnotations()
		// A write refused before its body was decoded is not blind: no
		// audit level would show more of it.
		if bodyExpected(e.stage) && !e.refusedUndecoded() {
			if !e.valid() {
				d.notObject(e.raw)
				return
			}
			flag := blindNoBody
			if e.truncated {
				flag = blindTruncated
			}
			d.markBlind(e.key, flag)
		}
		return
	}
	if !may {
		return
	}
	d.in.reset()
	d.in.valid = e.validated
	switch {
	case body.IsArray():
		d.in.jsonPatch(body, e.watch.spec)
	case e.sub == ephemeralSubresource && body.Get("kind").Str == "EphemeralContainers":
		// Before Kubernetes 1.22 this subresource took an EphemeralContainers
		// object: the list at its top level, no pod spec around it.
		d.in.podSpec(body)
	default:
		e.inspectObject(&d.in, body)
	}
	if len(d.in.facts) == 0 {
		d.pendingPatch(e, body)
		return
	}
	changed, keep := d.patchChanges(e, body)
	if !keep {
		return
	}
	// Validate only now: a broken event is worth a full pass only when it
	// would count, so that what a finding or a blind write rests on is JSON.
	if !e.valid() {
		d.notObject(e.raw)
		return
	}
	r := d.candidate(e, body, changed)
	r.coerceUTF8()
	d.add(r, false)
	d.cand.forget()
}

// candidate fills d.cand with the finding of e. Its strings alias the
// event: add copies what it keeps.
func (d *Detector) candidate(e *event, body gjson.Result, changed []string) *record {
	r := &d.cand
	*r = record{
		Key:        e.key,
		Rank:       stageRank(e.stage)*2 + boolInt(e.hasCode),
		Time:       e.time,
		User:       e.user,
		Groups:     strs(r.Groups[:0], e.groups, e.validated),
		IPs:        strs(r.IPs[:0], e.ips, e.validated),
		UserAgent:  e.userAgent,
		Verb:       e.verb,
		Resource:   e.resource,
		Sub:        e.sub,
		Namespace:  e.namespace,
		Name:       e.name,
		Outcome:    e.outcome(),
		Containers: r.Containers[:0],
		Images:     r.Images[:0],
		Reasons:    r.Reasons[:0],
		Changed:    append(r.Changed[:0], changed...),
		// gjson decodes the escapes of plain text into valid UTF-8.
		ascii: e.plain,
	}
	if e.hasCode {
		r.Code = e.code
	}
	obj := body
	if !obj.IsObject() {
		obj = e.request
	}
	resp := e.response
	if !resp.IsObject() || isStatus(resp) {
		resp = gjson.Result{}
	}
	if r.Namespace == "" {
		r.Namespace = firstString(e.metaGet(resp, mNamespace), e.metaGet(obj, mNamespace))
	}
	if r.Name == "" {
		r.Name = firstString(e.metaGet(resp, mName), e.metaGet(obj, mName))
	}
	r.Owner = e.owner(resp)
	if r.Owner == "" && obj.IsObject() {
		r.Owner = e.owner(obj)
	}
	if r.Verb == "update" && e.request.IsObject() {
		r.BaseRV = e.metaGet(e.request, mResourceVersion).Str
	}
	if r.Outcome == OutcomeAllowed {
		r.NewRV = e.metaGet(resp, mResourceVersion).Str
	}
	facts := d.in.sorted()
	texts := d.texts[:0]
	if len(changed) > 0 {
		texts = append(texts, d.changeClause(changed))
	}
	podLevel := false
	for _, f := range facts {
		texts = append(texts, f.text)
		if f.container == "" {
			podLevel = true
		} else if !contains(r.Containers, f.container) {
			r.Containers = append(r.Containers, f.container)
		}
		if !contains(r.Reasons, f.reason) {
			r.Reasons = append(r.Reasons, f.reason)
		}
		r.Risk = max(r.Risk, f.score)
	}
	r.Detail = strings.Join(texts, "; ")
	clear(texts) // keep no clause alive past the finding
	d.texts = texts
	r.Images, r.Spec = d.judgedCode(r.Images, r.Containers, podLevel)
	r.Nano = parseTime(r.Time)
	return r
}

func firstString(rs ...gjson.Result) string {
	for _, r := range rs {
		if r.Type == gjson.String && r.Str != "" {
			return r.Str
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// timeLayouts are the timestamp forms seen in audit events and envelopes.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

// parseTime returns a timestamp's Unix nanoseconds, or 0 when it has none
// or an unknown form (such rows sort first and keep the text as logged).
func parseTime(s string) int64 {
	if s == "" {
		return 0
	}
	if nano, _, ok := utcStamp(s); ok {
		return nano
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixNano()
		}
	}
	return 0
}

// add stores a finding, keeping one per request: the most complete stage,
// and among equally complete ones a fixed choice, so the result does not
// depend on the order or the process in which stages arrive.
// r's strings may alias the input; r.Key is the request key, or with
// hashed true already its String form.
func (d *Detector) add(r *record, hashed bool) {
	d.rows = nil
	if r.Key == "" {
		d.unkeyed = append(d.unkeyed, d.request(r))
		return
	}
	var k reqKey
	if hashed {
		k, _ = parseReqKey(r.Key)
	} else {
		k = keyOf(&d.keyBuf, r.Key)
	}
	old, ok := d.keyed[k]
	if ok && !r.better(&old) {
		return
	}
	d.keyed[k] = d.request(r)
	if ok {
		d.intern.release(old.fin)
	}
}

// request stores what the dedupe and the result need of r.
func (d *Detector) request(r *record) request {
	t, f := newStamp(r.Time, r.Nano)
	q := request{
		fin: d.intern.finding(r), org: d.intern.origin(r),
		time: t, form: f, code: r.Code, rank: int32(r.Rank),
	}
	if r.BaseRV != "" || r.NewRV != "" {
		q.ver = newVersions(r.BaseRV, r.NewRV)
	}
	return q
}

// Messages returns the warnings of the run: events that were not JSON,
// JSON objects that were not audit events in a known envelope, and
// pod-spec writes that could not be judged for lack of a request body.
func (d *Detector) Messages() []string {
	var msgs []string
	if d.nonJSON > 0 {
		what := " events that are not JSON objects"
		if d.nonJSON == 1 {
			what = " event that is not a JSON object"
		}
		msgs = append(msgs, "kubeprivpod mode=extended skipped "+strconv.Itoa(d.nonJSON)+what+
			" (not Kubernetes audit events, or cut short)")
	}
	if d.unknown > 0 {
		msgs = append(msgs, "kubeprivpod mode=extended ignored "+plural(d.unknown, "JSON object that is", "JSON objects that are")+
			" neither a Kubernetes audit event nor a known envelope of one (one has the top-level keys: "+d.unknownKeys+
			"): if they hold audit events, send the events themselves or one of the envelopes docs/extended.md lists")
	}
	noBody, truncated := d.blindCounts()
	if n := noBody + truncated; n > 0 {
		// Name only the remedies that apply: a higher audit level shows
		// nothing of a truncated event, and a size limit nothing of one
		// logged at level Metadata.
		var fix []string
		if noBody > 0 {
			fix = append(fix, "set the audit policy level to Request or RequestResponse for pods, pods/ephemeralcontainers, "+
				"podtemplates, replicationcontrollers, replicasets, deployments, statefulsets, daemonsets, jobs and cronjobs")
		}
		if truncated > 0 {
			fix = append(fix, "keep such events below the API server's --audit-log-truncate-max-event-size and Splunk's TRUNCATE limit")
		}
		msgs = append(msgs, "kubeprivpod mode=extended cannot see inside "+plural(n, "write", "writes")+
			" to pods or workload objects because the audit event has no request body ("+
			strconv.Itoa(noBody)+" logged without it, "+strconv.Itoa(truncated)+" truncated): "+strings.Join(fix, ", and "))
	}
	return msgs
}

// blindCounts counts the requests that could not be judged, leaving out
// those for which another stage or copy did yield a finding.
func (d *Detector) blindCounts() (noBody, truncated int) {
	noBody, truncated = d.blindNoKey[0], d.blindNoKey[1]
	if len(d.blind) == 0 {
		return
	}
	for k, f := range d.blind {
		_, seen := d.keyed[k]
		switch {
		case seen:
		case f&blindTruncated != 0:
			truncated++
		default:
			noBody++
		}
	}
	return
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
