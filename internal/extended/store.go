package extended

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
)

// The dedupe keeps one small request entry per distinct request, and
// everything requests tend to share — who, what, where, why — once per
// distinct finding or origin, so that memory grows with the findings and
// not with the log (a few hundred thousand requests of one CI job).

// reqKey identifies a request in the dedupe: the first 128 bits of the
// SHA-256 of its key (auditID, user, URI). A collision would merge two
// requests; by chance that needs about 2^64 requests, and SHA-256 makes
// crafting one (e.g. through the client-chosen Audit-ID header) as hard.
// The long key string itself is not kept.
type reqKey [16]byte

func keyOf(key string) reqKey {
	s := sha256.Sum256([]byte(key))
	return reqKey(s[:16])
}

// String is the key as partial rows carry it: 32 hex digits.
func (k reqKey) String() string { return hex.EncodeToString(k[:]) }

// parseReqKey reads String's form.
func parseReqKey(s string) (reqKey, bool) {
	var k reqKey
	if len(s) != 2*len(k) {
		return k, false
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, false
	}
	return k, true
}

// finding is what the requests of one result row share (all of a
// record but its request key, stage, time, HTTP code, groups and IPs),
// stored once per distinct value.
type finding struct {
	User, UserAgent, Verb, Resource, Sub, Namespace, Name, Outcome, Owner, Detail string
	Containers, Reasons                                                           []string
	Risk                                                                          int
}

// origin is a request's user groups and source IPs, stored once per
// distinct pair of lists.
type origin struct {
	groups, ips []string
}

// request is what the dedupe keeps of one request: its most complete
// stage so far, and the parts of it that vary from request to request.
type request struct {
	fin  *finding
	org  *origin
	time string
	nano int64
	code int
	rank int
}

// record returns the request as a partial row's record.
func (q *request) record(key string) *record {
	f := q.fin
	return &record{
		Key: key, Rank: q.rank, Time: q.time, Nano: q.nano,
		User: f.User, Groups: q.org.groups, IPs: q.org.ips, UserAgent: f.UserAgent,
		Verb: f.Verb, Resource: f.Resource, Sub: f.Sub, Namespace: f.Namespace, Name: f.Name,
		Outcome: f.Outcome, Code: q.code, Owner: f.Owner, Containers: f.Containers, Reasons: f.Reasons,
		Risk: f.Risk, Detail: f.Detail,
	}
}

// better reports whether r should replace old as the finding of their
// request: a more complete stage wins; between equals, the one that sorts
// first field by field, an arbitrary but order-independent choice.
func (r *record) better(old *request) bool {
	if r.Rank != old.rank {
		return r.Rank > old.rank
	}
	return r.compare(old) < 0
}

// compare orders a record against a stored request of the same key by
// all their fields (time, who and what, HTTP code, risk, groups, IPs,
// containers, reasons, in this order), so that exactly equal ones compare 0.
func (r *record) compare(o *request) int {
	if c := cmp.Compare(r.Rank, o.rank); c != 0 {
		return c
	}
	if c := strings.Compare(r.Time, o.time); c != 0 {
		return c
	}
	f := o.fin
	for _, p := range [...][2]string{
		{r.User, f.User}, {r.UserAgent, f.UserAgent}, {r.Verb, f.Verb}, {r.Resource, f.Resource},
		{r.Sub, f.Sub}, {r.Namespace, f.Namespace}, {r.Name, f.Name}, {r.Outcome, f.Outcome},
		{r.Owner, f.Owner}, {r.Detail, f.Detail},
	} {
		if c := strings.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(r.Code, o.code); c != 0 {
		return c
	}
	if c := cmp.Compare(r.Risk, f.Risk); c != 0 {
		return c
	}
	for _, p := range [...][2][]string{{r.Groups, o.org.groups}, {r.IPs, o.org.ips}, {r.Containers, f.Containers}, {r.Reasons, f.Reasons}} {
		if c := slices.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

// interner stores findings and origins once per distinct value. Look-ups
// encode the value into a reused buffer and allocate only for a new one.
type interner struct {
	findings map[string]*finding
	origins  map[string]*origin
	buf      []byte
}

func (in *interner) reset() {
	in.findings = map[string]*finding{}
	in.origins = map[string]*origin{}
}

// finding returns the stored copy of r's shared fields; r's strings may
// alias the input.
func (in *interner) finding(r *record) *finding {
	b := in.buf[:0]
	for _, s := range [...]string{r.User, r.UserAgent, r.Verb, r.Resource, r.Sub, r.Namespace, r.Name, r.Outcome, r.Owner, r.Detail} {
		b = appendString(b, s)
	}
	b = appendList(b, r.Containers)
	b = appendList(b, r.Reasons)
	b = binary.AppendVarint(b, int64(r.Risk))
	in.buf = b
	if f := in.findings[string(b)]; f != nil {
		return f
	}
	f := &finding{
		User: strings.Clone(r.User), UserAgent: strings.Clone(r.UserAgent), Verb: strings.Clone(r.Verb),
		Resource: strings.Clone(r.Resource), Sub: strings.Clone(r.Sub), Namespace: strings.Clone(r.Namespace),
		Name: strings.Clone(r.Name), Outcome: strings.Clone(r.Outcome), Owner: strings.Clone(r.Owner),
		Detail: strings.Clone(r.Detail), Containers: cloneList(r.Containers), Reasons: cloneList(r.Reasons),
		Risk: r.Risk,
	}
	in.findings[string(b)] = f
	return f
}

// origin returns the stored copy of r's groups and IPs.
func (in *interner) origin(r *record) *origin {
	b := appendList(appendList(in.buf[:0], r.Groups), r.IPs)
	in.buf = b
	if o := in.origins[string(b)]; o != nil {
		return o
	}
	o := &origin{groups: cloneList(r.Groups), ips: cloneList(r.IPs)}
	in.origins[string(b)] = o
	return o
}

// appendString and appendList encode with lengths, so that distinct
// values never encode alike.
func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendList(b []byte, list []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(list)))
	for _, s := range list {
		b = appendString(b, s)
	}
	return b
}

func cloneList(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.Clone(s)
	}
	return out
}

func validReqKey(s string) bool {
	_, ok := parseReqKey(s)
	return ok
}
