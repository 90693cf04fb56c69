package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"time"
	"unsafe"

	"github.com/kubeprivpod/kubeprivpod/internal/eventlist"
	"github.com/kubeprivpod/kubeprivpod/internal/jsonscan"
)

// Batch holds the events of one delivered audit document, each as the
// bytes a log-backend line would hold: the item as sent, with "kind" and
// "apiVersion" put in front when the item lacks them (the webhook backend
// leaves them out of EventList items; the log backend writes them first).
//
// A Batch is reused between requests. Its events alias the document they
// were parsed from; an inserted "kind"/"apiVersion" is one of a few
// constant heads, not a copy of the item, so an event costs the bytes of
// its item plus eventSize, whatever its size.
type Batch struct {
	// MaxEvents, when positive, is the most events Parse accepts: past it
	// Parse fails with ErrTooManyEvents, before holding more.
	MaxEvents int

	cur    pending   // members of the item being split
	blocks [][]event // the events, blockEvents to a block: growing never copies
	n      int       // number of events
	doc    []byte    // the document the events alias
	plain  bool      // every event is plain text (see Plain)
	itemFn func(item []byte) error
	err    error // an item refused by item
}

// pending is what Member gathered about the item being split.
type pending struct {
	hasKind, hasVersion, hasTime bool
	badVersion, id, stage        []byte // badVersion: the first apiVersion that is not APIVersion
	hasUs                        bool   // us holds a usable requestReceivedTimestamp
	us                           int64  // in Unix microseconds
}

// event is one item: its bytes are doc[off:end], preceded by heads[head]
// in place of the item's '{' when head is not 0. 40 bytes (eventSize).
type event struct {
	us       int64 // requestReceivedTimestamp in Unix microseconds; noTime when absent
	off, end uint32
	head     uint8
	keyed    bool // false when the item has no auditID to deduplicate on
	key      key
}

// eventSize is the memory one event costs beyond its bytes.
const eventSize = int(unsafe.Sizeof(event{}))

// noTime marks an event without a usable requestReceivedTimestamp.
const noTime = math.MinInt64

// heads are what replaces an item's '{' when it lacks "kind" or
// "apiVersion" (index 0: nothing is inserted). Odd indexes are for items
// with no members, which need no comma after the inserted ones.
var heads = [...][]byte{
	nil,
	nil,
	[]byte(`{"kind":"Event","apiVersion":"` + APIVersion + `",`),
	[]byte(`{"kind":"Event","apiVersion":"` + APIVersion + `"`),
	[]byte(`{"kind":"Event",`),
	[]byte(`{"kind":"Event"`),
	[]byte(`{"apiVersion":"` + APIVersion + `",`),
	[]byte(`{"apiVersion":"` + APIVersion + `"`),
}

// Len reports the number of events.
func (b *Batch) Len() int { return b.n }

// blockEvents is the number of events in one block of Batch.blocks.
const blockEvents = 1024

func (b *Batch) at(i int) *event { return &b.blocks[i/blockEvents][i%blockEvents] }

func (b *Batch) push(e event) {
	if b.n/blockEvents == len(b.blocks) {
		b.blocks = append(b.blocks, make([]event, blockEvents))
	}
	*b.at(b.n) = e
	b.n++
}

// Event returns the i-th event's requestReceivedTimestamp (zero when
// absent or unreadable) and its bytes. When kind or apiVersion were
// inserted the bytes are a new copy; EventParts avoids it.
func (b *Batch) Event(i int) (time.Time, []byte) {
	t, head, rest := b.EventParts(i)
	if head == nil {
		return t, rest
	}
	return t, append(append(make([]byte, 0, len(head)+len(rest)), head...), rest...)
}

// EventParts returns the i-th event's time and its bytes as two parts,
// head (nil or a constant holding the inserted kind and apiVersion) and
// rest (aliasing the document): the event is head followed by rest. It
// makes b a modinput.PartsBatch.
func (b *Batch) EventParts(i int) (t time.Time, head, rest []byte) {
	e := b.at(i)
	if e.us != noTime {
		t = time.UnixMicro(e.us).UTC()
	}
	if e.head == 0 {
		return t, nil, b.doc[e.off:e.end:e.end]
	}
	return t, heads[e.head], b.doc[e.off+1 : e.end : e.end]
}

