package webhook

import (
	"container/list"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// guard is the listener Serve hands to net/http. It accepts TCP
// connections itself and decides, before spending a TLS handshake on one,
// whether to keep it:
//
//   - at most MaxConns connections are open;
//   - at most MaxUnauthConns have not yet sent an authenticated request
//     (past it the oldest such connection is closed, so a flood of idle
//     connections cannot keep a new API server connection out);
//   - an address that has not authenticated recently may open
//     UnauthConnRate connections per second (bursts of twice that) and hold
//     MaxUnauthConnsPerIP unauthenticated ones, and all such addresses
//     together UnauthConnRateTotal a second, so that many addresses cannot
//     spend the CPU on handshakes either;
//   - the handshake must finish within HandshakeTimeout.
//
// An address from which a request authenticated within trustFor is
// exempt from the per-address limits and its connections are closed last.
// IPv6 addresses are grouped by /64, as one host usually holds a whole one.
type guard struct {
	s      *Server
	ln     net.Listener
	cfg    *tls.Config
	ready  chan net.Conn
	done   chan struct{}
	doneMu sync.Once
	err    error // the listener's fatal error, set before done closes

	mu     sync.Mutex
	tokens float64   // of UnauthConnRateTotal
	last   time.Time // of the last refill of tokens
	total  int
	unauth list.List // of *guardConn not yet authenticated, oldest first
	ips    map[netip.Prefix]*ipState
	swept  int // len(ips) after the last sweep
}

// trustFor is how long an address stays trusted after an authenticated
// request. maxIPs bounds the per-address table; addresses beyond it share
// one entry.
const (
	trustFor = 10 * time.Minute
	maxIPs   = 1 << 16
)

type ipState struct {
	unauth  int
	tokens  float64
	last    time.Time
	trusted time.Time // until
}

// guardConn is one accepted connection, counted until it is closed.
type guardConn struct {
	net.Conn
	g       *guard
	ip      netip.Prefix
	addr    string
	elem    *list.Element // in g.unauth; nil once authenticated or removed
	removed bool          // guarded by g.mu
	once    sync.Once

	// The client certificate chain last verified on this connection;
	// only its request handler (one request at a time) uses it.
	verified verifiedChain
}

// verifiedChain remembers a verified client certificate chain: which
// roots and leaf it was verified for and the time span within which all
// of its certificates are valid.
type verifiedChain struct {
	roots      *x509.CertPool
	leaf       *x509.Certificate
	from, till time.Time
}

func newVerified(roots *x509.CertPool, chain []*x509.Certificate) verifiedChain {
	v := verifiedChain{roots: roots, leaf: chain[0], from: chain[0].NotBefore, till: chain[0].NotAfter}
	for _, c := range chain[1:] {
		if c.NotBefore.After(v.from) {
			v.from = c.NotBefore
		}
		if c.NotAfter.Before(v.till) {
			v.till = c.NotAfter
		}
	}
	return v
}

// ok reports whether leaf was verified against roots and every
// certificate of its chain is still valid at now (x509's own bounds:
// NotBefore and NotAfter inclusive).
func (v *verifiedChain) ok(roots *x509.CertPool, leaf *x509.Certificate, now time.Time) bool {
	return v.leaf != nil && v.leaf == leaf && v.roots == roots && !now.Before(v.from) && !now.After(v.till)
}

func (c *guardConn) Close() error {
	c.once.Do(func() { c.g.remove(c) })
	return c.Conn.Close()
}

var overflowIP = netip.MustParsePrefix("::/0")

func ipKey(addr net.Addr) netip.Prefix {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return overflowIP
	}
	ip := ap.Addr().Unmap()
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}

func newGuard(s *Server, ln net.Listener, cfg *tls.Config) *guard {
	g := &guard{s: s, ln: ln, cfg: cfg, ready: make(chan net.Conn), done: make(chan struct{}),
		ips: map[netip.Prefix]*ipState{}}
	go g.acceptLoop()
	return g
}

