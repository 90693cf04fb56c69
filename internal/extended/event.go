package extended

import (
	"net/url"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// Audit stages, in the order the API server emits them.
const (
	stageRequestReceived  = "RequestReceived"
	stageResponseStarted  = "ResponseStarted"
	stageResponseComplete = "ResponseComplete"
	stagePanic            = "Panic"
)

// Outcomes of a request, from its response code and URI.
const (
	OutcomeAllowed = "allowed" // 2xx
	OutcomeDenied  = "denied"  // 403: RBAC or admission (e.g. Pod Security) refused it
	OutcomeFailed  = "failed"  // any other non-2xx
	OutcomeDryRun  = "dry-run" // 2xx with dryRun=All: validated, not persisted
	OutcomeUnknown = "unknown" // no response status in the event
)

// view returns b as a string without copying. Results of gjson on it
// alias b, so anything kept past the call must be cloned.
func view(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// event is one pod-spec write in a common shape, whichever envelope it came
// in. Its strings alias the input until cloned into a record.
type event struct {
	key        string // auditID (or log insertId) plus user and URI; "" when absent
	stage      string
	level      string
	verb       string
	resource   string
	sub        string
	user       string
	groups     gjson.Result
	ips        gjson.Result // array of strings, or one string
	userAgent  string
	namespace  string
	name       string
	uri        string
	code       int
	hasCode    bool
	request    gjson.Result
	response   gjson.Result
	time       string
	truncated  bool   // the API server dropped the bodies (audit.k8s.io/truncated)
	failure    bool   // the response says Failure without an HTTP code (GKE)
	decision   string // authorization.k8s.io/decision: "forbid" when RBAC refused it
	watch      *watched
	annotation gjson.Result
	raw        string         // the audit event's text, not yet validated; "" when validated
	plain      bool           // the text is valid and plain ASCII (jsonscan.ScanPlain): what is read from it is valid UTF-8
	bodies     [2]bodyMembers // where the request (0) and response (1) objects' first members lie, when validated
	validated  bool           // parseAuditValid read the event: it is valid JSON
	keyBuf     *[]byte        // when not nil, where fillAudit writes key, which lives until the next event
}

// valid reports whether the event's text is valid JSON.
func (e *event) valid() bool { return e.raw == "" || jsonscan.Validate(bytesOf(e.raw)) == nil }

// stageRank orders the stages of one request by completeness. Envelopes
// without stages (GKE) log each request once, complete.
func stageRank(stage string) int {
	switch stage {
	case stageRequestReceived:
		return 1
	case stageResponseStarted:
		return 2
	case stagePanic:
		return 3
	}
	return 4
}

// refusedUndecoded reports a write the API server refused before it
// decoded the body, so that no audit level would have logged one: an
// authorization denial (authorization.k8s.io/decision forbid), a failed
// authentication (401), a body it could not read or decode (400, 413,
// 415), a method or media type it does not serve (405, 406) or a request
// priority and fairness rejected (429). An event logged at level Request
// or above without a body is such a write too, whatever its code: had the
// body been decoded, that level would have logged it.
func (e *event) refusedUndecoded() bool {
	if e.truncated {
		return false
	}
	if e.decision == "forbid" || e.level == "Request" || e.level == "RequestResponse" {
		return true
	}
	switch e.code {
	case 400, 401, 405, 406, 413, 415, 429:
		return e.hasCode
	}
	return false
}

// bodyExpected reports whether a stage would carry the request body at
// level Request or above. The API server logs RequestReceived before it
// reads the body, so a body-less RequestReceived says nothing about the
// audit policy.
func bodyExpected(stage string) bool {
	return stage != stageRequestReceived && stage != stageResponseStarted
}

// Top-level keys parseAudit reads, as bits of its seen set.
const (
	kAuditID = 1 << iota
	kStage
	kLevel
	kVerb
	kURI
	kUser
	kIPs
	kAgent
	kRef
	kStatus
	kRequest
	kResponse
	kReceived
	kStageTS
	kAnnotations
)

// auditKeys maps the top-level keys parseAudit reads to their bits.
var auditKeys = map[string]int{
	"auditID": kAuditID, "stage": kStage, "level": kLevel, "verb": kVerb, "requestURI": kURI,
	"user": kUser, "sourceIPs": kIPs, "userAgent": kAgent, "objectRef": kRef, "responseStatus": kStatus,
	"requestObject": kRequest, "responseObject": kResponse, "requestReceivedTimestamp": kReceived,
	"stageTimestamp": kStageTS, "annotations": kAnnotations,
}

// parseAudit fills e from a Kubernetes audit.k8s.io Event in one pass over
// its top-level keys. Of a key given twice the first counts, as for the
// pre-filter's look-ups (the API server never writes one twice). Events
// that are valid JSON with plain keys take parseAuditValid, which also
// validates them; the rest are read by gjson's lenient walk and left to
// be validated when they would count.
func parseAudit(s string, e *event) {
	if parseAuditValid(s, e) {
		return
	}
	parseAuditLenient(s, e)
}

// parseAuditLenient is parseAudit by gjson's walk, for any text.
func parseAuditLenient(s string, e *event) {
	var vals [15]gjson.Result
	seen := 0
	gjson.Parse(s).ForEach(func(k, v gjson.Result) bool {
		bit := auditKeys[k.Str]
		if bit == 0 || seen&bit != 0 {
			return true
		}
		seen |= bit
		vals[bitIndex(bit)] = v
		return true
	})
	fillAudit(e, func(bit int) gjson.Result { return vals[bitIndex(bit)] },
		func(obj gjson.Result, _, n int) gjson.Result { return obj.Get(nestNames[n]) })
	e.raw = s
}

// fillAudit fills e from the values of the top-level members parseAudit
// reads, by their bits (the zero Result for a missing one), and the
// members of user, objectRef and responseStatus it needs: get(obj, bit,
// n) is obj.Get(nestNames[n]) for obj, the value of the member of bit.
func fillAudit(e *event, val func(bit int) gjson.Result, get func(obj gjson.Result, bit, n int) gjson.Result) {
	user, ref, status := val(kUser), val(kRef), val(kStatus)
	auditID := val(kAuditID).Str
	received, stageTS := val(kReceived).Str, val(kStageTS).Str
	e.stage = val(kStage).Str
	e.level = val(kLevel).Str
	e.verb = val(kVerb).Str
	e.uri = val(kURI).Str
	e.ips = val(kIPs)
	e.userAgent = val(kAgent).Str
	e.request = val(kRequest)
	e.response = val(kResponse)
	e.annotation = val(kAnnotations)
	e.user = get(user, kUser, nUsername).Str
	e.groups = get(user, kUser, nGroups)
	e.resource = get(ref, kRef, nResource).Str
	e.sub = get(ref, kRef, nSubresource).Str
	e.namespace = get(ref, kRef, nNamespace).Str
	e.name = get(ref, kRef, nName).Str
	if c := get(status, kStatus, nCode); c.Type == gjson.Number {
		e.code, e.hasCode = int(c.Int()), true
	}
	e.time = received
	if e.time == "" {
		e.time = stageTS
	}
	if e.keyBuf == nil {
		e.key = auditKey(auditID, e.user, e.uri, received)
		return
	}
	e.key = auditKeyInto(e.keyBuf, auditID, e.user, e.uri, received)
}

// auditKeyInto is auditKey written into *buf, whose bytes it aliases
// until the buffer is written again: the key is hashed as soon as the
// event is judged, and the string it was built as was garbage at once.
func auditKeyInto(buf *[]byte, auditID, user, uri, received string) string {
	if auditID == "" {
		return ""
	}
	b := append((*buf)[:0], auditID...)
	b = append(b, 0)
	b = append(b, user...)
	b = append(b, 0)
	b = append(b, uri...)
	b = append(b, 0)
	b = append(b, received...)
	*buf = b
	return view(b)
}

// readAnnotations sets truncated and decision from the audit annotations.
// Only a write without a body needs them, so judge calls it then: a path
// with escaped dots would cost gjson an allocation on every event.
func (e *event) readAnnotations() {
	// Of a key given twice the first counts, as for gjson.Get.
	var seenTrunc, seenDecision bool
	e.annotation.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "audit.k8s.io/truncated" && !seenTrunc:
			e.truncated, seenTrunc = v.Str == "true", true
		case k.Str == "authorization.k8s.io/decision" && !seenDecision:
			e.decision, seenDecision = v.Str, true
		}
		return true
	})
}

