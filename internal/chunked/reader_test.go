package chunked

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestParseHeader(t *testing.T) {
	good := []struct {
		line       string
		mlen, blen int64
	}{
		{"chunked 1.0,20,0\n", 20, 0},
		{"chunked 1.0,36,16109782\n", 36, 16109782},
		{"chunked  \t1.0 , 5 ,\t7 \r\n", 5, 7}, // splunklib's \s* everywhere
		{"chunked 1.0,0,0\n", 0, 0},
		{"chunked 1.0,007,010\n", 7, 10},
	}
	for _, tc := range good {
		m, b, ok, big := parseHeader([]byte(tc.line))
		if !ok || big || m != tc.mlen || b != tc.blen {
			t.Errorf("parseHeader(%q) = %d, %d, %v, %v; want %d, %d", tc.line, m, b, ok, big, tc.mlen, tc.blen)
		}
	}
	bad := []string{
		"\n", "chunked1.0,1,1\n", "chunked 1.1,1,1\n", "chunked 1.0,1\n", "chunked 1.0,,1\n",
		"chunked 1.0,-1,1\n", "chunked 1.0,1,1 x\n", "Chunked 1.0,1,1\n", "chunked 1.0;1;1\n",
		"chunked 1.0,1,1,1\n", " chunked 1.0,1,1\n", "chunked 1.0,1\n,1\n",
	}
	for _, line := range bad {
		if _, _, ok, _ := parseHeader([]byte(line)); ok {
			t.Errorf("parseHeader(%q) accepted", line)
		}
	}
	if _, _, ok, big := parseHeader([]byte("chunked 1.0,99999999999999999999,0\n")); ok || !big {
		t.Error("a length beyond int64 must be reported as too large")
	}
}

const getinfoMeta = `{"action":"getinfo","preview":true,"streaming_command_will_restart":false,` +
	`"searchinfo":{"args":["mode=fast","x"],"raw_args":["mode=\"fast\"","x"],"dispatch_dir":"/d","sid":"1.2",` +
	`"app":"search","owner":"admin","username":"bob","session_key":"k","splunkd_uri":"https://127.0.0.1:8089",` +
	`"splunk_version":"8.2.1","search":"search%20x","command":"kubeprivpod","maxresultrows":50000,` +
	`"earliest_time":"0","latest_time":"1627333200","unknown":{"a":[1]}}}`

