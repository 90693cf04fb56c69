// Package escu is kubeprivpod's default detection: Splunk ESCU's
// "Kubernetes Create or Update Privileged Pod" (3c6bd734-334d-4818-ae7c-5234313fc5da)
// reproduced to the row:
//
//	`kube_audit` objectRef.resource=pods verb=create OR verb=update
//	  requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration=*\"privileged\":true*
//	| fillnull
//	| stats count values(user.groups{}) as user_groups by kind objectRef.name objectRef.namespace
//	    objectRef.resource requestObject.kind responseStatus.code sourceIPs{} stage user.username
//	    userAgent verb requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration
//	| rename sourceIPs{} as src_ip, user.username as user
//
// Fields come from the event text (package auditfield), never from columns
// Splunk extracted. fillnull only knows which fields exist once every
// event has been seen, so the aggregation keeps "missing" apart from any
// value until Result, and partial states (Flush, AddPartial) carry what
// fillnull needs; see docs/escu.md for the semantics chosen.
package escu

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/kubeprivpod/kubeprivpod/internal/auditfield"
	"github.com/kubeprivpod/kubeprivpod/internal/detect"
	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// The fields the search reads. The first nBy are the stats by-fields, in
// the search's order; the last feeds values(user.groups{}).
const (
	fKind = iota
	fName
	fNamespace
	fResource
	fReqKind
	fCode
	fSrcIP
	fStage
	fUser
	fUserAgent
	fVerb
	fAnnotation
	nBy
	fGroups = nBy
	nFields = nBy + 1
)

// annotationField is the kubectl client-side-apply annotation, as Splunk names it.
const annotationField = "requestObject.metadata.annotations.kubectl.kubernetes.io/last-applied-configuration"

// fieldNames are the Splunk field names read from each event, by field index.
var fieldNames = [nFields]string{
	"kind", "objectRef.name", "objectRef.namespace", "objectRef.resource", "requestObject.kind",
	"responseStatus.code", "sourceIPs{}", "stage", "user.username", "userAgent", "verb",
	annotationField, "user.groups{}",
}

// Columns are the output columns: the by-fields after rename, then the
// aggregates, exactly as the SPL search returns them.
var Columns = []string{
	"kind", "objectRef.name", "objectRef.namespace", "objectRef.resource", "requestObject.kind",
	"responseStatus.code", "src_ip", "stage", "user", "userAgent", "verb", annotationField,
	"count", "user_groups",
}

// MaxGroupsPerEvent bounds how many groups one event may join. stats makes
// one group per combination of by-field values, so an event with many
// values in several by-fields (duplicate JSON keys, a long sourceIPs list)
// would multiply; such an event is skipped and reported instead.
const MaxGroupsPerEvent = 4096

// Detector runs the search over events and partial states. The zero value
// is not usable; call New.
type Detector struct {
	x       *auditfield.Extractor
	collect func(field int, v []byte) bool

	// The current event's values: spans of arena per field.
	arena []byte
	vals  [nFields][]span

	// The aggregation since the last Flush (or since New).
	groups  groupTable
	present uint16 // bit f: field f had a value in some event that passed the search
	nonJSON int64  // events whose _raw is not a JSON object
	tooMany int64  // events skipped for exceeding MaxGroupsPerEvent

	version uint64 // counts changes to the aggregation, for plan
	plan    *plan  // the result's order, while version holds

	key      []byte   // scratch for group keys
	ids      []uint32 // scratch for an event's user.groups{} value ids
	unquoted []byte   // scratch for a candidate's _raw without CSV quoting

	// Scratch for partial rows (partial.go).
	partial, unescaped []byte
	ends               []int // ends of the user.groups{} values in unescaped
}

var _ detect.Detector = (*Detector)(nil)

// span is one value of the current event, in Detector.arena.
type span struct{ off, n int }

// New returns an empty detector.
func New() *Detector {
	d := &Detector{
		x: auditfield.NewExtractor(fieldNames[:]...),
	}
	d.collect = func(field int, v []byte) bool {
		d.vals[field] = append(d.vals[field], span{len(d.arena), len(v)})
		d.arena = append(d.arena, v...)
		return true
	}
	return d
}

// AddEvent offers one event (Splunk's _raw). Events that cannot pass the
// search cost a substring scan; only candidates are parsed, validated in
// the same pass. An event counts as not JSON when it is not shaped like an
// object ({...}), or when it would pass the search but is not valid JSON
// (gjson.ValidBytes' grammar); other broken events cannot match anyway.
func (d *Detector) AddEvent(raw []byte) {
	if !looksLikeObject(raw) {
		d.nonJSON++
		return
	}
	if !candidate(raw) {
		return
	}
	d.addCandidate(raw)
}

