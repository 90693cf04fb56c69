// Package webhook receives Kubernetes API server audit events over the
// audit webhook (an HTTPS POST of an audit.k8s.io EventList per batch) and
// hands each batch to a Sink, acknowledging it only once the Sink has
// written it.
//
// The receiver is a Server value whose fields are its limits, timeouts and
// credentials, in the manner of net/http.Server.
package webhook

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sink receives the events of each accepted batch. Deliver returns nil
// only once every event is written where it will not be lost (for the
// modular input: flushed to stdout). It is not called concurrently by one
// Server; a Sink shared by several Servers must serialise itself.
type Sink interface {
	Deliver(b *Batch) error
}

// Defaults used for zero fields of Server.
const (
	DefaultPath                 = "/audit"
	DefaultMaxBodyBytes         = 64 << 20
	DefaultMaxConcurrentBatches = 4
	// DefaultMaxEventsPerBatch is 500 times the API server's default
	// --audit-webhook-batch-max-size (400).
	DefaultMaxEventsPerBatch   = 200_000
	DefaultMaxConns            = 1024
	DefaultMaxUnauthConns      = 256
	DefaultMaxUnauthConnsPerIP = 16
	DefaultUnauthConnRate      = 10  // new connections per second per address
	DefaultUnauthConnRateTotal = 200 // the same for all untrusted addresses together
	DefaultHandshakeTimeout    = 5 * time.Second
	DefaultLogInterval         = 10 * time.Second
	DefaultLogBurst            = 10
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultReadTimeout         = 60 * time.Second
	DefaultWriteTimeout        = 90 * time.Second
	DefaultIdleTimeout         = 120 * time.Second
	DefaultMaxHeaderBytes      = 64 << 10
	DefaultDedupeWindow        = 10 * time.Minute
	DefaultDedupeMaxKeys       = 1 << 20
)

// Server receives audit webhook batches. Set its fields, then call Serve
// or ListenAndServe; zero values take the defaults above. ServeHTTP is the
// request handler itself, usable without TLS in tests (credentials are
// still checked).
type Server struct {
	Addr string // host:port to listen on
	Path string // URL path the API server posts to

	// TLSConfig must carry the server certificate. Its MinVersion is
	// raised to TLS 1.2 when lower.
	TLSConfig *tls.Config
	// ClientCAs, when set, requires a client certificate that chains to
	// one of them (the API server's, from its webhook kubeconfig).
	ClientCAs *x509.CertPool
	// Token, when set, requires "Authorization: Bearer <Token>".
	// At least one of ClientCAs and Token must be set.
	Token []byte

	MaxBodyBytes         int64 // largest body, after gzip decompression: 413 beyond it
	MaxConcurrentBatches int   // batches parsed and held at once (after their body is read)
	MaxEventsPerBatch    int   // most events in one batch: 413 beyond it
	// MaxBufferedBytes bounds the bytes of the bodies being read and
	// held at once (each counted as it arrives, in steps of 256 KiB); a
	// request that would pass it gets 503 and Retry-After. Default:
	// MaxConcurrentBatches × MaxBodyBytes. Bodies are read before a batch
	// slot is taken, so a stalled upload holds only the bytes it sent,
	// never a slot.
	MaxBufferedBytes int64

	// Connection defences (see guard): open connections, connections
	// without an authenticated request yet (in all and per address), new
	// connections per second from an address not recently authenticated
	// (and from all of them together), and the time a TLS handshake may
	// take.
	MaxConns            int
	MaxUnauthConns      int
	MaxUnauthConnsPerIP int
	UnauthConnRate      float64
	UnauthConnRateTotal float64
	HandshakeTimeout    time.Duration

	// Refusals are logged one line each for the first LogBurst of every
	// LogInterval, then summarised once per interval.
	LogInterval time.Duration
	LogBurst    int

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration // whole request, body included
	WriteTimeout      time.Duration // from the end of the headers to the end of the reply
	IdleTimeout       time.Duration // keep-alive
	MaxHeaderBytes    int

	// Events seen within DedupeWindow (at most DedupeMaxKeys of them) are
	// dropped when their (auditID, stage) arrives again. DedupeMaxKeys < 0
	// turns deduplication off.
	DedupeWindow  time.Duration
	DedupeMaxKeys int

	Sink Sink
	// OnSinkError is called once, in its own goroutine, when Deliver fails;
	// the caller is expected to shut down.
	OnSinkError func(error)
	// Logf receives log lines; level is "DEBUG", "INFO", "WARN" or "ERROR".
	Logf func(level, format string, args ...any)

	initOnce  sync.Once
	initErr   error
	sem       chan struct{}
	deliverMu sync.Mutex
	dedupe    *dedupe
	sinkErr   error // first Deliver failure; guarded by deliverMu
	sinkOnce  sync.Once
	srvMu     sync.Mutex
	srv       *http.Server
	newConns  map[net.Conn]struct{} // connections that have not begun a request; guarded by srvMu
	stats     Stats
	buffered  atomic.Int64 // bytes of body buffers in use (MaxBufferedBytes)
	unauthLog *refusalLog  // refusals of unauthenticated clients
	authLog   *refusalLog  // refusals of authenticated ones
	now       func() time.Time
	lastFree  atomic.Int64 // UnixNano of the last freeOSMemory
}

