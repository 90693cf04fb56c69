package chunked

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Errors wrapped by *ChunkError. Test for them with errors.Is.
var (
	// ErrHeader means the bytes where a frame header was expected are not
	// "chunked 1.0,<M>,<B>\n".
	ErrHeader = errors.New("malformed chunk header")
	// ErrTruncated means the input ended inside a frame: in its header,
	// its metadata or its body (shorter than its declared length).
	ErrTruncated = errors.New("input ends inside a chunk")
	// ErrMetadata means the metadata is not a JSON object of the expected
	// shape.
	ErrMetadata = errors.New("invalid chunk metadata")
	// ErrTooLarge means a declared length exceeds the Reader's limits; it
	// is reported before anything is allocated for it.
	ErrTooLarge = errors.New("chunk length too large")
)

// Default limits of a Reader.
const (
	// DefaultMaxMetadata caps the metadata of one request. Real getinfo
	// metadata is about 1 KB; the cap only stops an absurd length from
	// turning into an allocation.
	DefaultMaxMetadata = 64 << 20
	// DefaultMaxBody caps the declared body length of one request. Bodies
	// are streamed, never allocated, so the cap is only a sanity check.
	DefaultMaxBody = 1 << 40
)

// maxHeader bounds the header line: "chunked 1.0," plus two lengths and
// some of the spaces the lenient grammar allows.
const maxHeader = 256

// ChunkError reports a problem with one request: which one (0-based, the
// getinfo request is chunk 0), where its header starts in the input, and, when
// known, its action.
type ChunkError struct {
	Chunk  int    // 0-based index of the request
	Offset int64  // byte offset of the request's header in the input
	Action string // "getinfo", "execute", or "" when the metadata was not read
	Err    error
}

// Error says which request, where, and what went wrong.
func (e *ChunkError) Error() string {
	if e.Action != "" {
		return fmt.Sprintf("chunk %d (%s, byte offset %d): %v", e.Chunk, e.Action, e.Offset, e.Err)
	}
	return fmt.Sprintf("chunk %d (byte offset %d): %v", e.Chunk, e.Offset, e.Err)
}

// Unwrap returns the underlying error.
func (e *ChunkError) Unwrap() error { return e.Err }

// Request is one request from splunkd.
type Request struct {
	Action   string      // "getinfo" or "execute" (other values are passed through)
	Finished bool        // splunkd sends no more input after this request
	Preview  bool        // the search runs for a preview (getinfo)
	Info     *SearchInfo // the searchinfo of a getinfo request, nil otherwise
	// Metadata is the raw JSON metadata, valid until the next call to Next.
	Metadata []byte
	BodyLen  int64
	// Body streams exactly BodyLen bytes. A body shorter than BodyLen in
	// the input yields a *ChunkError wrapping ErrTruncated. What the caller
	// leaves unread is skipped by the next call to Next.
	Body io.Reader

	// Chunk and Offset locate the request, as in ChunkError.
	Chunk  int
	Offset int64
}

// SearchInfo is the searchinfo object of a getinfo request. Unknown keys are
// ignored.
type SearchInfo struct {
	Args          []string `json:"args"`     // SPL arguments, quotes stripped
	RawArgs       []string `json:"raw_args"` // SPL arguments as typed
	Command       string   `json:"command"`
	SID           string   `json:"sid"`
	App           string   `json:"app"`
	Owner         string   `json:"owner"`
	Username      string   `json:"username"`
	DispatchDir   string   `json:"dispatch_dir"`
	SplunkVersion string   `json:"splunk_version"`
	SplunkdURI    string   `json:"splunkd_uri"`
	SessionKey    string   `json:"session_key"`
	Search        string   `json:"search"` // percent-encoded by splunkd; opaque
	// EarliestTime and LatestTime hold epoch seconds as text ("0" means
	// unbounded). splunkd sends strings; numbers are accepted too and
	// kept in their JSON spelling.
	EarliestTime  string `json:"earliest_time"`
	LatestTime    string `json:"latest_time"`
	MaxResultRows int    `json:"maxresultrows"`
}

