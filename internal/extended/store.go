package extended

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
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

// keyOf returns key's reqKey; buf is a reused buffer, so that hashing a
// key does not allocate.
func keyOf(buf *[]byte, key string) reqKey {
	*buf = append((*buf)[:0], key...)
	s := sha256.Sum256(*buf)
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
	User, UserAgent, Verb, Resource, Sub, Namespace, Name, Outcome, Owner, Detail, Spec string
	Containers, Images, Reasons, Changed                                                []string
	Risk                                                                                int
	Pend                                                                                bool // see record.Pend

	hash uint64   // of the value, its key in interner.findings
	refs int      // requests that hold it
	next *finding // the next stored finding of the same hash
}

// origin is a request's user groups and source IPs, stored once per
// distinct pair of lists.
type origin struct {
	groups, ips []string
	next        *origin // the next stored origin of the same hash
}

// maxRank is the highest stage rank: stageRank's highest, times two, plus
// one for a response code.
const maxRank = 4*2 + 1

// request is what the dedupe keeps of one request: its most complete
// stage so far, and the parts of it that vary from request to request.
type request struct {
	fin  *finding
	org  *origin
	ver  versions // empty when the write logged neither resourceVersion
	time stamp
	code int
	rank int32 // 0 to maxRank (validated)
	form stampForm
}

// versions are the resourceVersions around a write: the one an update was
// based on and the one the write produced, as "<base>\x00<made>" in one
// string (one allocation, one word pair per request). They chain an
// update to the previous version of its object when that is in the same
// search.
type versions string

func newVersions(base, made string) versions { return versions(base + "\x00" + made) }

// sameJudged reports whether two findings judge the same spec: the same
// containers, images, code, reasons and explanation.
func (f *finding) sameJudged(o *finding) bool {
	return f.Detail == o.Detail && f.Spec == o.Spec && slices.Equal(f.Containers, o.Containers) &&
		slices.Equal(f.Images, o.Images) && slices.Equal(f.Reasons, o.Reasons)
}

// forget drops r's strings, keeping the lists' capacity: a candidate
// record must not keep the caller's event alive.
func (r *record) forget() {
	clear(r.Groups)
	clear(r.IPs)
	clear(r.Containers)
	clear(r.Images)
	clear(r.Reasons)
	clear(r.Changed)
	*r = record{Groups: r.Groups[:0], IPs: r.IPs[:0], Containers: r.Containers[:0], Images: r.Images[:0],
		Reasons: r.Reasons[:0], Changed: r.Changed[:0]}
}

// better reports whether r should replace old as the finding of their
// request: a more complete stage wins; at equal stage the higher risk;
// between equals, the one that sorts first field by field, an arbitrary
// but order-independent choice.
func (r *record) better(old *request) bool {
	if r.Rank != int(old.rank) {
		return r.Rank > int(old.rank)
	}
	// A copy that shares a request's key never hides a stronger finding
	// (a decoy sent with the same Audit-ID in the same microsecond).
	if r.Risk != old.fin.Risk {
		return r.Risk > old.fin.Risk
	}
	return r.compare(old) < 0
}