// Stats counts what a Server did. Read it with Server.Stats.
type Stats struct {
	Batches      atomic.Int64 // batches acknowledged with 200
	Events       atomic.Int64 // events delivered
	Duplicates   atomic.Int64 // re-sent events dropped
	Refused      atomic.Int64 // requests answered 4xx or 503
	RefusedConns atomic.Int64 // connections closed at accept or failing the handshake
	EvictedConns atomic.Int64 // unauthenticated connections closed to make room
}

// Stats returns the Server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// ErrNoCredentials is returned when neither ClientCAs nor Token is set:
// there is no unauthenticated mode.
var ErrNoCredentials = errors.New("webhook: neither client CAs nor a token configured; refusing to run unauthenticated")

func (s *Server) init() error {
	s.initOnce.Do(func() {
		if s.ClientCAs == nil && len(s.Token) == 0 {
			s.initErr = ErrNoCredentials
			return
		}
		if s.Sink == nil {
			s.initErr = errors.New("webhook: Server.Sink is nil")
			return
		}
		if s.Path == "" {
			s.Path = DefaultPath
		}
		if s.MaxBodyBytes <= 0 {
			s.MaxBodyBytes = DefaultMaxBodyBytes
		}
		if s.MaxConcurrentBatches <= 0 {
			s.MaxConcurrentBatches = DefaultMaxConcurrentBatches
		}
		if s.MaxEventsPerBatch <= 0 {
			s.MaxEventsPerBatch = DefaultMaxEventsPerBatch
		}
		if s.MaxBufferedBytes <= 0 {
			s.MaxBufferedBytes = int64(s.MaxConcurrentBatches) * s.MaxBodyBytes
		}
		s.MaxBufferedBytes = max(s.MaxBufferedBytes, s.MaxBodyBytes+1)
		if s.MaxConns <= 0 {
			s.MaxConns = DefaultMaxConns
		}
		if s.MaxUnauthConns <= 0 {
			s.MaxUnauthConns = min(DefaultMaxUnauthConns, s.MaxConns)
		}
		if s.MaxUnauthConnsPerIP <= 0 {
			s.MaxUnauthConnsPerIP = DefaultMaxUnauthConnsPerIP
		}
		if s.UnauthConnRate <= 0 {
			s.UnauthConnRate = DefaultUnauthConnRate
		}
		if s.UnauthConnRateTotal <= 0 {
			s.UnauthConnRateTotal = DefaultUnauthConnRateTotal
		}
		if s.HandshakeTimeout <= 0 {
			s.HandshakeTimeout = DefaultHandshakeTimeout
		}
		if s.LogInterval <= 0 {
			s.LogInterval = DefaultLogInterval
		}
		if s.LogBurst <= 0 {
			s.LogBurst = DefaultLogBurst
		}
		if s.now == nil {
			s.now = time.Now
		}
		s.unauthLog = newRefusalLog("connections", "connection", s.LogInterval, s.LogBurst, s.now, s.logf)
		s.authLog = newRefusalLog("batches", "batch", s.LogInterval, s.LogBurst, s.now, s.logf)
		if s.DedupeWindow <= 0 {
			s.DedupeWindow = DefaultDedupeWindow
		}
		if s.DedupeMaxKeys == 0 {
			s.DedupeMaxKeys = DefaultDedupeMaxKeys
		}
		if s.DedupeMaxKeys > 0 {
			s.dedupe = newDedupe(s.DedupeWindow, s.DedupeMaxKeys)
		}
		s.sem = make(chan struct{}, s.MaxConcurrentBatches)
	})
	return s.initErr
}

