package extended

import (
	"bytes"

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
}

// Key notes which member comes, by its name as written.
func (x *topIndex) Key(depth int, key []byte) {
	if depth != 1 {
		return
	}
	x.bit = 0
	if bytes.IndexByte(key, '\\') >= 0 {
		// gjson would compare the decoded name: leave the event to it.
		x.escaped = true
		return
	}
	if b := auditKeys[string(key)]; b != 0 && x.seen&b == 0 {
		x.bit = b
	}
}

// Start notes where a member's value starts.
func (x *topIndex) Start(depth int, _ []byte, i int) {
	if depth == 1 {
		x.start = i
	}
}

// End records a member's value bounds when it is one parseAudit reads.
func (x *topIndex) End(depth int, _ []byte, i int) {
	if depth == 1 && x.bit != 0 {
		x.seen |= x.bit
		x.at[bitIndex(x.bit)] = [2]int{x.start, i}
		x.bit = 0
	}
}

// bitIndex is the position of a single set bit.
func bitIndex(b int) int {
	n := 0
	for b > 1 {
		b >>= 1
		n++
	}
	return n
}

// parseAuditValid is parseAudit for an event that it validates in the
// same pass: it fills e and reports true, with e.raw left empty (the
// event is known valid), or reports false, leaving e untouched, when the
// event is not valid JSON or a top-level key holds an escape. For a valid
// event with plain keys gjson's walk sees the same members, so e is
// filled exactly as parseAudit fills it.
func parseAuditValid(s string, e *event) bool {
	var x topIndex
	if jsonscan.ValidateVisit(bytesOf(s), &x, 1) != nil || x.escaped {
		return false
	}
	val := func(bit int) gjson.Result {
		if x.seen&bit == 0 {
			return gjson.Result{}
		}
		b := x.at[bitIndex(bit)]
		return gjson.Parse(s[b[0]:b[1]])
	}
	fillAudit(e, val)
	return true
}
