package extended

import (
	"math/bits"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// topIndex is a jsonscan.Visitor that records where the values of the
// top-level members parseAudit reads lie, while jsonscan validates the
// event: one pass both validates the event and indexes it, where gjson's
// walk over every member and a separate validation used to read it twice.
type topIndex struct {
	seen    int        // bits of the keys recorded (the first of each)
	bit     int        // the bit of the member whose value is being read; 0 for others
	escaped bool       // a top-level key holds an escape
	start   int        // where that value starts
	at      [15][2]int // value bounds by bit number

	// One level down, in the request and response objects (body 0
	// and 1): where their first spec and template members lie, the
	// first step of the pod spec look-up.
	body     [2]bodyIndex
	sub      int // the body member whose value is being read: a bodyNames index, or -1
	subStart int // where that value starts
	meta     int // the body whose metadata's members are being read, or -1
	mkey     int // 1 + the metaNames index of the member Key named at depth 3, or 0
	mstart   int // where that member's value starts

	// One level down, in user, objectRef and responseStatus: where
	// the members fillAudit reads lie (nestNames), so that it does not
	// cross these objects once per member with gjson.
	nestEsc [3]bool // a key of that object holds an escape, by nestOf
	nsub    int     // the nestNames index of the member being read, or -1
	nseen   [len(nestNames)]bool
	nat     [len(nestNames)][2]int // value bounds by nestNames index
}

// nestNames are the members of user, objectRef and responseStatus that
// fillAudit reads, in that order (see nestOf and nestFirst).
var nestNames = [...]string{"username", "groups", "resource", "subresource", "namespace", "name", "code"}

// Indexes into nestNames, one constant per member fillAudit reads.
const (
	nUsername = iota
	nGroups
	nResource
	nSubresource
	nNamespace
	nName
	nCode
)

// nestOf is the index into topIndex.nest of the top-level member of
// bit b (user, objectRef, responseStatus), or -1.
func nestOf(b int) int {
	switch b {
	case kUser:
		return 0
	case kRef:
		return 1
	case kStatus:
		return 2
	}
	return -1
}

// nestKey notes which member of user, objectRef or responseStatus comes.
func (x *topIndex) nestKey(key []byte) {
	x.nsub = -1
	o := nestOf(x.bit)
	n := -1
	switch o {
	case 0:
		switch string(key) {
		case "username":
			n = nUsername
		case "groups":
			n = nGroups
		}
	case 1:
		switch string(key) {
		case "resource":
			n = nResource
		case "subresource":
			n = nSubresource
		case "namespace":
			n = nNamespace
		case "name":
			n = nName
		}
	default:
		if string(key) == "code" {
			n = nCode
		}
	}
	// The names sought hold no backslash: only other keys need the
	// search for one.
	if n < 0 && hasBackslash(key) {
		x.nestEsc[o] = true
		return
	}
	if n >= 0 && !x.nseen[n] {
		x.nsub = n
	}
}

// bodyNames are the members of a request or response object that the
// index records: the first step of every watched resource's pod spec
// path. bodyKey matches them by index.
var bodyNames = [...]string{"spec", "template"}

// bodyIndex is what topIndex records of a request or response object.
type bodyIndex struct {
	escaped bool                   // a key of the object holds an escape: gjson would decode it
	seen    uint8                  // bits of the bodyNames recorded (the first of each)
	at      [len(bodyNames)][2]int // value bounds by bodyNames index

	// Two levels down, in the object's metadata: how many metadata
	// members it has, whether the first is an object, whether a key
	// in it holds an escape, and the raw values of metaNames in it.
	metas    int
	metaObj  bool
	metaEsc  bool
	metaSeen uint8
	metaVal  [len(metaNames)]string
}

// metaNames are the members of a request or response object's metadata
// that a finding reads (see event.metaGet).
var metaNames = [...]string{"namespace", "name", "resourceVersion", "ownerReferences"}

// metaPaths are the gjson paths of metaNames, for objects not indexed.
var metaPaths = [...]string{"metadata.namespace", "metadata.name", "metadata.resourceVersion", "metadata.ownerReferences"}

// Indexes into metaNames.
const (
	mNamespace = iota
	mName
	mResourceVersion
	mOwnerReferences
)

// bodyOf is the body index topIndex fills for the top-level member of
// bit b, or -1.
func bodyOf(b int) int {
	switch b {
	case kRequest:
		return 0
	case kResponse:
		return 1
	}
	return -1
}

// Key notes which member comes, by its name as written.
func (x *topIndex) Key(depth int, key []byte) {
	if depth == 3 {
		if x.meta >= 0 {
			x.mkey = x.metaKey(key) + 1
		}
		return
	}
	if depth == 2 {
		switch {
		case x.bit&(kRequest|kResponse) != 0:
			x.bodyKey(key)
		case x.bit&(kUser|kRef|kStatus) != 0:
			x.nestKey(key)
		}
		return
	}
	if depth != 1 {
		return
	}
	x.bit, x.meta = 0, -1
	b := auditKeyBit(key)
	if b == 0 && hasBackslash(key) {
		// gjson would compare the decoded name: leave the event to it.
		x.escaped = true
		return
	}
	if b != 0 && x.seen&b == 0 {
		x.bit = b
	}
}

// auditKeyBit is auditKeys[string(key)] by a switch, which compares the
// constant names inline where the map hashes every key of the event.
func auditKeyBit(key []byte) int {
	switch string(key) {
	case "auditID":
		return kAuditID
	case "stage":
		return kStage
	case "level":
		return kLevel
	case "verb":
		return kVerb
	case "requestURI":
		return kURI
	case "user":
		return kUser
	case "sourceIPs":
		return kIPs
	case "userAgent":
		return kAgent
	case "objectRef":
		return kRef
	case "responseStatus":
		return kStatus
	case "requestObject":
		return kRequest
	case "responseObject":
		return kResponse
	case "requestReceivedTimestamp":
		return kReceived
	case "stageTimestamp":
		return kStageTS
	case "annotations":
		return kAnnotations
	}
	return 0
}

// bodyKey notes which member of a request or response object comes.
func (x *topIndex) bodyKey(key []byte) {
	x.sub, x.meta = -1, -1
	b := bodyOf(x.bit)
	if b < 0 {
		return
	}
	n := -1
	switch string(key) {
	case bodyNames[0]:
		n = 0
	case bodyNames[1]:
		n = 1
	case "metadata":
		if x.body[b].metas++; x.body[b].metas == 1 {
			x.meta = b
		}
		return
	default:
		if hasBackslash(key) {
			x.body[b].escaped = true
			return
		}
	}
	if n >= 0 && x.body[b].seen&(1<<n) == 0 {
		x.sub = n
	}
}

// Start notes where a member's value starts.
func (x *topIndex) Start(depth int, doc []byte, i int) {
	switch depth {
	case 1:
		x.start = i
		x.sub, x.nsub = -1, -1 // an array's elements have no key
	case 2:
		x.subStart = i
		if x.meta >= 0 && doc[i] == '{' {
			x.body[x.meta].metaObj = true
		}
	case 3:
		if x.mkey > 0 {
			x.mstart = i
		}
	}
}

// Member records the members of metaNames in the metadata of a request or
// response object (depth 3, the deepest the index is shown): ScanPlain's
// one call a member, where other walks call Key, Start and End.
func (x *topIndex) Member(depth int, key, value []byte) {
	if depth != 3 || x.meta < 0 {
		return
	}
	if n := x.metaKey(key); n >= 0 {
		x.metaValue(n, value)
	}
}

// metaKey returns the metaNames index of a metadata member's key when its
// value is to be recorded (the first of that name), or -1.
func (x *topIndex) metaKey(key []byte) int {
	b := &x.body[x.meta]
	n := -1
	switch string(key) {
	case "namespace":
		n = mNamespace
	case "name":
		n = mName
	case "resourceVersion":
		n = mResourceVersion
	case "ownerReferences":
		n = mOwnerReferences
	default:
		if hasBackslash(key) {
			b.metaEsc = true
		}
		return -1
	}
	if n < 0 || b.metaSeen&(1<<n) != 0 {
		return -1
	}
	return n
}

// metaValue records the value of metaNames[n].
func (x *topIndex) metaValue(n int, value []byte) {
	b := &x.body[x.meta]
	b.metaSeen |= 1 << n
	b.metaVal[n] = view(value)
}

// End records a member's value bounds when it is one parseAudit reads.
func (x *topIndex) End(depth int, doc []byte, i int) {
	if depth == 3 {
		if x.mkey > 0 {
			x.metaValue(x.mkey-1, doc[x.mstart:i])
			x.mkey, x.mstart = 0, 0
		}
		return
	}
	if depth == 2 {
		if x.sub >= 0 {
			b := &x.body[bodyOf(x.bit)]
			b.seen |= 1 << x.sub
			b.at[x.sub] = [2]int{x.subStart, i}
			x.sub = -1
		}
		if x.nsub >= 0 {
			x.nseen[x.nsub] = true
			x.nat[x.nsub] = [2]int{x.subStart, i}
			x.nsub = -1
		}
		return
	}
	if depth == 1 && x.bit != 0 {
		x.seen |= x.bit
		x.at[bitIndex(x.bit)] = [2]int{x.start, i}
		x.bit = 0
	}
}

// topIndexes holds parseAuditValid's indexes for reuse.
var topIndexes = sync.Pool{New: func() any { return new(topIndex) }}

// bitIndex is the position of a single set bit.
func bitIndex(b int) int { return bits.TrailingZeros(uint(b)) }

// parseAuditValid is parseAudit for an event that it validates in the
// same pass: it fills e and reports true, with e.raw left empty (the
// event is known valid), or reports false, leaving e untouched, when the
// event is not valid JSON or a top-level key holds an escape. For a valid
// event with plain keys gjson's walk sees the same members, so e is
// filled exactly as parseAudit fills it.
func parseAuditValid(s string, e *event) bool {
	// The index, shown to ScanPlain as a Visitor, would be allocated
	// for every event (700 bytes, most of this mode's garbage): it is
	// reused instead.
	x := topIndexes.Get().(*topIndex)
	defer topIndexes.Put(x)
	*x = topIndex{sub: -1, nsub: -1, meta: -1}
	// ScanPlain accepts what Validate accepts and makes the same Visitor
	// calls, with a walk that finds a string's end from 64-byte block
	// marks.
	plain, err := jsonscan.ScanPlain(bytesOf(s), x, 3)
	if err != nil || x.escaped {
		return false
	}
	x.fill(s, e)
	e.plain, e.validated = plain, true
	for b, bit := range [2]int{kRequest, kResponse} {
		bx := &x.body[b]
		if x.seen&bit == 0 || bx.escaped || s[x.at[bitIndex(bit)][0]] != '{' {
			continue
		}
		ix := &e.bodies[b]
		ix.ok = true
		for n := range bodyNames {
			if bx.seen&(1<<n) != 0 {
				ix.val[n] = s[bx.at[n][0]:bx.at[n][1]]
			}
		}
		// gjson's look-up of metadata.<name> takes the first metadata
		// object holding name: the index answers when there is no
		// other metadata member to look in.
		if ix.metaOK = bx.metas == 0 || bx.metas == 1 && bx.metaObj && !bx.metaEsc; ix.metaOK {
			ix.meta = bx.metaVal
		}
	}
	return true
}

// val is the value of the top-level member of bit in s, the event x
// indexes: the zero Result when it is missing.
func (x *topIndex) val(s string, bit int) gjson.Result {
	if x.seen&bit == 0 {
		return gjson.Result{}
	}
	b := x.at[bitIndex(bit)]
	return parseValue(s[b[0]:b[1]])
}

// str is x.val(s, bit).Str, without building the Result for a string
// without escapes.
func (x *topIndex) str(s string, bit int) string {
	if x.seen&bit == 0 {
		return ""
	}
	b := x.at[bitIndex(bit)]
	return strOf(s[b[0]:b[1]])
}

// strOf is parseValue(v).Str.
func strOf(v string) string {
	if len(v) >= 2 && v[0] == '"' && strings.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1]
	}
	return parseValue(v).Str
}