// auditKey is the request key of an audit.k8s.io Event: its auditID, user
// and URI, which a client can set (the Audit-ID request header), and the
// requestReceivedTimestamp, which the API server sets once per request and
// copies into every stage. Two requests sent with the same Audit-ID are
// thus two requests. "" when the event has no auditID.
func auditKey(auditID, user, uri, received string) string {
	if auditID == "" {
		return ""
	}
	return auditID + "\x00" + user + "\x00" + uri + "\x00" + received
}

// parseGKE fills e from a Google Cloud audit log entry for GKE, whose
// protoPayload.methodName is io.k8s.<group>.<version>.<resource>[.<sub>].<verb>.
// It returns false when the entry is not a Kubernetes API call.
func parseGKE(s string, pp gjson.Result, e *event) bool {
	method := pp.Get("methodName").Str
	rest, ok := strings.CutPrefix(method, "io.k8s.")
	if !ok {
		return false
	}
	parts := strings.Split(rest, ".")
	// Find the version token; the group before it may itself hold dots.
	vi := -1
	for i := 1; i < len(parts); i++ {
		if isAPIVersion(parts[i]) {
			vi = i
			break
		}
	}
	if vi < 0 || len(parts)-vi < 3 || len(parts)-vi > 4 {
		return false
	}
	group := strings.Join(parts[:vi], ".")
	if group == "core" {
		group = ""
	}
	e.resource = parts[vi+1]
	if len(parts)-vi == 4 {
		e.sub = parts[vi+2]
	}
	e.verb = parts[len(parts)-1]
	if e.watch = lookupResource(e.resource, e.sub, group); e.watch == nil || !isWriteVerb(e.verb) {
		return false
	}
	e.user = pp.Get("authenticationInfo.principalEmail").Str
	meta := pp.Get("requestMetadata")
	// Cloud Logging writes callerIp; callerIP is only seen in hand-written
	// test events, read as a fallback.
	if e.ips = meta.Get("callerIp"); !e.ips.Exists() {
		e.ips = meta.Get("callerIP")
	}
	e.userAgent = meta.Get("callerSuppliedUserAgent").Str
	// resourceName: <group>/<version>/namespaces/<ns>/<resource>/<name>[/<sub>]
	rn := strings.Split(pp.Get("resourceName").Str, "/")
	for i := 0; i+1 < len(rn); i++ {
		if rn[i] == "namespaces" && e.namespace == "" {
			e.namespace = rn[i+1]
		}
		if rn[i] == e.resource && i+1 < len(rn) {
			e.name = rn[i+1]
		}
	}
	e.request = pp.Get("request")
	e.response = pp.Get("response")
	gkeOutcome(pp, e)
	top := gjson.GetMany(s, "timestamp", "insertId", `labels.authorization\.k8s\.io/decision`)
	e.time = top[0].Str
	e.decision = top[2].Str
	// insertId is set by Cloud Logging, not by the client.
	if id := top[1].Str; id != "" {
		e.key = id + "\x00" + e.user + "\x00" + method
	}
	return true
}

