// Package eventlist splits a Kubernetes audit document — an
// audit.k8s.io EventList, as the API server's webhook backend sends it, or
// a single Event, as its log backend writes one per line — into the
// original bytes of each event, without re-encoding them.
//
// Keeping the bytes matters: Splunk extracts fields from the event text,
// and re-marshalling would reorder keys and change escapes.
package eventlist

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// Errors returned by Split, wrapped in *Error. A document that is not
// JSON gets a *jsonscan.SyntaxError, which wraps ErrNotJSON (and
// ErrTooDeep for the nesting).
var (
	ErrNotJSON  = jsonscan.ErrSyntax
	ErrTooDeep  = jsonscan.ErrTooDeep
	ErrNotAudit = errors.New("neither an audit EventList nor an audit Event")
	ErrItem     = errors.New("EventList item is not a JSON object")
)

// Error reports which part of a document was wrong.
type Error struct {
	Item int // index of the offending EventList item, or -1 for the document
	Err  error
}

func (e *Error) Error() string {
	if e.Item < 0 {
		return "audit document: " + e.Err.Error()
	}
	return fmt.Sprintf("audit document: items[%d]: %v", e.Item, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Split validates doc and calls fn with the bytes of each event it holds:
// every element of "items" for an EventList, or doc itself (without
// surrounding whitespace) for a single Event. An object is taken as a
// single Event when its kind is "Event" or, lacking a kind, it has an
// auditID. The slices passed to fn alias doc. Split stops at the first
// error fn returns and returns it unchanged.
func Split(doc []byte, fn func(event []byte) error) error {
	return SplitFields(doc, nil, fn)
}

// SplitFields is Split that also hands over the top-level members of
// each event, found in the same pass: member(key, value) is called for
// every member of an event (key as in Fields) before event is called with
// the whole event. member may be nil. After an error member may have seen
// members of an event that event never gets.
func SplitFields(doc []byte, member func(key, value []byte), event func(ev []byte) error) error {
	if err := jsonscan.Validate(doc); err != nil {
		return &Error{Item: -1, Err: err}
	}
	return splitValid(doc, member, event)
}

// SplitValid is SplitFields for a document already validated (by
// jsonscan.Validate), so that a reader which must validate it anyway to
// tell what it is does not do it twice. A document that is not valid
// JSON gets an error wrapping ErrNotJSON, or a wrong split; never a panic.
func SplitValid(doc []byte, member func(key, value []byte), event func(ev []byte) error) error {
	return splitValid(doc, member, event)
}

// SplitFieldsPlain is SplitFields in one pass over doc, which also
// reports whether doc is plain text: nothing but printable ASCII (0x20 to
// 0x7F) other than '<', '>' and '&', and tab and LF. Such bytes stand for
// themselves in XML character data, so a writer can copy the events
// without escaping them. plain is false when err is not nil.
//
// Unlike SplitFields, it hands over the items of an EventList whose kind
// comes before its items (as the API server writes it) while it
// validates, so member and event may have been called for items of a
// document that it then reports invalid: discard them when err is not nil.
func SplitFieldsPlain(doc []byte, member func(key, value []byte), event func(ev []byte) error) (plain bool, err error) {
	var m Members
	if member != nil {
		m = memberFunc(member)
	}
	return SplitFieldsPlainTo(doc, m, event)
}

// Members receives the top-level members of each item, as SplitFields's
// member function does.
type Members interface {
	Member(key, value []byte)
}

type memberFunc func(key, value []byte)

func (f memberFunc) Member(key, value []byte) { f(key, value) }

// SplitFieldsPlainTo is SplitFieldsPlain with the items' members handed
// to m (which may be nil): one interface call per member where a method
// value would cost a wrapper call more.
func SplitFieldsPlainTo(doc []byte, m Members, event func(ev []byte) error) (plain bool, err error) {
	sp := splitter{member: m, event: event, itemsAt: -1}
	plain, err = jsonscan.ScanPlain(doc, &sp, 3)
	if err != nil {
		return false, &Error{Item: -1, Err: err}
	}
	if sp.err != nil {
		return false, sp.err
	}
	if !sp.itemsDone {
		// Not an EventList, or its kind came after its items.
		var member func(key, value []byte)
		if m != nil {
			member = m.Member
		}
		if err := splitValid(doc, member, event); err != nil {
			return false, err
		}
	}
	return plain, nil
}

// splitter is what SplitFieldsPlain's validation pass reports to. Depth
// is the number of containers open around a key or value: 1 for the
// document's members, 2 for the items, 3 for the items' members. Like
// the walk in splitValid, it takes the first occurrence of kind and
// items, and splits items only when kind came first and says EventList.
type splitter struct {
	member Members
	event  func(ev []byte) error

	rootKey   int // which of the document's members is being read
	hasKind   bool
	kindAt    int
	kind      []byte
	itemsAt   int
	inItems   bool // inside the items array being split
	itemsDone bool // every item was handed over (or err was set)
	stopped   bool // err is set: hand over nothing more
	err       error
	itemAt, n int
	k         []byte // key of the item's member being read
	valAt     int
}

const (
	rootOther = iota
	rootKind
	rootItems
)

// Key, Start and End make splitter a jsonscan.Visitor.
func (s *splitter) Key(depth int, k []byte) {
	switch depth {
	case 1:
		switch {
		case !s.hasKind && jsonscan.KeyIs(k, "kind"):
			s.hasKind, s.rootKey = true, rootKind
		case s.itemsAt < 0 && jsonscan.KeyIs(k, "items"):
			s.rootKey = rootItems
		default:
			s.rootKey = rootOther
		}
	case 3:
		s.k = k
	}
}

// Member makes splitter a jsonscan.MemberVisitor: ScanPlain shows it the
// items' members (depth 3) in one call each instead of Key, Start and End.
func (s *splitter) Member(depth int, k, v []byte) {
	if s.inItems && !s.stopped && s.member != nil {
		s.member.Member(k, v)
	}
}

func (s *splitter) Start(depth int, doc []byte, i int) {
	switch depth {
	case 1:
		switch s.rootKey {
		case rootKind:
			s.kindAt = i
		case rootItems:
			s.itemsAt = i
			s.inItems = doc[i] == '[' && jsonscan.StringIs(s.kind, "EventList")
		}
	case 2:
		if s.inItems && !s.stopped {
			if doc[i] != '{' {
				s.err, s.stopped = &Error{Item: s.n, Err: ErrItem}, true
			}
			s.itemAt = i
		}
	case 3:
		s.valAt = i
	}
}

func (s *splitter) End(depth int, doc []byte, i int) {
	switch depth {
	case 1:
		switch s.rootKey {
		case rootKind:
			s.kind = doc[s.kindAt:i]
		case rootItems:
			if s.inItems {
				s.inItems, s.itemsDone = false, true
			}
		}
		s.rootKey = rootOther
	case 2:
		if s.inItems && !s.stopped {
			if err := s.event(doc[s.itemAt:i]); err != nil {
				s.err, s.stopped = err, true
				return
			}
			s.n++
		}
	case 3:
		if s.inItems && !s.stopped && s.member != nil {
			s.member.Member(s.k, doc[s.valAt:i])
		}
	}
}

// splitValid is SplitFields after validation.
func splitValid(doc []byte, member func(key, value []byte), event func(ev []byte) error) error {
	i := jsonscan.SkipSpace(doc, 0)
	if i >= len(doc) {
		return &Error{Item: -1, Err: ErrNotJSON}
	}
	if doc[i] != '{' {
		return &Error{Item: -1, Err: ErrNotAudit}
	}
	// doc is valid JSON from here on, so the walk only finds boundaries.
	// Only the first occurrence of a key counts, as with gjson.Get. The
	// API server writes kind before items, so the items are normally
	// split during this one walk over the document.
	var kind []byte
	var hasKind, hasAuditID, itemsDone bool
	var err error
	itemsAt := -1
	end := jsonscan.MembersAt(doc, i, func(k []byte, vs int) int {
		switch {
		case !hasKind && jsonscan.KeyIs(k, "kind"):
			hasKind = true
			e := jsonscan.SkipLongValue(doc, vs)
			if e >= 0 {
				kind = doc[vs:e]
			}
			return e
		case itemsAt < 0 && jsonscan.KeyIs(k, "items"):
			itemsAt = vs
			if jsonscan.StringIs(kind, "EventList") && doc[vs] == '[' {
				var e int
				e, err = splitItems(doc, vs, member, event)
				itemsDone = err == nil
				return e
			}
		case !hasAuditID && jsonscan.KeyIs(k, "auditID"):
			hasAuditID = true
		}
		return jsonscan.SkipLongValue(doc, vs)
	})
	switch {
	case err != nil:
		return err
	case end < 0:
		return &Error{Item: -1, Err: ErrNotJSON}
	case jsonscan.StringIs(kind, "EventList"):
		if itemsDone || itemsAt < 0 || doc[itemsAt] == 'n' {
			return nil // an empty list may omit items, or send null
		}
		if doc[itemsAt] != '[' {
			return &Error{Item: -1, Err: ErrNotAudit}
		}
		_, err := splitItems(doc, itemsAt, member, event)
		return err
	case jsonscan.StringIs(kind, "Event"), !hasKind && hasAuditID:
		ev := bytes.TrimSpace(doc)
		if member != nil {
			jsonscan.Fields(ev, func(k, v []byte) bool { member(k, v); return true })
		}
		return event(ev)
	}
	return &Error{Item: -1, Err: ErrNotAudit}
}

// splitItems hands each element of the array at doc[at] to member and
// event, walking every element once, and returns the index after the
// array.
func splitItems(doc []byte, at int, member func(key, value []byte), event func(ev []byte) error) (int, error) {
	var err error
	n := 0
	each := func(k, v []byte) bool { member(k, v); return true }
	end := jsonscan.ElementsAt(doc, at, func(i int) int {
		if doc[i] != '{' {
			err = &Error{Item: n, Err: ErrItem}
			return -1
		}
		var end int
		if member != nil {
			end = jsonscan.FieldsAt(doc, i, each)
		} else {
			end = jsonscan.SkipLongValue(doc, i)
		}
		if end < 0 {
			err = &Error{Item: -1, Err: ErrNotJSON}
			return -1
		}
		if e := event(doc[i:end]); e != nil {
			err = e
			return -1
		}
		n++
		return end
	})
	if end < 0 && err == nil {
		err = &Error{Item: -1, Err: ErrNotJSON}
	}
	return end, err
}
