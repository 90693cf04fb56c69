package webhook

import (
	"bytes"
	"hash/maphash"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/eventlist"
)

// Batch holds the events of one delivered audit document, each as the
// bytes a log-backend line would hold: the item as sent, with "kind" and
// "apiVersion" put in front when the item lacks them (the webhook backend
// leaves them out of EventList items; the log backend writes them first).
//
// A Batch is reused between requests; its event data aliases the document
// it was parsed from, or its own buffer.
type Batch struct {
	cur    pending // members of the item being split
	events []event
	arena  []byte // rebuilt items, so aliasing slices are cut only once it stops growing
	plain  bool   // every event is plain text (see Plain)

	// During Parse: the document, its apiVersion once looked up, and the
	// callbacks, made once per Batch rather than per Parse.
	doc, apiVersion []byte
	memberFn        func(k, v []byte)
	itemFn          func(item []byte) error
}

// pending is what member gathered about the item being split.
type pending struct {
	hasKind, hasVersion, hasTime bool
	id, stage                    []byte
	t                            time.Time
}

type event struct {
	t     time.Time
	data  []byte // nil while the bytes are still in arena[off:end]
	off   int
	end   int
	key   key
	keyed bool // false when the item has no auditID to deduplicate on
}

// Len reports the number of events.
func (b *Batch) Len() int { return len(b.events) }

// Event returns the i-th event's requestReceivedTimestamp (zero when
// absent or unreadable) and its bytes.
func (b *Batch) Event(i int) (time.Time, []byte) { return b.events[i].t, b.events[i].data }

// Plain reports whether every event's bytes are plain text (printable
// ASCII without '<', '>' or '&', and tab and LF), as the API server's
// JSON nearly always is: it escapes those three characters itself. It
// makes b a modinput.PlainBatch, whose events need no XML escaping.
func (b *Batch) Plain() bool { return b.plain }

// DefaultAPIVersion is the audit API version put into items that lack one
// when the document does not name its own.
const DefaultAPIVersion = "audit.k8s.io/v1"

// Parse replaces b's events with those of doc, an audit.k8s.io EventList
// or a single Event. It returns an *eventlist.Error when doc is not one.
// The events alias doc, which must not change while b is in use.
func (b *Batch) Parse(doc []byte) error {
	b.events = b.events[:0]
	b.arena = b.arena[:0]
	b.cur = pending{}
	b.plain = false
	// The document's own apiVersion is looked up only when an item lacks
	// one. Items arrive while doc is still being validated: Fields stops
	// early, without harm, on invalid JSON, and a document found invalid
	// later drops everything.
	b.doc, b.apiVersion = doc, nil
	defer func() { b.doc, b.apiVersion = nil, nil }()
	if b.memberFn == nil {
		b.memberFn, b.itemFn = b.member, b.item
	}
	// Inserted kind and apiVersion are plain text too: constants, or the
	// document's own apiVersion.
	plain, err := eventlist.SplitFieldsPlain(doc, b.memberFn, b.itemFn)
	if err != nil {
		b.events = b.events[:0]
		return err
	}
	for i := range b.events {
		if e := &b.events[i]; e.data == nil {
			e.data = b.arena[e.off:e.end:e.end]
		}
	}
	b.plain = plain
	return nil
}

// item adds one item of b.doc.
func (b *Batch) item(item []byte) error {
	if b.apiVersion == nil && !(b.cur.hasKind && b.cur.hasVersion) {
		b.apiVersion = docAPIVersion(b.doc)
	}
	b.add(item, b.apiVersion)
	return nil
}

// member notes what add needs from one top-level member of the item
// being split; only the first occurrence of a key counts. Keys are
// compared as they are; only a key with an escape in it is decoded.
func (b *Batch) member(k, v []byte) {
	c := &b.cur
	switch string(k) {
	case "kind":
		c.hasKind = true
	case "apiVersion":
		c.hasVersion = true
	case "auditID":
		if c.id == nil {
			c.id = v
		}
	case "stage":
		if c.stage == nil {
			c.stage = v
		}
	case "requestReceivedTimestamp":
		c.time(v)
	default:
		if bytes.IndexByte(k, '\\') >= 0 {
			b.escapedMember(k, v)
		}
	}
}

// escapedMember is member for a key spelled with JSON escapes.
func (b *Batch) escapedMember(k, v []byte) {
	c := &b.cur
	switch {
	case eventlist.KeyIs(k, "kind"):
		c.hasKind = true
	case eventlist.KeyIs(k, "apiVersion"):
		c.hasVersion = true
	case c.id == nil && eventlist.KeyIs(k, "auditID"):
		c.id = v
	case c.stage == nil && eventlist.KeyIs(k, "stage"):
		c.stage = v
	case eventlist.KeyIs(k, "requestReceivedTimestamp"):
		c.time(v)
	}
}

// time notes the item's requestReceivedTimestamp, the first one only.
func (c *pending) time(v []byte) {
	if c.hasTime {
		return
	}
	c.hasTime = true
	if len(v) >= 2 && v[0] == '"' {
		c.t = parseMicroTime(v[1 : len(v)-1])
	}
}

// add records one item, whose members member has just seen, and resets
// that state for the next item.
func (b *Batch) add(item []byte, apiVersion []byte) {
	c := b.cur
	b.cur = pending{}
	e := event{t: c.t}
	if c.id != nil {
		e.key, e.keyed = makeKey(c.id, c.stage), true
	}
	if c.hasKind && c.hasVersion {
		e.data = item
		b.events = append(b.events, e)
		return
	}
	e.off = len(b.arena)
	b.arena = append(b.arena, '{')
	if !c.hasKind {
		b.arena = append(b.arena, `"kind":"Event"`...)
	}
	if !c.hasVersion {
		if !c.hasKind {
			b.arena = append(b.arena, ',')
		}
		b.arena = append(b.arena, `"apiVersion":`...)
		b.arena = append(b.arena, apiVersion...)
	}
	rest := item[1:]
	if !emptyObjectTail(rest) {
		b.arena = append(b.arena, ',')
	}
	b.arena = append(b.arena, rest...)
	e.end = len(b.arena)
	b.events = append(b.events, e)
}