// nest is obj.Get(nestNames[n]) for obj, the value of the member of bit
// (user, objectRef or responseStatus), as gjson's Get on that object
// finds it, from the index where the object is one and its keys are
// plain: Parse of the member's value is what Get returns (the event is
// valid JSON, and of a key given twice both take the first).
func (x *topIndex) nest(s string, obj gjson.Result, bit, n int) gjson.Result {
	if x.nestEsc[nestOf(bit)] || !obj.IsObject() {
		return obj.Get(nestNames[n])
	}
	if !x.nseen[n] {
		return gjson.Result{}
	}
	b := x.nat[n]
	return parseValue(s[b[0]:b[1]])
}

// nestStr is x.nest(s, obj, bit, n).Str.
func (x *topIndex) nestStr(s string, obj gjson.Result, bit, n int) string {
	if x.nestEsc[nestOf(bit)] || !obj.IsObject() {
		return obj.Get(nestNames[n]).Str
	}
	if !x.nseen[n] {
		return ""
	}
	b := x.nat[n]
	return strOf(s[b[0]:b[1]])
}

// fill is fillAudit for the event s that x indexes, written out with
// the index's look-ups, which fillAudit's function values would call
// indirectly, a Result built for each; FuzzParseAuditValid holds the
// two to the same event.
func (x *topIndex) fill(s string, e *event) {
	user, ref, status := x.val(s, kUser), x.val(s, kRef), x.val(s, kStatus)
	auditID := x.str(s, kAuditID)
	received, stageTS := x.str(s, kReceived), x.str(s, kStageTS)
	e.stage = x.str(s, kStage)
	e.level = x.str(s, kLevel)
	e.verb = x.str(s, kVerb)
	uri, uriEsc := x.uriOf(s)
	e.uri = uri
	e.ips = x.val(s, kIPs)
	e.userAgent = x.str(s, kAgent)
	e.request = x.val(s, kRequest)
	e.response = x.val(s, kResponse)
	e.annotation = x.val(s, kAnnotations)
	e.user = x.nestStr(s, user, kUser, nUsername)
	e.groups = x.nest(s, user, kUser, nGroups)
	e.resource = x.nestStr(s, ref, kRef, nResource)
	e.sub = x.nestStr(s, ref, kRef, nSubresource)
	e.namespace = x.nestStr(s, ref, kRef, nNamespace)
	e.name = x.nestStr(s, ref, kRef, nName)
	if c := x.nest(s, status, kStatus, nCode); c.Type == gjson.Number {
		e.code, e.hasCode = int(c.Int()), true
	}
	e.time = received
	if e.time == "" {
		e.time = stageTS
	}
	if uriEsc >= 0 {
		if e.keyBuf != nil && auditID != "" {
			e.key, e.uri = auditKeyEscapedURI(e.keyBuf, auditID, e.user, uri, uriEsc, received)
			return
		}
		e.uri = unescapeValid(uri, uriEsc)
	}
	if e.keyBuf == nil {
		e.key = auditKey(auditID, e.user, e.uri, received)
		return
	}
	e.key = auditKeyInto(e.keyBuf, auditID, e.user, e.uri, received)
}

// parseValue is gjson.Parse(v) for v, one valid JSON value as the
// validating pass bounds it. A string is read without gjson, whose byte
// loop over it cost more than one vectorised search: its text is what
// lies between the quotes, as gjson finds, decoded as gjson decodes it
// when it holds an escape (the \u0026 of a request URI's query).
func parseValue(v string) gjson.Result {
	if len(v) >= 2 && v[0] == '"' {
		in := v[1 : len(v)-1]
		if k := strings.IndexByte(in, '\\'); k >= 0 {
			in = unescapeValid(in, k)
		}
		return gjson.Result{Type: gjson.String, Raw: v, Str: in}
	}
	// Objects, arrays and literals as gjson.Parse makes them, without its
	// generic loop: v is one whole value.
	if len(v) > 0 {
		switch v[0] {
		case '{', '[':
			return gjson.Result{Type: gjson.JSON, Raw: v}
		case 't':
			return gjson.Result{Type: gjson.True, Raw: v}
		case 'f':
			return gjson.Result{Type: gjson.False, Raw: v}
		case 'n':
			return gjson.Result{Type: gjson.Null, Raw: v}
		}
		// A short run of digits (a response code) is its own value,
		// where gjson.Parse would call strconv.ParseFloat.
		if len(v) <= 15 {
			n := 0
			for i := 0; i < len(v); i++ {
				c := v[i] - '0'
				if c > 9 {
					return gjson.Parse(v)
				}
				n = n*10 + int(c)
			}
			return gjson.Result{Type: gjson.Number, Raw: v, Num: float64(n)}
		}
	}
	return gjson.Parse(v)
}