func (s *Server) logf(level, format string, args ...any) {
	if s.Logf != nil {
		s.Logf(level, format, args...)
	}
}

// ListenAndServe listens on s.Addr and calls Serve.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts TLS connections on ln until Shutdown. Like
// http.Server.Serve it returns http.ErrServerClosed after Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.init(); err != nil {
		ln.Close()
		return err
	}
	if s.TLSConfig == nil || (len(s.TLSConfig.Certificates) == 0 && s.TLSConfig.GetCertificate == nil) {
		ln.Close()
		return errors.New("webhook: TLSConfig with a server certificate is required")
	}
	cfg := s.TLSConfig.Clone()
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if cfg.CipherSuites == nil {
		// TLS 1.2: forward secrecy and AEAD only (TLS 1.3 has nothing
		// else). The API server's Go client offers all of these.
		cfg.CipherSuites = AEADCipherSuites
	}
	if s.ClientCAs != nil {
		// Ask for a certificate but check it in ServeHTTP, so a missing or
		// wrong one gets a 401 the API server logs, not a bare handshake
		// failure. The handshake still proves the client holds its key.
		cfg.ClientAuth = tls.RequestClientCert
		cfg.ClientCAs = s.ClientCAs
	}
	// HTTP/1.1 only: the API server sends one batch per request over
	// keep-alive connections, and HTTP/2 would only add attack surface.
	cfg.NextProtos = []string{"http/1.1"}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: or(s.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       or(s.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      or(s.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       or(s.IdleTimeout, DefaultIdleTimeout),
		MaxHeaderBytes:    s.MaxHeaderBytes,
		TLSConfig:         cfg,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		// net/http reports handshake failures and the like here; route
		// them through Logf so they keep the LEVEL prefix.
		ErrorLog:    log.New(logWriter{s}, "", 0),
		ConnState:   s.trackConn,
		ConnContext: connContext,
	}
	if hs.MaxHeaderBytes <= 0 {
		hs.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	s.srvMu.Lock()
	if s.srv != nil {
		s.srvMu.Unlock()
		ln.Close()
		return errors.New("webhook: Serve called twice")
	}
	s.srv = hs
	s.srvMu.Unlock()
	return hs.Serve(newGuard(s, ln, cfg))
}

// AEADCipherSuites are the TLS 1.2 suites Serve allows unless TLSConfig
// names its own: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305.
var AEADCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Shutdown stops accepting connections and waits, up to ctx, for batches
// in flight to be delivered and answered.
func (s *Server) Shutdown(ctx context.Context) error {
	s.srvMu.Lock()
	hs := s.srv
	s.srvMu.Unlock()
	if hs == nil {
		return nil
	}
	defer s.unauthLog.flush()
	defer s.authLog.flush()
	done := make(chan error, 1)
	go func() { done <- hs.Shutdown(ctx) }()
	// net/http waits 5 s for connections that have not sent a byte of a
	// request yet (HTTP clients dial spares). They hold nothing to
	// acknowledge, so close them now, and again as long as Shutdown waits.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		s.closeNewConns()
		select {
		case err := <-done:
			return err
		case <-tick.C:
		}
	}
}

func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	switch state {
	case http.StateNew:
		if s.newConns == nil {
			s.newConns = map[net.Conn]struct{}{}
		}
		s.newConns[c] = struct{}{}
	default:
		delete(s.newConns, c)
	}
}