// metadata is the part of a request's metadata the Reader interprets.
type metadata struct {
	Action     *string         `json:"action"`
	Finished   bool            `json:"finished"`
	Preview    bool            `json:"preview"`
	SearchInfo json.RawMessage `json:"searchinfo"`
}

// Reader reads requests from splunkd. Its limits may be changed before the
// first call to Next.
type Reader struct {
	// MaxMetadata and MaxBody cap the declared lengths; larger ones are
	// rejected with ErrTooLarge.
	MaxMetadata int
	MaxBody     int64

	br     *bufio.Reader
	off    int64 // input offset of the next unread byte
	chunk  int   // index of the next request
	meta   []byte
	body   body
	err    error // sticky
	cur    *Request
	curReq Request
}

// NewReader returns a Reader reading requests from r (usually stdin).
func NewReader(r io.Reader) *Reader {
	return &Reader{
		MaxMetadata: DefaultMaxMetadata,
		MaxBody:     DefaultMaxBody,
		br:          bufio.NewReaderSize(r, 64<<10),
	}
}

// Offset returns the number of input bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

// Next reads the next request, first skipping whatever the caller left
// unread of the previous body. It returns io.EOF only when the input ends
// cleanly between requests (trailing ASCII whitespace is tolerated there);
// every other failure is a *ChunkError. Errors are sticky.
//
// The returned Request and its Metadata are valid until the next call.
func (r *Reader) Next() (*Request, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.cur != nil {
		if err := r.body.drain(); err != nil {
			r.err = err
			return nil, err
		}
		r.cur = nil
	}
	req, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	r.cur = req
	return req, nil
}

func (r *Reader) next() (*Request, error) {
	start := r.off
	fail := func(action string, err error) error {
		return &ChunkError{Chunk: r.chunk, Offset: start, Action: action, Err: err}
	}

	mlen, blen, err := r.readHeader()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fail("", err)
	}
	if mlen > int64(r.MaxMetadata) {
		return nil, fail("", fmt.Errorf("%w: metadata length %d exceeds the limit of %d bytes", ErrTooLarge, mlen, r.MaxMetadata))
	}
	if blen > r.MaxBody {
		return nil, fail("", fmt.Errorf("%w: body length %d exceeds the limit of %d bytes", ErrTooLarge, blen, r.MaxBody))
	}

	// Grow the metadata buffer only as the bytes actually arrive, so a
	// length that is large but under the cap costs nothing when the input
	// is short.
	r.meta = r.meta[:0]
	for int64(len(r.meta)) < mlen {
		want := int(min(mlen-int64(len(r.meta)), 1<<20))
		n := len(r.meta)
		r.meta = slices.Grow(r.meta, want)[:n+want]
		got, err := io.ReadFull(r.br, r.meta[n:])
		r.off += int64(got)
		if err != nil {
			return nil, fail("", fmt.Errorf("%w: metadata has %d of its %d bytes", ErrTruncated, n+got, mlen))
		}
	}

	var md metadata
	if err := json.Unmarshal(r.meta, &md); err != nil {
		return nil, fail("", fmt.Errorf("%w: %v", ErrMetadata, jsonError(err, "")))
	}
	if md.Action == nil {
		return nil, fail("", fmt.Errorf("%w: no \"action\"", ErrMetadata))
	}
	req := &r.curReq
	*req = Request{
		Action:   *md.Action,
		Finished: md.Finished,
		Preview:  md.Preview,
		Metadata: r.meta,
		BodyLen:  blen,
		Chunk:    r.chunk,
		Offset:   start,
	}
	if len(md.SearchInfo) > 0 && !bytes.Equal(md.SearchInfo, []byte("null")) {
		info := new(SearchInfo)
		if err := unmarshalSearchInfo(md.SearchInfo, info); err != nil {
			return nil, fail(req.Action, fmt.Errorf("%w: %v", ErrMetadata, jsonError(err, "searchinfo")))
		}
		req.Info = info
	}
	if req.Action == "getinfo" && req.Info == nil {
		return nil, fail(req.Action, fmt.Errorf("%w: getinfo without \"searchinfo\"", ErrMetadata))
	}
	r.body = body{r: r, remain: blen, size: blen, chunk: r.chunk, offset: start, action: req.Action}
	req.Body = &r.body
	r.chunk++
	return req, nil
}