// unescapeValid is gjson's decoding of s, the text of a valid JSON
// string whose first backslash is s[k]: the bytes between escapes are
// copied as they stand, a surrogate pair of \u escapes makes one rune
// and a lone surrogate U+FFFD. It copies runs between escapes whole,
// where gjson appends byte by byte, and builds the string in place.
func unescapeValid(s string, k int) string {
	b := appendUnescapedValid(make([]byte, 0, len(s)), s, k)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not written again
}

// appendUnescapedValid appends unescapeValid(s, k) to b.
func appendUnescapedValid(b []byte, s string, k int) []byte {
	for k >= 0 {
		b = append(b, s[:k]...)
		switch c := s[k+1]; c {
		case 'u':
			r, _ := jsonscan.Hex4(s[k+2:])
			s = s[k+6:]
			if r >= 0xD800 && r < 0xDC00 && len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
				if r2, _ := jsonscan.Hex4(s[2:]); r2 >= 0xDC00 && r2 < 0xE000 {
					r = utf16.DecodeRune(r, r2)
					s = s[6:]
				}
			}
			b = utf8.AppendRune(b, r) // U+FFFD for a surrogate left alone
			k = strings.IndexByte(s, '\\')
			continue
		default: // s is valid: c makes a one-letter escape
			b = append(b, jsonscan.SimpleEscape(c))
		}
		s = s[k+2:]
		k = strings.IndexByte(s, '\\')
	}
	return append(b, s...)
}