// gkeOutcome sets e's HTTP code from what a Cloud Audit Log entry records:
// the code of an error response (a metav1.Status), else the entry's
// google.rpc status (an empty status object is OK: proto3 leaves out a
// zero code). A response whose status is "Failure" without a code is a
// failure of unknown code; an entry with neither status nor response
// status records no outcome, and none is made up.
func gkeOutcome(pp gjson.Result, e *event) {
	status := pp.Get("status")
	failure := e.response.Get("status").Str == "Failure"
	if c := e.response.Get("code"); (failure || isStatus(e.response)) && c.Type == gjson.Number {
		e.code, e.hasCode = int(c.Int()), true
		return
	}
	if status.IsObject() {
		c := status.Get("code").Int()
		if c != 0 || !failure {
			e.code, e.hasCode = grpcToHTTP(c), true
			return
		}
	}
	e.failure = failure
}

func isAPIVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] < '0' || s[1] > '9' {
		return false
	}
	return true
}

// grpcToHTTP maps a google.rpc.Code to the HTTP status the API server
// would have returned.
func grpcToHTTP(c int64) int {
	switch c {
	case 0:
		return 200
	case 3, 9, 11:
		return 400
	case 16:
		return 401
	case 7:
		return 403
	case 5:
		return 404
	case 6, 10:
		return 409
	case 8:
		return 429
	case 4:
		return 504
	case 12:
		return 501
	case 14:
		return 503
	}
	return 500
}