// Plain reports whether every event's bytes are plain text (printable
// ASCII without '<', '>' or '&', and tab and LF), as the API server's
// JSON nearly always is: it escapes those three characters itself. It
// makes b a modinput.PlainBatch, whose events need no XML escaping.
func (b *Batch) Plain() bool { return b.plain }

// APIVersion is the only audit API version accepted, and the one put into
// items that lack one. Kubernetes API servers send nothing else: the
// --audit-webhook-version flag of k8s.io/apiserver (v0.37) knows only
// audit.k8s.io/v1 (v1alpha1 and v1beta1 were removed in 1.24).
const APIVersion = "audit.k8s.io/v1"

// DefaultAPIVersion is APIVersion, under its former name.
const DefaultAPIVersion = APIVersion

// ErrTooManyEvents is returned by Parse when a document holds more than
// MaxEvents events.
var ErrTooManyEvents = errors.New("more events than the batch limit")

// VersionError is returned by Parse when the document or an item names an
// apiVersion other than APIVersion, or the document names none.
type VersionError struct {
	Item int    // index of the item, or -1 for the document
	Got  string // the raw JSON value, truncated; "" when missing
}

// Error names the item and the version found, and the one accepted.
func (e *VersionError) Error() string {
	where := "audit document"
	if e.Item >= 0 {
		where = fmt.Sprintf("audit document: items[%d]", e.Item)
	}
	if e.Got == "" {
		return where + ": apiVersion missing; only " + APIVersion + " is accepted"
	}
	return fmt.Sprintf("%s: apiVersion %s is not %s, the only version accepted", where, e.Got, APIVersion)
}

// Parse replaces b's events with those of doc, an audit.k8s.io/v1
// EventList or a single Event. It returns an *eventlist.Error when doc is
// not one, a *VersionError for another apiVersion, and ErrTooManyEvents
// past MaxEvents. The events alias doc, which must not change while b is
// in use.
func (b *Batch) Parse(doc []byte) error {
	b.n = 0
	b.cur = pending{}
	b.plain = false
	b.err = nil
	b.doc = doc
	if uint64(len(doc)) > math.MaxUint32 {
		return &eventlist.Error{Item: -1, Err: errors.New("document larger than 4 GiB")}
	}
	if b.itemFn == nil {
		b.itemFn = b.item
	}
	// Items arrive while doc is still being validated; a document found
	// invalid later drops everything.
	plain, err := eventlist.SplitFieldsPlainTo(doc, (*members)(b), b.itemFn)
	if err == nil && b.err != nil {
		err = b.err
	}
	if err == nil {
		err = checkDocVersion(doc)
	}
	if err != nil {
		b.n = 0
		if b.err != nil {
			err = b.err // SplitFieldsPlain may have wrapped it
		}
		return err
	}
	b.plain = plain
	return nil
}

// checkDocVersion requires the (validated) document's own apiVersion to
// be APIVersion. The API server writes it before the items, so the walk
// stops early.
func checkDocVersion(doc []byte) error {
	var got []byte
	jsonscan.Fields(doc, func(k, raw []byte) bool {
		if jsonscan.KeyIs(k, "apiVersion") {
			got = raw
			return false
		}
		return true
	})
	if got == nil {
		return &VersionError{Item: -1}
	}
	if !jsonscan.StringIs(got, APIVersion) {
		return &VersionError{Item: -1, Got: truncate(got)}
	}
	return nil
}

// truncate keeps the start of a raw JSON value for an error message (the
// logger escapes what it must).
func truncate(raw []byte) string {
	const max = 64
	if len(raw) > max {
		return string(raw[:max]) + "..."
	}
	return string(raw)
}

// item adds one item of b.doc.
func (b *Batch) item(item []byte) error {
	c := b.cur
	b.cur = pending{}
	n := b.n
	if c.badVersion != nil {
		b.err = &VersionError{Item: n, Got: truncate(c.badVersion)}
		return b.err
	}
	if b.MaxEvents > 0 && n >= b.MaxEvents {
		b.err = ErrTooManyEvents
		return b.err
	}
	off := uintptr(unsafe.Pointer(unsafe.SliceData(item))) - uintptr(unsafe.Pointer(unsafe.SliceData(b.doc)))
	e := event{us: noTime, off: uint32(off), end: uint32(int(off) + len(item))}
	if c.hasUs {
		e.us = c.us
	}
	if c.id != nil {
		e.key, e.keyed = makeKey(c.id, c.stage), true
	}
	if !c.hasKind || !c.hasVersion {
		switch {
		case !c.hasKind && !c.hasVersion:
			e.head = 2
		case !c.hasKind:
			e.head = 4
		default:
			e.head = 6
		}
		if emptyObjectTail(item[1:]) {
			e.head++
		}
	}
	b.push(e)
	return nil
}

// members is a Batch as the eventlist.Members its parse reports to (an
// interface call, where a method value would add a wrapper call).
type members Batch

// Member notes what item needs from one top-level member of the item
// being split; only the first occurrence of a key counts. Keys are
// compared as they are; only a key with an escape in it is decoded.
func (m *members) Member(k, v []byte) {
	b := (*Batch)(m)
	c := &b.cur
	switch string(k) {
	case "kind":
		c.hasKind = true
	case "apiVersion":
		c.version(v)
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

// escapedMember is Member for a key spelled with JSON escapes.
func (b *Batch) escapedMember(k, v []byte) {
	c := &b.cur
	switch {
	case jsonscan.KeyIs(k, "kind"):
		c.hasKind = true
	case jsonscan.KeyIs(k, "apiVersion"):
		c.version(v)
	case c.id == nil && jsonscan.KeyIs(k, "auditID"):
		c.id = v
	case c.stage == nil && jsonscan.KeyIs(k, "stage"):
		c.stage = v
	case jsonscan.KeyIs(k, "requestReceivedTimestamp"):
		c.time(v)
	}
}

// version notes an apiVersion member of the item. Every occurrence is
// checked: readers of a key given twice disagree on which one counts.
func (c *pending) version(v []byte) {
	c.hasVersion = true
	if c.badVersion == nil && !jsonscan.StringIs(v, APIVersion) {
		c.badVersion = v
	}
}

// time notes the item's requestReceivedTimestamp, the first one only.
func (c *pending) time(v []byte) {
	if c.hasTime {
		return
	}
	c.hasTime = true
	if len(v) >= 2 && v[0] == '"' {
		c.us, c.hasUs = microTime(v[1 : len(v)-1])
	}
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

// zeroMicros is the zero Time in Unix microseconds.
var zeroMicros = time.Time{}.UnixMicro()

// microTime is parseMicroTime(s).UnixMicro() and whether that Time is not
// the zero one, with the usual metav1.MicroTime counted directly rather
// than through time.Date (TestMicroTime holds the two to the same
// answer, out-of-range days and leap seconds included).
func microTime(s []byte) (int64, bool) {
	if len(s) == 27 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == '.' && s[26] == 'Z' {
		bad := 0 // negative once a byte read as a digit is not one
		d := func(k int) int {
			x := int(s[k]) - '0'
			bad |= x | (9 - x)
			return x
		}
		y := d(0)*1000 + d(1)*100 + d(2)*10 + d(3)
		mo, dd, h, mi, sec := d(5)*10+d(6), d(8)*10+d(9), d(11)*10+d(12), d(14)*10+d(15), d(17)*10+d(18)
		us := ((((d(20)*10+d(21))*10+d(22))*10+d(23))*10+d(24))*10 + d(25)
		if bad >= 0 && mo >= 1 && mo <= 12 && dd >= 1 && dd <= 31 && h < 24 && mi < 60 && sec < 61 {
			t := ((daysFromCivil(y, mo, dd)*24+int64(h))*60+int64(mi))*60 + int64(sec)
			t = t*1e6 + int64(us)
			return t, t != zeroMicros
		}
	}
	t := parseMicroTime(s)
	return t.UnixMicro(), !t.IsZero()
}

// daysFromCivil returns the days from 1970-01-01 to year y (0 to 9999),
// month m (1 to 12), day d of the proleptic Gregorian calendar; a day past
// the month's end counts on into the next month, as time.Date does.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y-- // the year counted from March: the leap day comes last
	}
	era := (y+400)/400 - 1 // floor(y / 400) for y >= -400
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
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
	// Hashed in one piece (maphash.Bytes), not streamed through a
	// maphash.Hash, which copies its input into its own buffer. JSON text
	// holds no NUL byte, so the separator keeps (id, stage) pairs apart.
	var buf [128]byte
	s := buf[:0]
	if len(id)+1+len(stage) > len(buf) {
		s = make([]byte, 0, len(id)+1+len(stage))
	}
	s = append(append(append(s, id...), 0), stage...)
	return key{maphash.Bytes(seedA, s), maphash.Bytes(seedB, s)}
}

// dedupe remembers the keys of events already written, for a bounded time
// and number, so a batch the API server re-sends (because our reply was
// lost or late) is not indexed twice. It is used under Server.deliverMu.
// Memory grows with use, up to about 60 bytes per remembered key (the
// ring 24, the set at most 37), 79 while the set grows.
type dedupe struct {
	window  time.Duration
	maxKeys int
	seen    keySet
	ring    []stamped // FIFO of remembered keys, oldest at head; grows up to maxKeys
	head, n int
	sink    uint64 // what warm read, kept so the reads are not optimised away
}

type stamped struct {
	k  key
	at int64 // UnixNano
}

func newDedupe(window time.Duration, maxKeys int) *dedupe {
	return &dedupe{window: window, maxKeys: maxKeys}
}

func (d *dedupe) has(k key) bool { return d.seen.has(k) }

// add remembers k, forgetting the oldest key when full.
func (d *dedupe) add(k key, now time.Time) { d.remember(k, now) }

// remember remembers k, forgetting the oldest key when full, and reports
// whether k is new. One probe of the set does both. (The set is large
// and each probe a likely cache miss.)
func (d *dedupe) remember(k key, now time.Time) bool {
	if d.maxKeys <= 0 {
		return !d.has(k)
	}
	if !d.seen.add(k) {
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

// warm touches the set's slots that filtering b will probe: those of b's
// keys and, when the window is full, of the oldest keys it will forget.
// The set is far larger than the cache, so each probe would wait for
// memory in turn; these independent loads overlap their waits instead.
func (d *dedupe) warm(b *Batch) {
	var t uint64
	for i := 0; i < b.n; i++ {
		if e := b.at(i); e.keyed {
			t ^= d.seen.touch(e.key)
		}
	}
	if d.maxKeys > 0 {
		for i, out := 0, d.n+b.n-d.maxKeys; i < out && i < d.n; i++ {
			t ^= d.seen.touch(d.ring[(d.head+i)%len(d.ring)].k)
		}
	}
	d.sink = t
}

// expire forgets keys older than the window.
func (d *dedupe) expire(now time.Time) {
	limit := now.Add(-d.window).UnixNano()
	for d.n > 0 && d.ring[d.head].at < limit {
		d.pop()
	}
}

func (d *dedupe) pop() {
	d.seen.remove(d.ring[d.head].k)
	d.head = (d.head + 1) % len(d.ring)
	d.n--
}

// filter drops from b the events whose key it has seen (in an earlier
// batch or earlier in b), remembers the keys of the rest, and returns how
// many it dropped. Keys are remembered before b is written: if writing
// fails the process stops, so nothing is wrongly remembered for long.
func (d *dedupe) filter(b *Batch, now time.Time) int {
	d.expire(now)
	d.warm(b)
	kept, dropped := 0, 0
	for i := 0; i < b.n; i++ {
		e := b.at(i)
		if e.keyed && !d.remember(e.key, now) {
			dropped++
			continue
		}
		*b.at(kept) = *e
		kept++
	}
	b.n = kept
	return dropped
}
