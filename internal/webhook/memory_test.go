package webhook

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
)

// itemsReader streams an audit EventList of n items made by item, without
// holding it: the memory a test measures is the Server's, not the body's.
type itemsReader struct {
	n, i int
	item func(i int, b []byte) []byte
	buf  []byte
	tail bool
}

func (r *itemsReader) Read(p []byte) (int, error) {
	if len(p) > 32<<10 {
		p = p[:32<<10] // the generator's own buffer stays small
	}
	for len(r.buf) < len(p) && !r.tail {
		switch {
		case r.i == 0 && r.buf == nil:
			r.buf = append(r.buf, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`...)
		case r.i < r.n:
			if r.i > 0 {
				r.buf = append(r.buf, ',')
			}
			r.buf = r.item(r.i, r.buf)
			r.i++
		default:
			r.buf = append(r.buf, "]}"...)
			r.tail = true
		}
	}
	n := copy(p, r.buf)
	r.buf = append(r.buf[:0], r.buf[n:]...)
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// size is the number of bytes the reader produces.
func (r itemsReader) size() int64 {
	var n int64
	r.buf = nil
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Read(buf)
		n += int64(k)
		if err != nil {
			return n
		}
	}
}

func emptyItem(_ int, b []byte) []byte { return append(b, "{}"...) }

// metadataItem is a ~580-byte Metadata-level event, about the smallest an
// API server writes for a real request.
func metadataItem(i int, b []byte) []byte {
	return fmt.Appendf(b, `{"level":"Metadata","auditID":"%08d-1d4c-4c43-9b7e-0c2a4c9d0a11","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/team-a/configmaps/app-%d","verb":"get","user":{"username":"system:serviceaccount:team-a:app","groups":["system:serviceaccounts","system:authenticated"]},"sourceIPs":["10.1.2.3"],"userAgent":"app/1.0","objectRef":{"resource":"configmaps","namespace":"team-a","name":"app-%d","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2026-11-25T20:00:00.%06dZ","stageTimestamp":"2026-11-25T20:00:00.%06dZ"}`,
		i, i, i, i%1000000, (i+3)%1000000)
}

// procStatus returns a field of /proc/self/status in bytes.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// memoryChild runs one batch through a Server writing to an XML stream
// (as the input does) in this process and prints the resident set before
// (VmRSS), at its peak (VmHWM) and after.
func memoryChild(scenario string) {
	s := &Server{Token: []byte("t"), Sink: streamSink{modinput.NewStream(io.Discard), modinput.NewRoute("s", "s", "st", "main", "h")}}
	r := &itemsReader{n: (64<<20 - 100) / 3, item: emptyItem} // {} items filling the default limit
	if scenario == "metadata" {
		r = &itemsReader{n: 110_000, item: metadataItem} // about 60 MiB
	}
	size := r.size()
	debug.FreeOSMemory()
	before := procStatus("VmRSS")
	req := httptest.NewRequest("POST", "/audit", r)
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	peak := procStatus("VmHWM")
	time.Sleep(200 * time.Millisecond) // the Server frees large buffers 10 ms after a batch
	after := procStatus("VmRSS")
	fmt.Printf("RESULT status=%d body=%d events=%d before=%d peak=%d after=%d\n",
		w.Code, size, s.Stats().Events.Load(), before, peak, after)
}

type streamSink struct {
	s *modinput.Stream
	r *modinput.Route
}

func (k streamSink) Deliver(b *Batch) error { return k.s.WriteBatch(k.r, b) }

// TestMemoryBound holds the bound docs/webhook.md states for one batch in
// flight: resident memory grows by at most
//
//	body bytes + 64 B × events + 128 B × new auditIDs + 2 × modinput.ChunkBytes + 8 MiB
//
// (the body; 40 B per event, in blocks; the duplicate filter's memory of
// each new auditID and stage, with its map's growth; the XML chunk;
// runtime slack), and returns to within 16 MiB of where it was
// after the batch. Each scenario runs in a child process, measured with
// /proc/self/status, so nothing else shares the figure.
func TestMemoryBound(t *testing.T) {
	if sc := os.Getenv("WEBHOOK_MEMORY_CHILD"); sc != "" {
		memoryChild(sc)
		return
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status")
	}
	if testing.Short() {
		t.Skip("builds 64 MiB batches")
	}
	for _, tc := range []struct {
		scenario   string
		status     int
		events     int64
		heldEvents int64 // events held at the peak
	}{
		// The attack: 22 million {} items at the default body limit.
		// Parsing stops at the event cap (413), holding the body and
		// DefaultMaxEventsPerBatch events.
		{"empty", 413, 0, DefaultMaxEventsPerBatch},
		// A real batch of 110,000 small events (60 MiB), delivered.
		{"metadata", 200, 110_000, 110_000},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryBound$")
			cmd.Env = append(os.Environ(), "WEBHOOK_MEMORY_CHILD="+tc.scenario)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			var status int
			var body, events, before, peak, after int64
			i := bytes.Index(out, []byte("RESULT "))
			if i < 0 {
				t.Fatalf("child printed no result:\n%s", out)
			}
			if _, err := fmt.Sscanf(string(out[i:]), "RESULT status=%d body=%d events=%d before=%d peak=%d after=%d",
				&status, &body, &events, &before, &peak, &after); err != nil {
				t.Fatalf("%v: %s", err, out[i:])
			}
			if status != tc.status || events != tc.events {
				t.Errorf("status %d, %d events; want %d, %d", status, events, tc.status, tc.events)
			}
			bound := body + body/8 + 64*tc.heldEvents + 128*tc.events + 2*modinput.ChunkBytes + 8<<20 // body/8: the block marks
			t.Logf("body %.1f MiB: RSS %.1f MiB before, peak +%.1f MiB (bound +%.1f MiB, %.2f× the body), %.1f MiB after",
				mib(body), mib(before), mib(peak-before), mib(bound), float64(peak-before)/float64(body), mib(after))
			if peak-before > bound {
				t.Errorf("peak RSS grew by %.1f MiB, more than the bound %.1f MiB", mib(peak-before), mib(bound))
			}
			if after-before > 16<<20 {
				t.Errorf("RSS %.1f MiB above where it started after the batch", mib(after-before))
			}
		})
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

var _ http.Handler = (*Server)(nil)
