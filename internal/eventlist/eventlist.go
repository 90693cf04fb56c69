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

	"github.com/tidwall/gjson"
)

// Errors returned by Split, wrapped in *Error.
var (
	ErrNotJSON  = errors.New("not valid JSON")
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
	if !gjson.ValidBytes(doc) {
		return &Error{Item: -1, Err: ErrNotJSON}
	}
	if i := skipSpace(doc, 0); doc[i] != '{' {
		return &Error{Item: -1, Err: ErrNotAudit}
	}
	// Only the first occurrence of a key counts, as with gjson.Get.
	var kind, items []byte
	var hasKind, hasItems, hasAuditID bool
	Fields(doc, func(k, v []byte) bool {
		switch {
		case !hasKind && KeyIs(k, "kind"):
			kind, hasKind = v, true
		case !hasItems && KeyIs(k, "items"):
			items, hasItems = v, true
		case !hasAuditID && KeyIs(k, "auditID"):
			hasAuditID = true
		}
		return true
	})
	switch {
	case StringIs(kind, "EventList"):
		if !hasItems || string(items) == "null" {
			return nil // an empty list may omit items
		}
		if items[0] != '[' {
			return &Error{Item: -1, Err: ErrNotAudit}
		}
		var err error
		i := 0
		elements(items, func(item []byte) bool {
			if item[0] != '{' {
				err = &Error{Item: i, Err: ErrItem}
				return false
			}
			if e := fn(item); e != nil {
				err = e
				return false
			}
			i++
			return true
		})
		return err
	case StringIs(kind, "Event"), !hasKind && hasAuditID:
		return fn(bytes.TrimSpace(doc))
	}
	return &Error{Item: -1, Err: ErrNotAudit}
}