// compare orders a record against a stored request of the same key by
// all their fields (time, who and what, HTTP code, risk, groups, IPs,
// containers, reasons, in this order), so that exactly equal ones compare 0.
func (r *record) compare(o *request) int {
	if c := cmp.Compare(r.Rank, int(o.rank)); c != 0 {
		return c
	}
	if c := compareStampText(r.Time, o.time, o.form); c != 0 {
		return c
	}
	f := o.fin
	for _, p := range [...][2]string{
		{r.User, f.User}, {r.UserAgent, f.UserAgent}, {r.Verb, f.Verb}, {r.Resource, f.Resource},
		{r.Sub, f.Sub}, {r.Namespace, f.Namespace}, {r.Name, f.Name}, {r.Outcome, f.Outcome},
		{r.Owner, f.Owner}, {r.Detail, f.Detail}, {r.Spec, f.Spec}, {r.BaseRV, o.ver.baseRV()}, {r.NewRV, o.ver.madeRV()},
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
	if r.Pend != f.Pend {
		if r.Pend {
			return 1
		}
		return -1
	}
	for _, p := range [...][2][]string{{r.Groups, o.org.groups}, {r.IPs, o.org.ips}, {r.Containers, f.Containers},
		{r.Images, f.Images}, {r.Reasons, f.Reasons}, {r.Changed, f.Changed}} {
		if c := slices.Compare(p[0], p[1]); c != 0 {
			return c
		}
	}
	return 0
}

func (v versions) baseRV() string {
	b, _, _ := strings.Cut(string(v), "\x00")
	return b
}

func (v versions) madeRV() string {
	_, m, _ := strings.Cut(string(v), "\x00")
	return m
}

// interner stores findings and origins once per distinct value, and
// their strings once per distinct string (a user, a detail or a namespace
// recurs across findings that differ by object name; names themselves
// are mostly unique, and copied). The maps of
// findings and origins are keyed by a hash of the value, chained on
// collision, so a value is not kept a second time as its own key.
// Look-ups allocate only for a new value.
type interner struct {
	seed     maphash.Seed
	findings map[uint64]*finding
	origins  map[uint64]*origin
	strs     map[string]string
	buf      []byte
}

func (in *interner) reset() {
	in.seed = maphash.MakeSeed()
	in.findings = map[uint64]*finding{}
	in.origins = map[uint64]*origin{}
	in.strs = map[string]string{}
}

// finding returns the stored copy of r's shared fields; r's strings may
// alias the input.
func (in *interner) finding(r *record) *finding {
	b := in.buf[:0]
	for _, s := range [...]string{r.User, r.UserAgent, r.Verb, r.Resource, r.Sub, r.Namespace, r.Name, r.Outcome, r.Owner, r.Detail, r.Spec} {
		b = appendString(b, s)
	}
	b = appendList(b, r.Containers)
	b = appendList(b, r.Images)
	b = appendList(b, r.Reasons)
	b = appendList(b, r.Changed)
	b = binary.AppendVarint(b, int64(r.Risk))
	if r.Pend {
		b = append(b, 1)
	}
	in.buf = b
	h := maphash.Bytes(in.seed, b)
	head := in.findings[h]
	for f := head; f != nil; f = f.next {
		if f.equal(r) {
			f.refs++
			return f
		}
	}
	f := &finding{
		User: in.str(r.User), UserAgent: in.str(r.UserAgent), Verb: in.str(r.Verb),
		Resource: in.str(r.Resource), Sub: in.str(r.Sub), Namespace: in.str(r.Namespace),
		Name: strings.Clone(r.Name), Outcome: in.str(r.Outcome), Owner: in.str(r.Owner),
		Detail: in.str(r.Detail), Spec: in.str(r.Spec), Containers: in.list(r.Containers), Images: in.list(r.Images),
		Reasons: in.list(r.Reasons), Changed: in.list(r.Changed), Risk: r.Risk, Pend: r.Pend, hash: h, refs: 1, next: head,
	}
	in.findings[h] = f
	return f
}

// release drops a request's hold on f, and f once no request holds it: a
// request's early stage is a finding of its own (its outcome unknown)
// until the complete stage replaces it.
func (in *interner) release(f *finding) {
	if f.refs--; f.refs > 0 {
		return
	}
	p := in.findings[f.hash]
	if p == f {
		if f.next == nil {
			delete(in.findings, f.hash)
		} else {
			in.findings[f.hash] = f.next
		}
		return
	}
	for ; p != nil; p = p.next {
		if p.next == f {
			p.next = f.next
			return
		}
	}
}

// equal reports whether f holds exactly r's shared fields.
func (f *finding) equal(r *record) bool {
	return f.User == r.User && f.UserAgent == r.UserAgent && f.Verb == r.Verb && f.Resource == r.Resource &&
		f.Sub == r.Sub && f.Namespace == r.Namespace && f.Name == r.Name && f.Outcome == r.Outcome &&
		f.Owner == r.Owner && f.Detail == r.Detail && f.Spec == r.Spec && f.Risk == r.Risk && f.Pend == r.Pend &&
		slices.Equal(f.Containers, r.Containers) && slices.Equal(f.Images, r.Images) &&
		slices.Equal(f.Reasons, r.Reasons) && slices.Equal(f.Changed, r.Changed)
}

// origin returns the stored copy of r's groups and IPs.
func (in *interner) origin(r *record) *origin {
	b := appendList(appendList(in.buf[:0], r.Groups), r.IPs)
	in.buf = b
	h := maphash.Bytes(in.seed, b)
	head := in.origins[h]
	for o := head; o != nil; o = o.next {
		if slices.Equal(o.groups, r.Groups) && slices.Equal(o.ips, r.IPs) {
			return o
		}
	}
	o := &origin{groups: in.list(r.Groups), ips: in.list(r.IPs), next: head}
	in.origins[h] = o
	return o
}

// str returns the stored copy of s.
func (in *interner) str(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := in.strs[s]; ok {
		return c
	}
	c := strings.Clone(s)
	in.strs[c] = c
	return c
}

func (in *interner) list(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = in.str(s)
	}
	return out
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

func validReqKey(s string) bool {
	_, ok := parseReqKey(s)
	return ok
}