// docAPIVersion returns the raw apiVersion of the (validated) document
// when it is an audit.k8s.io version, else DefaultAPIVersion quoted.
func docAPIVersion(doc []byte) []byte {
	v := []byte(`"` + DefaultAPIVersion + `"`)
	eventlist.Fields(doc, func(k, raw []byte) bool {
		if !eventlist.KeyIs(k, "apiVersion") {
			return true
		}
		const prefix = `"audit.k8s.io/`
		if len(raw) > len(prefix)+1 && string(raw[:len(prefix)]) == prefix && bytes.IndexByte(raw[1:len(raw)-1], '"') < 0 {
			v = raw
		}
		return false
	})
	return v
}

// emptyObjectTail reports whether rest (an object without its '{') holds
// no members, so the inserted fields need no trailing comma.
func emptyObjectTail(rest []byte) bool {
	for _, c := range rest {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c == '}'
	}
	return true
}

// parseMicroTime reads a metav1.MicroTime ("2006-01-02T15:04:05.000000Z")
// without allocating, falling back to RFC 3339 for other spellings. It
// returns the zero Time when s is neither.
func parseMicroTime(s []byte) time.Time {
	if len(s) == 27 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == '.' && s[26] == 'Z' {
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		h, ok4 := digits(s[11:13])
		mi, ok5 := digits(s[14:16])
		sec, ok6 := digits(s[17:19])
		us, ok7 := digits(s[20:26])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 61 {
			return time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC)
		}
	}
	if bytes.IndexByte(s, '\\') >= 0 {
		return time.Time{} // escapes in a timestamp: not one the API server wrote
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return time.Time{}
	}
	return t
}

func digits(s []byte) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// key identifies one stage of one request: a 128-bit hash of its auditID
// and stage (their raw JSON text: a re-sent batch repeats the same bytes).
type key struct{ a, b uint64 }

var seedA, seedB = maphash.MakeSeed(), maphash.MakeSeed()

func makeKey(id, stage []byte) key {
	var h maphash.Hash
	h.SetSeed(seedA)
	h.Write(id)
	h.WriteByte(0)
	h.Write(stage)
	a := h.Sum64()
	h.SetSeed(seedB)
	h.Write(id)
	h.WriteByte(0)
	h.Write(stage)
	return key{a, h.Sum64()}
}

// dedupe remembers the keys of events already written, for a bounded time
// and number, so a batch the API server re-sends (because our reply was
// lost or late) is not indexed twice. It is used under Server.deliverMu.
// Memory grows with use, up to about 60 bytes per remembered key.
type dedupe struct {
	window  time.Duration
	maxKeys int
	seen    map[key]struct{}
	ring    []stamped // FIFO of remembered keys, oldest at head; grows up to maxKeys
	head, n int
}

type stamped struct {
	k  key
	at int64 // UnixNano
}

func newDedupe(window time.Duration, maxKeys int) *dedupe {
	return &dedupe{window: window, maxKeys: maxKeys, seen: make(map[key]struct{})}
}

func (d *dedupe) has(k key) bool {
	_, ok := d.seen[k]
	return ok
}

// add remembers k, forgetting the oldest key when full.
func (d *dedupe) add(k key, now time.Time) { d.remember(k, now) }

// remember remembers k, forgetting the oldest key when full, and reports
// whether k is new. One map probe does both: assigning a key that is
// already there leaves the map's length as it was. (The map is large and
// each probe a likely cache miss.)
func (d *dedupe) remember(k key, now time.Time) bool {
	if d.maxKeys <= 0 {
		return !d.has(k)
	}
	n := len(d.seen)
	d.seen[k] = struct{}{}
	if len(d.seen) == n {
		return false
	}
	if d.n == d.maxKeys {
		d.pop() // the oldest key, which is not k: k was not there
	}
	if d.n == len(d.ring) {
		d.grow()
	}
	d.ring[(d.head+d.n)%len(d.ring)] = stamped{k, now.UnixNano()}
	d.n++
	return true
}

// grow doubles the ring (up to maxKeys), keeping its order.
func (d *dedupe) grow() {
	size := min(max(2*len(d.ring), 1024), d.maxKeys)
	r := make([]stamped, size)
	for i := 0; i < d.n; i++ {
		r[i] = d.ring[(d.head+i)%len(d.ring)]
	}
	d.ring, d.head = r, 0
}

// expire forgets keys older than the window.
func (d *dedupe) expire(now time.Time) {
	limit := now.Add(-d.window).UnixNano()
	for d.n > 0 && d.ring[d.head].at < limit {
		d.pop()
	}
}

func (d *dedupe) pop() {
	delete(d.seen, d.ring[d.head].k)
	d.head = (d.head + 1) % len(d.ring)
	d.n--
}

// filter drops from b the events whose key it has seen (in an earlier
// batch or earlier in b), remembers the keys of the rest, and returns how
// many it dropped. Keys are remembered before b is written: if writing
// fails the process stops, so nothing is wrongly remembered for long.
func (d *dedupe) filter(b *Batch, now time.Time) int {
	d.expire(now)
	kept := b.events[:0]
	dropped := 0
	for _, e := range b.events {
		if e.keyed && !d.remember(e.key, now) {
			dropped++
			continue
		}
		kept = append(kept, e)
	}
	b.events = kept
	return dropped
}
