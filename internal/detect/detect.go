// Package detect names the contract every detection mode fulfils, so that
// the search command, its map and reduce phases and the offline scanner can
// drive any mode the same way.
package detect

import "github.com/kubeprivpod/kubeprivpod/internal/table"

// PartialField is the column in which a map-phase process hands its partial
// state to the reduce phase. Its content is private to the mode that wrote it.
const PartialField = "__kubeprivpod_partial"

// Detector is the state of one run of a detection. It consumes audit events,
// or partial states written by other processes of the same mode, and
// produces the final table. A Detector is not safe for concurrent use.
type Detector interface {
	// AddEvent offers one audit event, the bytes of Splunk's _raw field.
	// It never fails: an event that is not a JSON object is counted and
	// reported by Messages. The detector does not retain raw.
	AddEvent(raw []byte)

	// AddPartial merges one partial row written by Flush, possibly in
	// another process. It fails on a row this mode did not write.
	AddPartial(p []byte) error

	// Flush writes everything accumulated since the last Flush as partial
	// rows, then forgets it, so a map-phase process keeps memory bounded.
	// The bytes passed to emit are valid only during the call.
	Flush(emit func(p []byte) error) error

	// Result returns the final table for everything added.
	Result() table.Table

	// Messages returns warnings an analyst or admin should see, such as
	// how many events were skipped because they were not JSON.
	Messages() []string
}
