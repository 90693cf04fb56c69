package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/kubeprivpod/kubeprivpod/testsupport/testpki"
)

// poster posts one batch body and returns the reply's status code.
type poster func(body []byte) (int, error)

// posters returns one poster per sender, each with its own keep-alive
// connection. By default they are rawSenders; KAW_CLIENT=nethttp makes
// them net/http clients with the default transport (as client-go's), to
// measure what the benchmark's own senders cost either way.
func posters(b *testing.B, p *testpki.PKI, target string, senders int) []poster {
	posts := make([]poster, senders)
	switch c := os.Getenv("KAW_CLIENT"); c {
	case "nethttp":
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: p.ClientTLS(true), MaxIdleConnsPerHost: senders}}
		for i := range posts {
			posts[i] = func(body []byte) (int, error) { return postBatch(client, target, body) }
		}
	case "", "raw":
		u, err := url.Parse(target)
		if err != nil {
			b.Fatal(err)
		}
		for i := range posts {
			s := &rawSender{addr: u.Host, path: u.Path, cfg: p.ClientTLS(true).Clone()}
			s.cfg.ServerName = u.Hostname()
			b.Cleanup(s.close)
			posts[i] = s.post
		}
	default:
		b.Fatalf("KAW_CLIENT=%q: want raw or nethttp", c)
	}
	return posts
}

// rawSender posts batches over one mutual-TLS keep-alive connection as
// cheaply as a sender can, so that the benchmark, which shares the cores
// with the input, spends little of them: the request head is made once
// per body length, nothing is allocated per request, and the TLS records
// of a request (the 4 KiB records net/http's transport writes, as the API
// server's client does) are gathered and handed to the socket in one
// write instead of one system call each. The input receives the same
// bytes a net/http client would send.
type rawSender struct {
	addr, path string
	cfg        *tls.Config

	conn  *tls.Conn
	out   *gatherConn
	br    *bufio.Reader
	head  []byte // request head for a body of hlen bytes
	hlen  int
	first []byte // the head and the body's start: the first record
}

// gatherConn holds what is written to it while gather is set, until
// flush, so that a request's TLS records go out in one system call; the
// handshake's writes go straight through.
type gatherConn struct {
	net.Conn
	gather bool
	buf    []byte
}

func (g *gatherConn) Write(p []byte) (int, error) {
	if !g.gather {
		return g.Conn.Write(p)
	}
	g.buf = append(g.buf, p...)
	return len(p), nil
}

func (g *gatherConn) flush() error {
	g.gather = false
	_, err := g.Conn.Write(g.buf)
	g.buf = g.buf[:0]
	return err
}

// recordBytes is how much of the request is given to tls.Conn.Write at a
// time, so it makes records of this size: net/http's transport writes
// through a 4 KiB buffer.
const recordBytes = 4 << 10

func (s *rawSender) dial() error {
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		return err
	}
	s.out = &gatherConn{Conn: c}
	s.conn = tls.Client(s.out, s.cfg)
	if err := s.conn.Handshake(); err != nil {
		c.Close()
		return err
	}
	s.br = bufio.NewReaderSize(s.conn, 4<<10)
	return nil
}

func (s *rawSender) close() {
	if s.conn != nil {
		s.conn.Close()
	}
}

// post sends body and reads the reply (status line, headers, a body of
// Content-Length bytes). After an error the connection is dropped and
// the next post dials a new one.
func (s *rawSender) post(body []byte) (int, error) {
	if s.conn == nil {
		if err := s.dial(); err != nil {
			return 0, err
		}
	}
	if s.head == nil || s.hlen != len(body) {
		s.head = fmt.Appendf(s.head[:0], "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: kube-apiserver-bench\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			s.path, s.addr, len(body))
		s.hlen = len(body)
	}
	s.out.gather = true
	// The head and the first bytes of the body share a record, as they
	// share net/http's write buffer.
	first := min(recordBytes-len(s.head), len(body))
	s.first = append(append(s.first[:0], s.head...), body[:first]...)
	if _, err := s.conn.Write(s.first); err != nil {
		return 0, s.fail(err)
	}
	for off := first; off < len(body); off += recordBytes {
		if _, err := s.conn.Write(body[off:min(off+recordBytes, len(body))]); err != nil {
			return 0, s.fail(err)
		}
	}
	if err := s.out.flush(); err != nil {
		return 0, s.fail(err)
	}
	code, err := s.readReply()
	if err != nil {
		return 0, s.fail(err)
	}
	return code, nil
}

// fail drops the connection after an error.
func (s *rawSender) fail(err error) error {
	s.close()
	s.conn = nil
	return err
}

// readReply reads one HTTP/1.1 reply and returns its status code.
func (s *rawSender) readReply() (int, error) {
	line, err := s.br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length := -1
	for {
		h, err := s.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", v)
			}
		}
	}
	if length < 0 {
		return 0, fmt.Errorf("reply %d without Content-Length", code)
	}
	if _, err := s.br.Discard(length); err != nil {
		return 0, err
	}
	return code, nil
}
