package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
)

// TestRefusalLogFlood: a minute of refusals as fast as one core makes
// them, from 3 addresses, with 60 KB paths full of control characters,
// writes under 1 MB of log, summarised per interval, with nothing raw.
func TestRefusalLogFlood(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	logger := modinput.NewLogger(lockedWriter{&mu, &out})
	clock := time.Unix(1000, 0)
	s := &Server{Token: []byte("secret"), Sink: &recorder{},
		Logf: func(level, format string, args ...any) { logger.Logf(modinput.Level(level), format, args...) },
		now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return clock
		}}
	path := "/" + strings.Repeat("a\x00\x1b[2J\v\f\u2028\u2029\r\n", 5000)
	reqs := 0
	for sec := 0; sec < 60; sec++ {
		for i := 0; i < 1000; i++ {
			var req *http.Request
			switch i % 3 {
			case 0:
				req = httptest.NewRequest("POST", "/audit", strings.NewReader("{}"))
			case 1:
				req = httptest.NewRequest("POST", "/audit", strings.NewReader("{}"))
				req.Header.Set("Authorization", "Bearer wrong")
			default:
				req = httptest.NewRequest("POST", "/x", nil)
				req.URL.Path = path
			}
			req.RemoteAddr = fmt.Sprintf("10.0.0.%d:%d", i%3, 1000+i)
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != 401 && w.Code != 404 {
				t.Fatalf("status %d", w.Code)
			}
			if body := w.Body.String(); body != "401 Unauthorized\n" && body != "404 Not Found\n" {
				t.Fatalf("body %q tells a stranger more than the status", body)
			}
			reqs++
		}
		mu.Lock()
		clock = clock.Add(time.Second)
		mu.Unlock()
	}
	s.unauthLog.flush()
	mu.Lock()
	logs := out.String()
	mu.Unlock()
	t.Logf("%d refusals in a minute: %d bytes of log in %d lines", reqs, len(logs), strings.Count(logs, "\n"))
	if len(logs) >= 1<<20 {
		t.Errorf("%d bytes of log for a minute of flood", len(logs))
	}
	if n := strings.Count(logs, "WARN 10000 refused connections from 3 addresses in the last 10s (10 shown above): 3340 401 no bearer token, 3330 401 bearer token not accepted, 3330 404 wrong path\n"); n != 6 {
		t.Errorf("%d summary lines, want 6:\n%s", n, logs)
	}
	for i, c := range logs {
		if c != '\n' && (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
			t.Fatalf("raw control %U at byte %d of the log", c, i)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(logs, "\n"), "\n") {
		if !strings.HasPrefix(line, "WARN ") || len(line) > 1024 {
			t.Errorf("line of %d bytes: %.200q", len(line), line)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// dialFrom opens a TCP connection from a given loopback address, as
// another host would.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", addr)
	if errors.Is(err, syscall.ECONNRESET) {
		return nil // refused at once, with a reset
	}
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	return c
}

// closedSoon reports whether the server closes c (nil: refused while
// connecting) within d.
func closedSoon(c net.Conn, d time.Duration) bool {
	if c == nil {
		return true
	}
	c.SetReadDeadline(time.Now().Add(d))
	_, err := c.Read(make([]byte, 1))
	return err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestConnectionDefences: idle connections from one address beyond its
// share are closed at once, a handshake that never comes ends after
// HandshakeTimeout, a flood from many addresses makes room by closing the
// oldest idle connections, and through all of it a client from another
// address that authenticates gets its batches in.
func TestConnectionDefences(t *testing.T) {
	f := start(t, func(s *Server) {
		s.MaxUnauthConnsPerIP = 4
		s.MaxUnauthConns = 12
		s.UnauthConnRate = 1000
		s.UnauthConnRateTotal = 1e6
		s.HandshakeTimeout = 300 * time.Millisecond
	})
	addr := strings.TrimSuffix(strings.TrimPrefix(f.url, "https://"), "/audit")

	// One address: 4 idle connections are kept, the 5th is closed.
	var idle []net.Conn
	for i := 0; i < 5; i++ {
		idle = append(idle, dialFrom(t, "127.0.0.3", addr))
	}
	if !closedSoon(idle[4], 200*time.Millisecond) {
		t.Error("5th idle connection from one address kept")
	}
	if closedSoon(idle[0], 50*time.Millisecond) {
		t.Error("1st idle connection closed early")
	}
	// The handshake timeout closes the others.
	time.Sleep(300 * time.Millisecond)
	for i, c := range idle[:4] {
		if !closedSoon(c, time.Second) {
			t.Errorf("idle connection %d outlived the handshake timeout", i)
		}
	}

	// Many addresses: the oldest idle connections make room; an API
	// server on its own address still gets in, every time.
	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			if c != nil {
				c.Close()
			}
		}
	}()
	good := &http.Client{Transport: &http.Transport{TLSClientConfig: f.pki.ClientTLS(true), DisableKeepAlives: true,
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}, Timeout: 5 * time.Second}
	for round := 0; round < 5; round++ {
		for i := 0; i < 20; i++ {
			flood = append(flood, dialFrom(t, fmt.Sprintf("127.0.1.%d", 1+(round*20+i)%50), addr))
		}
		if code, _ := post(t, good, f.url, []byte(list2), nil); code != 200 {
			t.Fatalf("round %d: good client got %d", round, code)
		}
	}
	if n := f.srv.Stats().EvictedConns.Load(); n == 0 {
		t.Error("no idle connection was closed to make room")
	}
	logs := f.logs.String()
	for _, want := range []string{"too many unauthenticated connections from one address", "TLS handshake failed", "unauthenticated connection closed to make room"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// TestConnectionRatePerAddress: an address that has not authenticated
// may open UnauthConnRate connections a second (bursts of twice that),
// all such addresses together UnauthConnRateTotal; an address that has
// authenticated is not limited.
func TestConnectionRatePerAddress(t *testing.T) {
	// A clock that moves only when told, so no bucket refills by itself.
	var mu sync.Mutex
	clock := time.Now()
	f := start(t, func(s *Server) {
		s.UnauthConnRate = 2
		s.UnauthConnRateTotal = 5
		s.MaxUnauthConnsPerIP = 100
		s.now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return clock
		}
	})
	addr := strings.TrimSuffix(strings.TrimPrefix(f.url, "https://"), "/audit")
	kept := 0
	for i := 0; i < 10; i++ {
		c := dialFrom(t, "127.0.0.4", addr)
		if !closedSoon(c, 50*time.Millisecond) {
			kept++
		}
		if c != nil {
			c.Close()
		}
	}
	if kept != 4 {
		t.Errorf("%d of 10 rapid connections kept, want the burst of 4", kept)
	}
	// Other addresses, each within its own rate: together they get the
	// rest of the total burst of 10, 6 more.
	kept = 0
	for i := 0; i < 20; i++ {
		c := dialFrom(t, fmt.Sprintf("127.0.4.%d", 1+i), addr)
		if !closedSoon(c, 50*time.Millisecond) {
			kept++
		}
		if c != nil {
			c.Close()
		}
	}
	if kept != 6 {
		t.Errorf("%d of 20 connections from 20 new addresses kept, want the rest of the total burst, 6", kept)
	}
	// An address that authenticated (its first connection needs a
	// token) is then limited by neither.
	mu.Lock()
	clock = clock.Add(time.Second)
	mu.Unlock()
	good := &http.Client{Transport: &http.Transport{TLSClientConfig: f.pki.ClientTLS(true), DisableKeepAlives: true,
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.5")}}).DialContext}, Timeout: 5 * time.Second}
	for i := 0; i < 10; i++ {
		if code, _ := post(t, good, f.url, []byte(list2), nil); code != 200 {
			t.Fatalf("authenticated address, connection %d: %d", i, code)
		}
	}
}

// TestSlowBodyHoldsNoSlot: uploads that announce a large body and stall
// hold neither a batch slot nor more of the buffer budget than they sent; a healthy client
// is served at once (under 2 s on a loaded machine; a held slot would
// mean 60 s). With the whole budget taken, a new body gets 503.
func TestSlowBodyHoldsNoSlot(t *testing.T) {
	f := start(t, func(s *Server) {
		s.MaxConcurrentBatches = 1
		s.MaxBodyBytes = 1 << 20
		s.MaxBufferedBytes = 3 << 20
	})
	addr := strings.TrimSuffix(strings.TrimPrefix(f.url, "https://"), "/audit")
	var stalled []net.Conn
	defer func() {
		for _, c := range stalled {
			c.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		c, err := tls.Dial("tcp", addr, f.pki.ClientTLS(true))
		if err != nil {
			t.Fatal(err)
		}
		// Announcing a body reserves nothing: 4 × 1 MiB would pass the
		// 3 MiB budget.
		fmt.Fprintf(c, "POST /audit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"kind\":\"EventLi", 1<<20-10)
		stalled = append(stalled, c)
	}
	time.Sleep(100 * time.Millisecond)
	good := f.client(f.pki.ClientTLS(true))
	for i := 0; i < 5; i++ {
		start := time.Now()
		if code, body := post(t, good, f.url, []byte(list2), nil); code != 200 {
			t.Fatalf("healthy client: %d %s", code, body)
		}
		if d := time.Since(start); d > 2*time.Second { // a held slot would mean ReadTimeout, 60 s
			t.Errorf("healthy batch took %v behind stalled uploads", d)
		}
	}
	// Bodies that send nearly the whole limit fill the 3 MiB budget: open
	// such uploads until one is told to come back, then a healthy client
	// is told so too, while they stall.
	var big []net.Conn
	defer func() {
		for _, c := range big {
			c.Close()
		}
	}()
	full := false
	for i := 0; i < 10 && !full; i++ {
		c, err := tls.Dial("tcp", addr, f.pki.ClientTLS(true))
		if err != nil {
			t.Fatal(err)
		}
		big = append(big, c)
		fmt.Fprintf(c, "POST /audit HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n{", 1<<20-10)
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		c.Write(bytes.Repeat([]byte(" "), 1<<20-100)) // fails once the server refuses
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		line := make([]byte, 12)
		if n, _ := io.ReadFull(c, line); n == 12 && string(line) == "HTTP/1.1 503" {
			full = true
		}
	}
	if !full {
		t.Fatalf("budget of 3 MiB: %d uploads of 1 MiB, full %t", len(big), full)
	}
	req, _ := http.NewRequestWithContext(context.Background(), "POST", f.url, bytes.NewReader(bytes.Repeat([]byte(" "), 1<<20-10)))
	resp, err := good.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("over the buffer budget: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestIPKey: addresses are limited per IPv4 address and per IPv6 /64 (one
// host usually holds a whole /64); an IPv4-mapped address is its IPv4.
func TestIPKey(t *testing.T) {
	for addr, want := range map[string]string{
		"10.1.2.3:443":                "10.1.2.3/32",
		"[::ffff:10.1.2.3]:443":       "10.1.2.3/32",
		"[2001:db8:1:2:3:4:5:6]:443":  "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:9443": "2001:db8:1:2::/64",
		"not an address":              "::/0",
	} {
		var a net.Addr = fakeAddr(addr)
		if got := ipKey(a).String(); got != want {
			t.Errorf("ipKey(%s) = %s, want %s", addr, got, want)
		}
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }
