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
	"unsafe"

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
	// gjson works on strings; viewing doc as one (instead of copying it,
	// as ParseBytes does) keeps Split free of per-document copies. Nothing
	// writes to doc while Split runs, and no string outlives it.
	root := gjson.Parse(unsafe.String(unsafe.SliceData(doc), len(doc)))
	if !root.IsObject() {
		return &Error{Item: -1, Err: ErrNotAudit}
	}
	kind := root.Get("kind")
	switch {
	case kind.Type == gjson.String && kind.Str == "EventList":
		items := root.Get("items")
		if !items.Exists() || items.Type == gjson.Null {
			return nil // an empty list may omit items
		}
		if !items.IsArray() {
			return &Error{Item: -1, Err: ErrNotAudit}
		}
		var err error
		i := 0
		items.ForEach(func(_, item gjson.Result) bool {
			if !item.IsObject() {
				err = &Error{Item: i, Err: ErrItem}
				return false
			}
			if e := fn(rawBytes(doc, item)); e != nil {
				err = e
				return false
			}
			i++
			return true
		})
		return err
	case kind.Type == gjson.String && kind.Str == "Event",
		!kind.Exists() && root.Get("auditID").Exists():
		return fn(bytes.TrimSpace(doc))
	}
	return &Error{Item: -1, Err: ErrNotAudit}
}

// rawBytes returns r's text as a slice of doc when gjson recorded where it
// came from, so no copy is made.
func rawBytes(doc []byte, r gjson.Result) []byte {
	if r.Index > 0 && r.Index+len(r.Raw) <= len(doc) {
		return doc[r.Index : r.Index+len(r.Raw)]
	}
	return []byte(r.Raw)
}