// isStatus reports whether an object is a metav1.Status (the body of an
// error response) rather than the resource.
func isStatus(o gjson.Result) bool {
	if !o.IsObject() {
		return false
	}
	// Kubernetes objects carry kind, usually as their first key; only GKE
	// payloads, which have none, need the look-up of @type.
	if k := o.Get("kind"); k.Exists() {
		return k.Str == "Status"
	}
	// A resource's status is an object; a Status's is a string.
	r := o.Get(`@type`)
	return strings.HasSuffix(r.Str, ".Status") || o.Get("status").Type == gjson.String
}

// body returns the document to inspect: for patch the resulting object when
// the response holds it, else the patch itself; for create and update the
// request object, else the response object.
func (e *event) body() gjson.Result {
	resp := e.response
	if !resp.IsObject() || isStatus(resp) {
		resp = gjson.Result{}
	}
	if e.verb == "patch" && resp.Exists() {
		return resp
	}
	if e.request.IsObject() || (e.verb == "patch" && e.request.IsArray()) {
		return e.request
	}
	return resp
}

// outcome classifies the request: an error code wins over dry-run.
func (e *event) outcome() string {
	if e.hasCode && (e.code < 200 || e.code > 299) {
		if e.code == 403 {
			return OutcomeDenied
		}
		return OutcomeFailed
	}
	if e.failure {
		return OutcomeFailed
	}
	if isDryRun(e.uri) {
		return OutcomeDryRun
	}
	if e.hasCode {
		return OutcomeAllowed
	}
	return OutcomeUnknown
}

// isDryRun reports a dryRun=All query parameter in a request URI.
func isDryRun(uri string) bool {
	_, q, ok := strings.Cut(uri, "?")
	if !ok || !strings.Contains(q, "dryRun") {
		return false
	}
	vals, _ := url.ParseQuery(q)
	for _, v := range vals["dryRun"] {
		if v == "All" {
			return true
		}
	}
	return false
}

// owner describes the controller owning the object, if any.
func owner(obj gjson.Result) string {
	// Without the name in its bytes, written out or through a \u
	// escape of a letter (which gjson decodes in keys), the object has
	// no ownerReferences member: most objects a finding is about are
	// bare pods, where gjson's look-up would cross all of metadata,
	// managed fields included.
	if !containsAt(obj.Raw, "ownerReferences", 5) && !hasLetterEscape(obj.Raw) {
		return ""
	}
	return ownerLookup(obj)
}

// ownerLookup is owner without its byte test: gjson's look-up of the
// controller among metadata.ownerReferences.
func ownerLookup(obj gjson.Result) string {
	return controller(obj.Get("metadata.ownerReferences"), false)
}

// controller describes the controller among ownerReferences, if any;
// valid says refs is read from text known to be valid JSON (see eachOf).
func controller(refs gjson.Result, valid bool) string {
	var o string
	eachOf(valid, refs, func(_ string, r gjson.Result) bool {
		if getOf(valid, r, "controller").Type == gjson.True {
			o = getOf(valid, r, "kind").String() + " " + getOf(valid, r, "name").String()
			return false
		}
		return true
	})
	return o
}

// strs appends the non-empty strings of a JSON array, or a single
// string, to dst. They alias the input. valid says r is read from text
// known to be valid JSON (see eachOf).
func strs(dst []string, r gjson.Result, valid bool) []string {
	if r.Type == gjson.String {
		if r.Str != "" {
			dst = append(dst, r.Str)
		}
		return dst
	}
	eachOf(valid, r, func(_ string, v gjson.Result) bool {
		if v.Type == gjson.String && v.Str != "" {
			dst = append(dst, v.Str)
		}
		return true
	})
	return dst
}