// Accept returns the next connection whose handshake has finished.
func (g *guard) Accept() (net.Conn, error) {
	select {
	case c := <-g.ready:
		return c, nil
	case <-g.done:
		if g.err != nil {
			return nil, g.err
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting.
func (g *guard) Close() error {
	err := g.ln.Close()
	g.stop(nil)
	return err
}

func (g *guard) stop(err error) {
	g.doneMu.Do(func() {
		g.err = err
		close(g.done)
	})
}

func (g *guard) Addr() net.Addr { return g.ln.Addr() }

func (g *guard) acceptLoop() {
	var backoff time.Duration
	for {
		c, err := g.ln.Accept()
		if err != nil {
			select {
			case <-g.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && !errors.Is(err, net.ErrClosed) {
				// Out of file descriptors and the like: wait, as
				// net/http does, and say so without flooding the log.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				g.s.unauthLog.note("ERROR", "-", "accept failed", err.Error())
				time.Sleep(backoff)
				continue
			}
			g.stop(err)
			return
		}
		backoff = 0
		gc, reason := g.admit(c)
		if gc == nil {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0) // a reset: no FIN exchange, no TIME_WAIT
			}
			c.Close()
			g.s.stats.RefusedConns.Add(1)
			g.s.unauthLog.note("WARN", c.RemoteAddr().String(), reason, "")
			continue
		}
		go g.handshake(gc)
	}
}

// admit counts c in, or returns why not. It may close the oldest
// unauthenticated connection to make room.
func (g *guard) admit(c net.Conn) (*guardConn, string) {
	s := g.s
	now := s.now()
	key := ipKey(c.RemoteAddr())
	var evict *guardConn
	defer func() {
		if evict != nil {
			evict.Conn.Close()
			s.stats.EvictedConns.Add(1)
			s.unauthLog.note("WARN", evict.addr, "unauthenticated connection closed to make room", "")
		}
	}()
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.ips[key]
	if st == nil {
		if len(g.ips) >= maxIPs {
			g.sweep(now)
		}
		if len(g.ips) >= maxIPs {
			key = overflowIP
			st = g.ips[key]
		}
		if st == nil {
			st = &ipState{tokens: 2 * s.UnauthConnRate, last: now}
			g.ips[key] = st
		}
	}
	trusted := now.Before(st.trusted)
	if g.total >= s.MaxConns {
		if !trusted {
			return nil, "connection limit (max_connections) reached"
		}
		if evict = g.oldestUnauth(now); evict == nil {
			return nil, "connection limit (max_connections) reached"
		}
		g.removeLocked(evict)
	}
	if !trusted {
		st.tokens = min(2*s.UnauthConnRate, st.tokens+now.Sub(st.last).Seconds()*s.UnauthConnRate)
		st.last = now
		if st.tokens < 1 {
			return nil, "too many new connections from one address"
		}
		if st.unauth >= s.MaxUnauthConnsPerIP {
			return nil, "too many unauthenticated connections from one address"
		}
		if g.last.IsZero() {
			g.tokens = 2 * s.UnauthConnRateTotal
		}
		g.tokens = min(2*s.UnauthConnRateTotal, g.tokens+now.Sub(g.last).Seconds()*s.UnauthConnRateTotal)
		g.last = now
		if g.tokens < 1 {
			return nil, "too many new connections from untrusted addresses"
		}
		st.tokens--
		g.tokens--
	}
	if g.unauth.Len() >= s.MaxUnauthConns && evict == nil {
		if evict = g.oldestUnauth(now); evict == nil {
			return nil, "unauthenticated connection limit reached"
		}
		g.removeLocked(evict)
	}
	gc := &guardConn{Conn: c, g: g, ip: key, addr: c.RemoteAddr().String()}
	gc.elem = g.unauth.PushBack(gc)
	st.unauth++
	g.total++
	return gc, ""
}

// oldestUnauth picks the unauthenticated connection to close: the oldest
// from an untrusted address, else the oldest.
func (g *guard) oldestUnauth(now time.Time) *guardConn {
	for e := g.unauth.Front(); e != nil; e = e.Next() {
		c := e.Value.(*guardConn)
		if st := g.ips[c.ip]; st == nil || !now.Before(st.trusted) {
			return c
		}
	}
	if e := g.unauth.Front(); e != nil {
		return e.Value.(*guardConn)
	}
	return nil
}

// sweep forgets addresses with nothing open, no trust and a full bucket.
func (g *guard) sweep(now time.Time) {
	for k, st := range g.ips {
		if st.unauth == 0 && !now.Before(st.trusted) &&
			st.tokens+now.Sub(st.last).Seconds()*g.s.UnauthConnRate >= 2*g.s.UnauthConnRate {
			delete(g.ips, k)
		}
	}
}

func (g *guard) remove(c *guardConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.removeLocked(c)
}

func (g *guard) removeLocked(c *guardConn) {
	if c.removed {
		return
	}
	c.removed = true
	g.total--
	if c.elem != nil {
		g.unauth.Remove(c.elem)
		c.elem = nil
		if st := g.ips[c.ip]; st != nil {
			st.unauth--
		}
	}
	if len(g.ips) > 1024 && len(g.ips) > 2*g.swept {
		g.sweep(g.s.now())
		g.swept = len(g.ips)
	}
}

// authenticated moves c out of the unauthenticated set and trusts its
// address for a while.
func (g *guard) authenticated(c *guardConn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c.removed {
		return
	}
	st := g.ips[c.ip]
	if c.elem != nil {
		g.unauth.Remove(c.elem)
		c.elem = nil
		if st != nil {
			st.unauth--
		}
	}
	if st != nil {
		st.trusted = g.s.now().Add(trustFor)
	}
}

func (g *guard) handshake(c *guardConn) {
	tc := tls.Server(c, g.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), g.s.HandshakeTimeout)
	defer cancel()
	c.SetDeadline(time.Now().Add(g.s.HandshakeTimeout))
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		g.s.stats.RefusedConns.Add(1)
		if !errors.Is(err, io.EOF) { // closed without a word: a port probe
			g.s.unauthLog.note("WARN", c.addr, "TLS handshake failed", err.Error())
		}
		return
	}
	c.SetDeadline(time.Time{})
	select {
	case g.ready <- tc:
	case <-g.done:
		tc.Close()
	}
}

// connOf returns the guarded connection a request came on, if any.
func connOf(ctx context.Context) *guardConn {
	c, _ := ctx.Value(connKey{}).(*guardConn)
	return c
}

type connKey struct{}

// connContext puts the guarded connection under c into ctx.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		if gc, ok := tc.NetConn().(*guardConn); ok {
			return context.WithValue(ctx, connKey{}, gc)
		}
	}
	return ctx
}