// addCandidate runs the search on an event the pre-filter let through and
// aggregates it if it passes. The lenient walk reads the fields first:
// on valid JSON it hands out exactly the values the validating one does,
// and an event whose values fail the search changes nothing, valid or
// not (a third of the candidates: kubectl-applied workloads that are not
// pods). Only the rest is validated, by jsonscan.ScanPlain, which finds
// the strings of 64 bytes at once and takes a fifth of the validating
// walk's time; an event it refuses goes to that walk, which decides as
// it always has — ScanPlain also refuses what nests deeper than
// jsonscan.MaxDepth, where gjson's grammar sets no limit.
func (d *Detector) addCandidate(raw []byte) {
	d.clearValues()
	d.x.Extract(raw, d.collect)
	if !d.passes() {
		return
	}
	if _, err := jsonscan.ScanPlain(raw, nil, 0); err == nil {
		d.aggregate()
		return
	}
	d.addCandidateValidating(raw)
}

// addCandidateValidating is addCandidate by the validating walk. Valid
// JSON is done with in its one pass; for broken JSON the outcome must not
// depend on where the validator gave up, so the lenient walk decides, as
// it always has, whether the event would have passed and so counts as not
// JSON.
func (d *Detector) addCandidateValidating(raw []byte) {
	d.clearValues()
	if d.x.ExtractValid(raw, d.collect) {
		if d.passes() {
			d.aggregate()
		}
		return
	}
	d.clearValues()
	d.x.Extract(raw, d.collect)
	if d.passes() {
		d.nonJSON++
	}
}

// clearValues forgets the current event's values.
func (d *Detector) clearValues() {
	d.arena = d.arena[:0]
	for f := range d.vals {
		d.vals[f] = d.vals[f][:0]
	}
}

// passes evaluates the search on the current event's values. A clause
// holds when any of its terms matches any value of the term's field.
func (d *Detector) passes() bool {
	for _, clause := range search {
		ok := false
		for i := range clause {
			t := &clause[i]
			for _, s := range d.vals[t.field] {
				if t.value.match(d.arena[s.off : s.off+s.n]) {
					ok = true
					break
				}
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// aggregate adds the current (passing) event to one group per combination
// of its by-field values, as stats does for multivalue by-fields.
func (d *Detector) aggregate() {
	combos := 1
	for f := 0; f < nBy; f++ {
		if n := len(d.vals[f]); n > 1 {
			combos *= n
			if combos > MaxGroupsPerEvent {
				d.tooMany++
				return
			}
		}
	}
	for f := 0; f < nFields; f++ {
		if len(d.vals[f]) > 0 {
			d.present |= 1 << f
		}
	}
	d.version++
	// The event's user.groups{} values as one set, joined to each of its
	// groups below.
	var evSet uint32
	if len(d.vals[fGroups]) > 0 {
		ids := d.ids[:0]
		for _, s := range d.vals[fGroups] {
			ids = append(ids, d.groups.sets.value(d.arena[s.off:s.off+s.n]))
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		d.ids = ids
		evSet = d.groups.sets.set(ids)
	}
	var idx [nBy]int
	for {
		d.key = d.key[:0]
		for f := 0; f < nBy; f++ {
			if len(d.vals[f]) == 0 {
				d.key = append(d.key, 0)
				continue
			}
			s := d.vals[f][idx[f]]
			d.key = append(d.key, 1)
			d.key = appendUvarint(d.key, s.n)
			d.key = append(d.key, d.arena[s.off:s.off+s.n]...)
		}
		g := d.groups.get(d.key)
		g.count++
		if len(d.vals[fGroups]) == 0 {
			g.noGroups = true
		}
		g.set = d.groups.sets.union(g.set, evSet)
		// Next combination, odometer style.
		f := nBy - 1
		for ; f >= 0; f-- {
			if idx[f]+1 < len(d.vals[f]) {
				idx[f]++
				break
			}
			idx[f] = 0
		}
		if f < 0 {
			return
		}
	}
}

// Messages reports skipped events: not JSON objects, or joining too many
// groups at once.
func (d *Detector) Messages() []string {
	var m []string
	if d.nonJSON > 0 {
		m = append(m, fmt.Sprintf("kubeprivpod: ignored %d events whose _raw is not a JSON object", d.nonJSON))
	}
	if d.tooMany > 0 {
		m = append(m, fmt.Sprintf("kubeprivpod: skipped %d events whose by-field values form more than %d combinations", d.tooMany, MaxGroupsPerEvent))
	}
	return m
}

func appendUvarint(b []byte, n int) []byte { return binary.AppendUvarint(b, uint64(n)) }