func frame(meta, body string) string {
	return "chunked 1.0," + itoa(len(meta)) + "," + itoa(len(body)) + "\n" + meta + body
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestReaderRequests(t *testing.T) {
	in := frame(getinfoMeta, "") +
		frame(`{"action":"execute","finished":false}`, "a,b\n1,2\n") +
		frame(`{"action":"execute","finished":false}`, "") +
		frame(`{"action":"execute","finished":true}`, "a,b\n")
	for how, src := range readers(in) {
		t.Run(how, func(t *testing.T) {
			r := NewReader(src())
			req, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			wantInfo := &SearchInfo{Args: []string{"mode=fast", "x"}, RawArgs: []string{`mode="fast"`, "x"},
				Command: "kubeprivpod", SID: "1.2", App: "search", Owner: "admin", Username: "bob", DispatchDir: "/d",
				SplunkVersion: "8.2.1", SplunkdURI: "https://127.0.0.1:8089", SessionKey: "k", Search: "search%20x",
				EarliestTime: "0", LatestTime: "1627333200", MaxResultRows: 50000}
			if req.Action != "getinfo" || !req.Preview || req.Finished || req.BodyLen != 0 || req.Chunk != 0 || req.Offset != 0 {
				t.Errorf("getinfo request %+v", req)
			}
			if !reflect.DeepEqual(req.Info, wantInfo) {
				t.Errorf("info = %+v\nwant   %+v", req.Info, wantInfo)
			}
			if string(req.Metadata) != getinfoMeta {
				t.Errorf("metadata %q", req.Metadata)
			}

			// Leave this body unread: Next must skip it.
			req, err = r.Next()
			if err != nil || req.Action != "execute" || req.Finished || req.BodyLen != 8 || req.Info != nil || req.Chunk != 1 {
				t.Fatalf("execute 1: %+v, %v", req, err)
			}
			if want := int64(len(frame(getinfoMeta, ""))); req.Offset != want {
				t.Errorf("offset %d, want %d", req.Offset, want)
			}

			req, err = r.Next()
			if err != nil || req.BodyLen != 0 || req.Chunk != 2 {
				t.Fatalf("execute 2: %+v, %v", req, err)
			}
			if b, err := io.ReadAll(req.Body); err != nil || len(b) != 0 {
				t.Errorf("empty body read %q, %v", b, err)
			}

			req, err = r.Next()
			if err != nil || !req.Finished || req.Chunk != 3 {
				t.Fatalf("execute 3: %+v, %v", req, err)
			}
			if b, err := io.ReadAll(req.Body); err != nil || string(b) != "a,b\n" {
				t.Errorf("body %q, %v", b, err)
			}
			for range 2 { // io.EOF, and it stays so
				if req, err := r.Next(); err != io.EOF || req != nil {
					t.Fatalf("at the end: %v, %v", req, err)
				}
			}
			if r.Offset() != int64(len(in)) {
				t.Errorf("offset %d, want %d", r.Offset(), len(in))
			}
		})
	}
}

func TestReaderTimesAsNumbers(t *testing.T) {
	// splunklib's recordings hold floats where splunkd sends strings.
	meta := `{"action":"getinfo","searchinfo":{"earliest_time":1599084000.0,"latest_time":1599172248.5,"args":[]}}`
	req, err := NewReader(strings.NewReader(frame(meta, ""))).Next()
	if err != nil {
		t.Fatal(err)
	}
	if req.Info.EarliestTime != "1599084000.0" || req.Info.LatestTime != "1599172248.5" {
		t.Errorf("times %q %q", req.Info.EarliestTime, req.Info.LatestTime)
	}
}

func TestReaderTrailingWhitespace(t *testing.T) {
	// pypygeneratetext.input.gz ends with a stray "\n" after the getinfo
	// request: treated as a clean end.
	for _, tail := range []string{"\n", "\r\n", " \n\n"} {
		r := NewReader(strings.NewReader(frame(getinfoMeta, "") + tail))
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("tail %q: %v, want io.EOF", tail, err)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	gi := frame(getinfoMeta, "")
	off := len(gi)
	tests := []struct {
		name  string
		in    string
		chunk int
		off   int
		err   error
		text  string
	}{
		{"garbage header", gi + "hello\n", 1, off, ErrHeader, `chunk 1 (byte offset ` + itoa(off) + `): malformed chunk header: "hello\n"`},
		{"garbage without newline", "GET / HTTP/1.1", 0, 0, ErrHeader, `chunk 0 (byte offset 0): malformed chunk header: "GET / HTTP/1.1"`},
		{"blank line then header", gi + "\n" + frame(`{"action":"execute"}`, ""), 1, off, ErrHeader,
			`chunk 1 (byte offset ` + itoa(off) + `): malformed chunk header: 1 whitespace bytes where a header should start`},
		{"truncated header", gi + "chunked 1.0,3", 1, off, ErrTruncated, `chunk 1 (byte offset ` + itoa(off) + `): input ends inside a chunk: header "chunked 1.0,3" has no newline`},
		{"truncated metadata", "chunked 1.0,40,0\n{\"action\":", 0, 0, ErrTruncated, `chunk 0 (byte offset 0): input ends inside a chunk: metadata has 10 of its 40 bytes`},
		{"non-JSON metadata", gi + frame(`{action:execute}`, ""), 1, off, ErrMetadata,
			`chunk 1 (byte offset ` + itoa(off) + `): invalid chunk metadata: invalid character 'a' looking for beginning of object key string`},
		{"metadata not an object", frame(`[1,2]`, ""), 0, 0, ErrMetadata,
			`chunk 0 (byte offset 0): invalid chunk metadata: not a JSON object but a JSON array`},
		{"no action", frame(`{"finished":true}`, ""), 0, 0, ErrMetadata, `chunk 0 (byte offset 0): invalid chunk metadata: no "action"`},
		{"getinfo without searchinfo", frame(`{"action":"getinfo"}`, ""), 0, 0, ErrMetadata,
			`chunk 0 (getinfo, byte offset 0): invalid chunk metadata: getinfo without "searchinfo"`},
		{"bad searchinfo", frame(`{"action":"getinfo","searchinfo":{"args":"x"}}`, ""), 0, 0, ErrMetadata,
			`chunk 0 (getinfo, byte offset 0): invalid chunk metadata: searchinfo.args: a JSON string where an array of strings was expected`},
		{"bad time", frame(`{"action":"getinfo","searchinfo":{"earliest_time":true}}`, ""), 0, 0, ErrMetadata,
			`chunk 0 (getinfo, byte offset 0): invalid chunk metadata: searchinfo.earliest_time: want a string or a number, got true`},
		{"searchinfo not an object", frame(`{"action":"getinfo","searchinfo":[]}`, ""), 0, 0, ErrMetadata,
			`chunk 0 (getinfo, byte offset 0): invalid chunk metadata: searchinfo: a JSON array, not an object`},
		{"finished not a bool", frame(`{"action":"execute","finished":"yes"}`, ""), 0, 0, ErrMetadata,
			`chunk 0 (byte offset 0): invalid chunk metadata: finished: a JSON string where true or false was expected`},
		{"action not a string", frame(`{"action":1}`, ""), 0, 0, ErrMetadata,
			`chunk 0 (byte offset 0): invalid chunk metadata: action: a JSON number where a string was expected`},
		{"huge metadata", "chunked 1.0,999999999999,0\n", 0, 0, ErrTooLarge,
			`chunk 0 (byte offset 0): chunk length too large: metadata length 999999999999 exceeds the limit of 67108864 bytes`},
		{"huge body", "chunked 1.0,2,99999999999999\n{}", 0, 0, ErrTooLarge,
			`chunk 0 (byte offset 0): chunk length too large: body length 99999999999999 exceeds the limit of 1099511627776 bytes`},
		{"overflowing length", "chunked 1.0,2,99999999999999999999999\n{}", 0, 0, ErrTooLarge,
			`chunk 0 (byte offset 0): chunk length too large: "chunked 1.0,2,99999999999999999999999\n"`},
		{"body past the end", (gi + frame(`{"action":"execute","finished":true}`, "a,b\n1,2\n"))[:off+56], 1, off, ErrTruncated,
			`chunk 1 (execute, byte offset ` + itoa(off) + `): input ends inside a chunk: body has 3 of its 8 bytes`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(tc.in))
			var err error
			for err == nil {
				_, err = r.Next()
			}
			var ce *ChunkError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ChunkError", err)
			}
			if !errors.Is(err, tc.err) || ce.Chunk != tc.chunk || ce.Offset != int64(tc.off) {
				t.Errorf("got chunk %d offset %d err %v; want chunk %d offset %d, %v", ce.Chunk, ce.Offset, ce.Err, tc.chunk, tc.off, tc.err)
			}
			if err.Error() != tc.text {
				t.Errorf("text\n got %s\nwant %s", err, tc.text)
			}
			if _, again := r.Next(); again != err {
				t.Errorf("error not sticky: %v", again)
			}
		})
	}
}

func TestReaderBodyTruncatedWhileReading(t *testing.T) {
	in := frame(getinfoMeta, "") + "chunked 1.0,36,100\n{\"action\":\"execute\",\"finished\":true}a,b\n1,2\n"
	r := NewReader(iotest.OneByteReader(strings.NewReader(in)))
	r.Next()
	req, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(req.Body)
	if string(b) != "a,b\n1,2\n" || !errors.Is(err, ErrTruncated) {
		t.Fatalf("read %q, %v", b, err)
	}
	if !strings.HasSuffix(err.Error(), "body has 8 of its 100 bytes") {
		t.Errorf("text %q", err)
	}
	rr := NewRecordReader(req.Body)
	if rr.Next() || !errors.Is(rr.Err(), ErrTruncated) {
		t.Errorf("RecordReader over a truncated body: %v", rr.Err())
	}
}

func TestReaderMaxMetadata(t *testing.T) {
	r := NewReader(strings.NewReader(frame(getinfoMeta, "")))
	r.MaxMetadata = 100
	if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

// TestReaderFailsFast checks that input which is not the protocol is
// rejected at its first wrong byte, without waiting for a newline that
// an open pipe may never send.
func TestReaderFailsFast(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte("hello, are you splunkd?"))
	done := make(chan error, 1)
	go func() {
		_, err := NewReader(pr).Next()
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrHeader) || err.Error() != `chunk 0 (byte offset 0): malformed chunk header: "hello, are you splunkd?"` {
			t.Errorf("got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next is still waiting for more input")
	}
}
