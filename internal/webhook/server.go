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
	DefaultReadHeaderTimeout    = 10 * time.Second
	DefaultReadTimeout          = 60 * time.Second
	DefaultWriteTimeout         = 90 * time.Second
	DefaultIdleTimeout          = 120 * time.Second
	DefaultMaxHeaderBytes       = 64 << 10
	DefaultDedupeWindow         = 10 * time.Minute
	DefaultDedupeMaxKeys        = 1 << 20
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
	MaxConcurrentBatches int   // batches read and held at once; bounds memory
	ReadHeaderTimeout    time.Duration
	ReadTimeout          time.Duration // whole request, body included
	WriteTimeout         time.Duration // from the end of the headers to the end of the reply
	IdleTimeout          time.Duration // keep-alive
	MaxHeaderBytes       int

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
}

// Stats counts what a Server did. Read it with Server.Stats.
type Stats struct {
	Batches    atomic.Int64 // batches acknowledged with 200
	Events     atomic.Int64 // events delivered
	Duplicates atomic.Int64 // re-sent events dropped
	Refused    atomic.Int64 // requests answered 4xx or 503
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
		ErrorLog:  log.New(logWriter{s}, "", 0),
		ConnState: s.trackConn,
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
	return hs.Serve(tls.NewListener(ln, cfg))
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
	l.s.logf("WARN", "%s", bytes.TrimRight(p, "\n"))
	return len(p), nil
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// bodies and batches are reused across requests; their number is bounded
// by MaxConcurrentBatches per Server.
var (
	bodyPool  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
	batchPool = sync.Pool{New: func() any { return new(Batch) }}
	gzipPool  sync.Pool
)

// ServeHTTP handles one delivery. Refusals (401, 404, 405, 413, 415, 400)
// write nothing to the Sink; 200 means every event of the batch was
// delivered (or was a duplicate of one already delivered).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := s.init(); err != nil {
		s.refuse(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	if r.URL.Path != s.Path {
		s.refuse(w, r, http.StatusNotFound, "not found; the audit webhook path is "+s.Path)
		return
	}
	if msg := s.authenticate(r); msg != "" {
		if len(s.Token) > 0 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kube_audit_webhook"`)
		}
		s.refuse(w, r, http.StatusUnauthorized, msg)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.refuse(w, r, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; the API server POSTs audit batches")
		return
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-r.Context().Done():
		return
	}

	body := bodyPool.Get().(*bytes.Buffer)
	defer bodyPool.Put(body)
	body.Reset()
	if status, msg := s.readBody(body, r); status != 0 {
		s.refuse(w, r, status, msg)
		return
	}

	b := batchPool.Get().(*Batch)
	defer batchPool.Put(b)
	if err := b.Parse(body.Bytes()); err != nil {
		s.refuse(w, r, http.StatusBadRequest, err.Error())
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
		s.refuse(w, r, http.StatusServiceUnavailable, "events could not be written")
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
// credential, else why not.
func (s *Server) authenticate(r *http.Request) string {
	if s.ClientCAs != nil {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return "client certificate required"
		}
		certs := r.TLS.PeerCertificates
		opts := x509.VerifyOptions{
			Roots:         s.ClientCAs,
			Intermediates: x509.NewCertPool(),
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
		if _, err := certs[0].Verify(opts); err != nil {
			return "client certificate not accepted: " + err.Error()
		}
	}
	if len(s.Token) > 0 {
		h := r.Header.Get("Authorization")
		const prefix = "Bearer "
		if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
			return "bearer token required"
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[len(prefix):])), s.Token) != 1 {
			return "bearer token not accepted"
		}
	}
	return ""
}

// readBody reads the (possibly gzipped) body into buf, enforcing
// MaxBodyBytes on both the wire and the decompressed size.
func (s *Server) readBody(buf *bytes.Buffer, r *http.Request) (status int, msg string) {
	limit := s.MaxBodyBytes
	tooLarge := fmt.Sprintf("request body larger than %d bytes (max_body_bytes)", limit)
	if r.ContentLength > limit {
		return http.StatusRequestEntityTooLarge, tooLarge
	}
	var src io.Reader = http.MaxBytesReader(nil, r.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if r.ContentLength > 0 {
			buf.Grow(int(r.ContentLength))
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
			return s.readError(err, "gzip")
		}
		defer gzipPool.Put(zr)
		src = zr
	default:
		return http.StatusUnsupportedMediaType, "Content-Encoding " + enc + " not supported; send identity or gzip"
	}
	n, err := buf.ReadFrom(io.LimitReader(src, limit+1))
	if err != nil {
		return s.readError(err, "body")
	}
	if n > limit {
		return http.StatusRequestEntityTooLarge, tooLarge
	}
	return 0, ""
}

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

// refuse answers with status and a one-line reason, and logs it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.stats.Refused.Add(1)
	level := "WARN"
	if status >= 500 {
		level = "ERROR"
	}
	s.logf(level, "refused %s %s from %s: %d %s", r.Method, r.URL.Path, r.RemoteAddr, status, msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
