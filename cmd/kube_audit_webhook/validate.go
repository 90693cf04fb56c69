package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
)

// validate answers --validate-arguments: exit 0 when the stanza is
// usable, else an <error><message> naming the field and the fix, exit 1.
func validate(stdin io.Reader, stdout, stderr io.Writer) int {
	def, err := modinput.ReadValidationDefinition(stdin)
	if err != nil {
		modinput.WriteValidationError(stdout, err.Error())
		fmt.Fprintf(stderr, "ERROR %v\n", err)
		return 1
	}
	in, err := parseInput(def.Item)
	if err == nil {
		err = checkListen(in)
	}
	if err != nil {
		modinput.WriteValidationError(stdout, err.Error())
		return 1
	}
	return 0
}

// checkListen makes sure the input will be able to bind its address: it
// binds it and lets go. An address in use is fine only when what listens
// there presents the stanza's own certificate: the input already running
// with this stanza, as when an existing stanza is edited.
func checkListen(in *input) error {
	ln, err := net.Listen("tcp", in.listen)
	if err == nil {
		ln.Close()
		return nil
	}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		if servesCert(in) {
			return nil
		}
		_, port, _ := net.SplitHostPort(in.listen)
		return &fieldError{paramListen, in.listen + " is already in use by another program",
			"Choose a free port, or stop what listens there (ss -ltnp 'sport = :" + port + "' shows it)."}
	case errors.Is(err, syscall.EACCES):
		return &fieldError{paramListen, "cannot bind " + in.listen + ": permission denied", "Ports below 1024 need privileges splunkd should not have; use a port such as 9443."}
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return &fieldError{paramListen, "cannot bind " + in.listen + ": the address is not one of this host's", "Use one of this host's addresses, or 0.0.0.0 for all of them."}
	}
	return &fieldError{paramListen, "cannot bind: " + err.Error(), "Use host:port with an address of this host and a free port."}
}

// servesCert reports whether a TLS server at in.listen presents in.cert.
func servesCert(in *input) bool {
	host, port, _ := net.SplitHostPort(in.listen)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	d := &net.Dialer{Timeout: 2 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(host, port), &tls.Config{InsecureSkipVerify: true}) // only compared below
	if err != nil {
		return false
	}
	defer c.Close()
	peer := c.ConnectionState().PeerCertificates
	return len(peer) > 0 && len(in.cert.Certificate) > 0 && bytes.Equal(peer[0].Raw, in.cert.Certificate[0])
}