func (s *Server) closeNewConns() {
	s.srvMu.Lock()
	defer s.srvMu.Unlock()
	for c := range s.newConns {
		c.Close()
		delete(s.newConns, c)
	}
}

type logWriter struct{ s *Server }

func (l logWriter) Write(p []byte) (int, error) {
	// What net/http reports is mostly about clients; rate-limit it too.
	l.s.unauthLog.note("WARN", "-", "HTTP server error", string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Body buffers and batches are reused across requests, but only up to
// poolMaxBytes and poolMaxEvents: after a larger batch its buffers go back
// to the garbage collector, and the memory to the OS (freeOSMemory).
const (
	poolMaxBytes  = 4 << 20
	poolMaxEvents = 1 << 16
)

var (
	bodyPool  sync.Pool // *[]byte
	batchPool = sync.Pool{New: func() any { return new(Batch) }}
	gzipPool  sync.Pool
)

// ServeHTTP handles one delivery. Refusals (401, 404, 405, 413, 415, 400,
// 503) write nothing to the Sink and close the connection; 401 and 404
// say nothing but their status, the reason goes to the log. 200 means
// every event of the batch was delivered (or was a duplicate of one
// already delivered).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := s.init(); err != nil {
		s.refuse(w, r, http.StatusInternalServerError, "", err.Error())
		return
	}
	if r.URL.Path != s.Path {
		s.refuseStranger(w, r, http.StatusNotFound, "wrong path", r.Method+" "+r.URL.Path)
		return
	}
	if reason, detail := s.authenticate(r); reason != "" {
		if len(s.Token) > 0 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kube_audit_webhook"`)
		}
		s.refuseStranger(w, r, http.StatusUnauthorized, reason, detail)
		return
	}
	if c := connOf(r.Context()); c != nil {
		c.g.authenticated(c)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.refuse(w, r, http.StatusMethodNotAllowed, "method not allowed", "method "+cut(r.Method, 16)+" not allowed; the API server POSTs audit batches")
		return
	}

	// The body is read before a batch slot is taken: a client that stalls
	// holds the bytes it sent (within MaxBufferedBytes), not a slot.
	// After a large batch its memory goes back to the OS; the last
	// deferred call, once the others have let go of the buffers.
	var large bool
	defer func() {
		if large {
			s.freeOSMemory()
		}
	}()
	body, reserved, status, msg := s.readBody(r)
	defer func() { large = s.release(body, reserved) || large }()
	if status != 0 {
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		s.refuse(w, r, status, refusalReason(status), msg)
		return
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-r.Context().Done():
		return
	}

	b := batchPool.Get().(*Batch)
	defer func() { large = s.putBatch(b) || large }()
	b.MaxEvents = s.MaxEventsPerBatch
	if err := b.Parse(*body); err != nil {
		if errors.Is(err, ErrTooManyEvents) {
			s.refuse(w, r, http.StatusRequestEntityTooLarge, "too many events",
				fmt.Sprintf("more than %d events in one batch (max_events_per_batch)", s.MaxEventsPerBatch))
			return
		}
		s.refuse(w, r, http.StatusBadRequest, "not an audit.k8s.io/v1 document", err.Error())
		return
	}
	delivered, dropped, err := s.deliver(b)
	if err != nil {
		s.logf("ERROR", "writing events failed, shutting down: %v", err)
		s.sinkOnce.Do(func() {
			if s.OnSinkError != nil {
				go s.OnSinkError(err)
			}
		})
		s.refuse(w, r, http.StatusServiceUnavailable, "events could not be written", "events could not be written")
		return
	}
	if dropped > 0 {
		s.stats.Duplicates.Add(int64(dropped))
		s.logf("INFO", "dropped %d re-sent duplicate event(s) of a batch from %s (%d new)", dropped, r.RemoteAddr, delivered)
	}
	s.stats.Batches.Add(1)
	s.stats.Events.Add(int64(delivered))
	w.WriteHeader(http.StatusOK)
}