// readHeader reads "chunked 1.0,<M>,<B>\n" as leniently as splunklib's
// pattern chunked\s+1.0\s*,\s*(\d+)\s*,\s*(\d+)\s*\n does.
func (r *Reader) readHeader() (mlen, blen int64, err error) {
	// A clean end is EOF before any byte, or after nothing but whitespace
	// (the PyPy recording ends with a stray "\n"). Whitespace followed by
	// anything else is an error, as it is for splunklib.
	skipped := 0
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return 0, 0, io.EOF
			}
			return 0, 0, err
		}
		if !isSpace(c) && c != '\n' {
			r.br.UnreadByte()
			break
		}
		r.off++
		skipped++
	}
	if skipped > 0 {
		return 0, 0, fmt.Errorf("%w: %d whitespace bytes where a header should start", ErrHeader, skipped)
	}

	// Read byte by byte (headers are ~25 bytes) so that input which is
	// not the protocol fails at its first wrong byte instead of waiting
	// for a newline that may never come.
	var buf [maxHeader]byte
	line := buf[:0]
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			switch {
			case err == io.EOF && validHeaderPrefix(line):
				return 0, 0, fmt.Errorf("%w: header %q has no newline", ErrTruncated, line)
			case err == io.EOF:
				return 0, 0, fmt.Errorf("%w: %q", ErrHeader, line)
			}
			return 0, 0, err
		}
		r.off++
		line = append(line, c)
		if c == '\n' {
			break
		}
		if !validHeaderPrefix(line) {
			return 0, 0, fmt.Errorf("%w: %q", ErrHeader, r.context(line))
		}
		if len(line) == maxHeader {
			return 0, 0, fmt.Errorf("%w: no newline in the first %d bytes", ErrHeader, maxHeader)
		}
	}
	mlen, blen, ok, tooLarge := parseHeader(line)
	if tooLarge {
		return 0, 0, fmt.Errorf("%w: %q", ErrTooLarge, clip(line))
	}
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q", ErrHeader, clip(line))
	}
	return mlen, blen, nil
}

// context returns the bad header bytes read so far followed by what is
// already buffered of the rest of their line, for an error message, without
// waiting for more input.
func (r *Reader) context(line []byte) []byte {
	more, _ := r.br.Peek(min(r.br.Buffered(), 64))
	if i := bytes.IndexByte(more, '\n'); i >= 0 {
		more = more[:i+1]
	}
	return clip(append(line, more...))
}

// isSpace reports Python's \s for ASCII, without '\n' (which ends a header).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}

// clip shortens b for an error message.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// parseHeader parses one header line ending in '\n'. tooLarge is set when a
// length has more digits than an int64 can hold.
func parseHeader(line []byte) (mlen, blen int64, ok, tooLarge bool) {
	p := line
	if !bytes.HasPrefix(p, []byte("chunked")) {
		return
	}
	p = p[len("chunked"):]
	n := skipSpace(p)
	if n == 0 {
		return
	}
	p = p[n:]
	if !bytes.HasPrefix(p, []byte("1.0")) {
		return
	}
	p = p[3:]
	p = p[skipSpace(p):]
	if len(p) == 0 || p[0] != ',' {
		return
	}
	p = p[1:]
	p = p[skipSpace(p):]
	var big bool
	mlen, p, ok, big = parseLength(p)
	if !ok {
		return 0, 0, false, big
	}
	p = p[skipSpace(p):]
	if len(p) == 0 || p[0] != ',' {
		return 0, 0, false, false
	}
	p = p[1:]
	p = p[skipSpace(p):]
	blen, p, ok, big = parseLength(p)
	if !ok {
		return 0, 0, false, big
	}
	p = p[skipSpace(p):]
	if len(p) != 1 || p[0] != '\n' {
		return 0, 0, false, false
	}
	return mlen, blen, true, false
}