// bodyMembers is what the validating pass found in an event's request or
// response object (see topIndex).
type bodyMembers struct {
	ok  bool                   // the object was indexed: it is valid JSON and its keys are plain
	val [len(bodyNames)]string // the raw value of each of bodyNames; "" for a missing one

	metaOK bool                   // ok, and meta answers metaGet
	meta   [len(metaNames)]string // the raw value of each of metaNames in metadata; "" for a missing one
}

// indexed returns what the validating pass found of obj when obj is the
// event's request or response object, or nil.
func (e *event) indexed(obj gjson.Result) *bodyMembers {
	var ix *bodyMembers
	switch {
	case sameText(obj.Raw, e.request.Raw) && e.request.IsObject():
		ix = &e.bodies[0]
	case sameText(obj.Raw, e.response.Raw) && e.response.IsObject():
		ix = &e.bodies[1]
	}
	if ix == nil || !ix.ok {
		return nil
	}
	return ix
}

// metaGet is obj.Get(metaPaths[n]), read from the validating pass's
// index when obj is the event's request or response object, where gjson
// would cross the object's managed fields and annotations again.
func (e *event) metaGet(obj gjson.Result, n int) gjson.Result {
	ix := e.indexed(obj)
	if ix == nil || !ix.metaOK {
		return obj.Get(metaPaths[n])
	}
	if v := ix.meta[n]; v != "" {
		return parseValue(v)
	}
	return gjson.Result{}
}

// owner is owner(obj), with the ownerReferences found by metaGet: most
// objects are bare pods, whose metadata has none, and owner's byte
// tests cross the whole object.
func (e *event) owner(obj gjson.Result) string {
	if ix := e.indexed(obj); ix != nil && ix.metaOK {
		return controller(e.metaGet(obj, mOwnerReferences), e.validated)
	}
	return owner(obj)
}

// member is obj.Get(name) when obj is the event's request or response
// object and name one of bodyNames whose value is an object or array:
// read from what the validating pass recorded, where gjson would cross
// the members before it (the metadata, with its managed fields and
// last-applied annotation, before the spec). A value of any other type,
// and an object that was not indexed, are left to gjson.
func (e *event) member(obj gjson.Result, name string) gjson.Result {
	ix := e.indexed(obj)
	if ix == nil {
		return obj.Get(name)
	}
	for n, bn := range bodyNames {
		if bn != name {
			continue
		}
		v := ix.val[n]
		switch {
		case v == "":
			return gjson.Result{} // no such member
		case v[0] == '{' || v[0] == '[':
			return gjson.Result{Type: gjson.JSON, Raw: v}
		}
		break
	}
	return obj.Get(name)
}

// inspectObject is in.object(body, e.watch.spec), the first step of the
// pod spec path read by member.
func (e *event) inspectObject(in *inspector, body gjson.Result) {
	spec := e.watch.spec
	if len(spec) == 0 {
		in.object(body, spec)
		return
	}
	in.object(e.member(body, spec[0]), spec[1:])
}

// sameText reports whether a and b are the same bytes in memory, not
// only equal ones.
func sameText(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}