func refusalReason(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "body too large"
	case http.StatusUnsupportedMediaType:
		return "unsupported Content-Encoding"
	case http.StatusServiceUnavailable:
		return "too many bodies being read at once"
	}
	return "unreadable body"
}

// putBatch returns b to the pool unless it grew large; then it drops b's
// events and reports true.
func (s *Server) putBatch(b *Batch) bool {
	b.doc = nil
	if len(b.blocks)*blockEvents > poolMaxEvents {
		b.blocks, b.n = nil, 0
		return true
	}
	batchPool.Put(b)
	return false
}

// release returns a body buffer and its reservation. A large buffer is
// dropped instead of pooled, and release reports true.
func (s *Server) release(body *[]byte, reserved int64) bool {
	s.buffered.Add(-reserved)
	if body == nil {
		return false
	}
	if cap(*body) > poolMaxBytes {
		*body = nil
		return true
	}
	*body = (*body)[:0]
	bodyPool.Put(body)
	return false
}

// freeOSMemory gives the memory of a large batch back to the OS soon after
// it is done, rather than when the scavenger gets to it, at most once a
// second: a forced collection costs a few milliseconds.
func (s *Server) freeOSMemory() {
	now := time.Now().UnixNano()
	last := s.lastFree.Load()
	if now-last < int64(time.Second) || !s.lastFree.CompareAndSwap(last, now) {
		return
	}
	time.AfterFunc(10*time.Millisecond, debug.FreeOSMemory)
}

// deliver filters duplicates and writes b under the delivery lock, so a
// re-sent batch arriving while the first copy is written waits and is then
// recognised.
func (s *Server) deliver(b *Batch) (delivered, dropped int, err error) {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	if s.sinkErr != nil {
		// The Sink failed before: nothing is acknowledged any more (the
		// dedupe window may hold keys of events never written).
		return 0, 0, s.sinkErr
	}
	if s.dedupe != nil {
		dropped = s.dedupe.filter(b, time.Now())
	}
	if b.Len() == 0 {
		return 0, dropped, nil
	}
	if err := s.Sink.Deliver(b); err != nil {
		s.sinkErr = err
		return 0, dropped, err
	}
	return b.Len(), dropped, nil
}

// authenticate returns "" when the request carries every configured
// credential, else a short constant reason and its detail.
func (s *Server) authenticate(r *http.Request) (reason, detail string) {
	if s.ClientCAs != nil {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return "no client certificate", ""
		}
		certs := r.TLS.PeerCertificates
		now := s.now()
		// A connection's certificates never change (no renegotiation), so
		// a chain verified once stays good for its connection while now
		// lies within every certificate's validity: only the signature
		// checks (a P-256 verification, a few thousand instructions per
		// event of a 400-event batch) are saved, not the time check.
		c := connOf(r.Context())
		if c != nil && c.verified.ok(s.ClientCAs, certs[0], now) {
			return "", ""
		}
		opts := x509.VerifyOptions{
			Roots:         s.ClientCAs,
			Intermediates: x509.NewCertPool(),
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			CurrentTime:   now,
		}
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
		chains, err := certs[0].Verify(opts)
		if err != nil {
			return "client certificate not accepted", err.Error()
		}
		if c != nil {
			c.verified = newVerified(s.ClientCAs, chains[0])
		}
	}
	if len(s.Token) > 0 {
		h := r.Header.Get("Authorization")
		const prefix = "Bearer "
		if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
			return "no bearer token", ""
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[len(prefix):])), s.Token) != 1 {
			return "bearer token not accepted", ""
		}
	}
	return "", ""
}