func skipSpace(p []byte) int {
	i := 0
	for i < len(p) && isSpace(p[i]) {
		i++
	}
	return i
}

// parseLength parses a run of ASCII digits.
func parseLength(p []byte) (v int64, rest []byte, ok, tooLarge bool) {
	i := 0
	for i < len(p) && '0' <= p[i] && p[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, p, false, false
	}
	v, err := strconv.ParseInt(string(p[:i]), 10, 64)
	if err != nil {
		return 0, p, false, true
	}
	return v, p[i:], true, false
}

// validHeaderPrefix reports whether b could be the start of a header, to
// tell a truncated header from garbage.
func validHeaderPrefix(b []byte) bool {
	const word = "chunked"
	if len(b) <= len(word) {
		return bytes.HasPrefix([]byte(word), b)
	}
	return bytes.HasPrefix(b, []byte(word))
}

// unmarshalSearchInfo decodes searchinfo, accepting numbers where splunkd
// sends strings (splunklib's recordings hold floats for the time range).
func unmarshalSearchInfo(raw []byte, info *SearchInfo) error {
	var aux struct {
		SearchInfo
		EarliestTime json.RawMessage `json:"earliest_time"`
		LatestTime   json.RawMessage `json:"latest_time"`
	}
	if err := json.Unmarshal(raw, &aux); err != nil {
		return err
	}
	// (errors from here on are already phrased for the user)
	*info = aux.SearchInfo
	var err error
	if info.EarliestTime, err = stringOrNumber(aux.EarliestTime, "earliest_time"); err != nil {
		return err
	}
	if info.LatestTime, err = stringOrNumber(aux.LatestTime, "latest_time"); err != nil {
		return err
	}
	return nil
}

// jsonError rephrases encoding/json's type errors, which name Go types,
// in terms of the metadata's keys.
func jsonError(err error, within string) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		if within != "" && !strings.HasPrefix(err.Error(), within) {
			return fmt.Errorf("%s: %v", within, err)
		}
		return err
	}
	key := te.Field
	if i := strings.LastIndexByte(key, '.'); i >= 0 && within != "" {
		key = key[i+1:] // drop the Go names of embedded structs
	}
	switch {
	case key == "" && within == "":
		return fmt.Errorf("not a JSON object but a JSON %s", te.Value)
	case key == "":
		return fmt.Errorf("%s: a JSON %s, not an object", within, te.Value)
	case within != "":
		key = within + "." + key
	}
	return fmt.Errorf("%s: a JSON %s where %s was expected", key, te.Value, jsonKind(te.Type.String()))
}

func jsonKind(goType string) string {
	switch goType {
	case "string", "*string":
		return "a string"
	case "bool":
		return "true or false"
	case "int":
		return "an integer"
	case "[]string":
		return "an array of strings"
	}
	return "a " + goType
}

func stringOrNumber(raw json.RawMessage, name string) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("searchinfo.%s: %v", name, err)
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("searchinfo.%s: want a string or a number, got %s", name, clip(raw))
	}
	return n.String(), nil
}

// body streams one request body from the Reader's buffer.
type body struct {
	r      *Reader
	remain int64
	size   int64
	chunk  int
	offset int64
	action string
	err    error
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.r.br.Read(p)
	b.remain -= int64(n)
	b.r.off += int64(n)
	if err != nil && b.remain > 0 {
		if err == io.EOF {
			err = b.truncated()
		}
		b.err = err
		return n, err
	}
	return n, nil
}

func (b *body) truncated() error {
	return &ChunkError{Chunk: b.chunk, Offset: b.offset, Action: b.action,
		Err: fmt.Errorf("%w: body has %d of its %d bytes", ErrTruncated, b.size-b.remain, b.size)}
}

// drain skips what is left of the body.
func (b *body) drain() error {
	if b.err != nil {
		return b.err
	}
	for b.remain > 0 {
		n, err := b.r.br.Discard(int(min(b.remain, 1<<30)))
		b.remain -= int64(n)
		b.r.off += int64(n)
		if err != nil {
			if err == io.EOF {
				err = b.truncated()
			}
			b.err = err
			return err
		}
	}
	return nil
}