// readBody reads the (possibly gzipped) body, enforcing MaxBodyBytes on
// both the wire and the decompressed size, and MaxBufferedBytes on the
// bytes of all bodies being read and held: a body reserves its bytes as
// they arrive, readStep at a time, so a client that announces a large
// body and stalls holds what it sent, not what it announced. The buffer
// (never nil) and the bytes reserved go back through release.
func (s *Server) readBody(r *http.Request) (body *[]byte, reserved int64, status int, msg string) {
	limit := s.MaxBodyBytes
	tooLarge := fmt.Sprintf("request body larger than %d bytes (max_body_bytes)", limit)
	busy := "too many request bodies being read at once; retry"
	body, _ = bodyPool.Get().(*[]byte)
	if body == nil {
		body = new([]byte)
	}
	if r.ContentLength > limit {
		return body, 0, http.StatusRequestEntityTooLarge, tooLarge
	}
	if int64(cap(*body)) > limit+1 {
		*body = nil // pooled by a Server with a larger limit
	}
	var src io.Reader = http.MaxBytesReader(nil, r.Body, limit)
	want := int64(64 << 10)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if r.ContentLength > 0 {
			// Sized at once (+1: room to see the end without growing).
			// Pages the body never reaches are not touched.
			want = r.ContentLength + 1
		}
	case "gzip", "x-gzip":
		zr, _ := gzipPool.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(src)
		} else {
			err = zr.Reset(src)
		}
		if err != nil {
			status, msg = s.readError(err, "gzip")
			return body, reserved, status, msg
		}
		defer gzipPool.Put(zr)
		src = zr
	default:
		return body, reserved, http.StatusUnsupportedMediaType, "Content-Encoding " + cut(enc, 32) + " not supported; send identity or gzip"
	}
	buf := (*body)[:0]
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				*body = buf
				return body, reserved, http.StatusRequestEntityTooLarge, tooLarge
			}
			// Grow by doubling (or to the announced length), never past
			// limit+1.
			nb := make([]byte, len(buf), min(max(want, 2*int64(cap(buf))), limit+1))
			copy(nb, buf)
			buf = nb
		}
		end := min(cap(buf), len(buf)+readStep)
		if need := int64(end) - reserved; need > 0 {
			if s.buffered.Add(need) > s.MaxBufferedBytes {
				s.buffered.Add(-need)
				*body = buf
				return body, reserved, http.StatusServiceUnavailable, busy
			}
			reserved += need
		}
		n, err := src.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*body = buf
			status, msg = s.readError(err, "body")
			return body, reserved, status, msg
		}
	}
	*body = buf
	if int64(len(buf)) > limit {
		return body, reserved, http.StatusRequestEntityTooLarge, tooLarge
	}
	return body, reserved, 0, ""
}

// readStep is how far a body may be read beyond the bytes it reserved.
const readStep = 256 << 10

func (s *Server) readError(err error, what string) (int, string) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes (max_body_bytes)", mbe.Limit)
	}
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) && what == "gzip" {
		return http.StatusBadRequest, "malformed gzip body: " + err.Error()
	}
	return http.StatusBadRequest, "reading " + what + ": " + err.Error()
}

// refuseStranger answers an unauthenticated client with its bare status
// and closes the connection; the reason and detail go to the
// (rate-limited) log only.
func (s *Server) refuseStranger(w http.ResponseWriter, r *http.Request, status int, reason, detail string) {
	s.stats.Refused.Add(1)
	s.unauthLog.note("WARN", r.RemoteAddr, fmt.Sprintf("%d %s", status, reason), detail)
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, strconv.Itoa(status)+" "+http.StatusText(status)+"\n")
}

// refuse answers an authenticated client with status and msg, the reason
// it needs to fix its request, logs it (rate-limited) and closes the
// connection (the rest of the body may be unread).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, reason, msg string) {
	s.stats.Refused.Add(1)
	level := "WARN"
	if status >= 500 {
		level = "ERROR"
	}
	if s.authLog != nil {
		s.authLog.note(level, r.RemoteAddr, fmt.Sprintf("%d %s", status, reason), cut(r.Method, 16)+" "+cut(r.URL.Path, 64)+": "+msg)
	} else {
		s.logf(level, "refused %s from %s: %d %s", cut(r.Method, 16), r.RemoteAddr, status, cut(msg, maxDetail))
	}
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
