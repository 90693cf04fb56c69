// Package testpki makes a throw-away certificate authority, a server
// certificate for the loopback addresses and a client certificate, so
// tests of the audit webhook need no openssl and no files of their own.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// PKI is one CA with a server and a client certificate signed by it, also
// written as PEM files into a test's temporary directory.
type PKI struct {
	Dir string

	CAFile, ServerCertFile, ServerKeyFile, ClientCertFile, ClientKeyFile string

	CAPool *x509.CertPool
	Server tls.Certificate
	Client tls.Certificate

	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
}

// New makes a PKI under tb.TempDir(). The server certificate is valid for
// localhost, 127.0.0.1 and ::1.
func New(tb testing.TB) *PKI {
	tb.Helper()
	p := &PKI{Dir: tb.TempDir()}
	var err error
	p.caKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kube_audit_webhook test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		tb.Fatal(err)
	}
	p.caCert, _ = x509.ParseCertificate(der)
	p.CAPool = x509.NewCertPool()
	p.CAPool.AddCert(p.caCert)
	p.CAFile = p.write(tb, "ca.crt", "CERTIFICATE", der)

	p.Server, p.ServerCertFile, p.ServerKeyFile = p.Issue(tb, "server", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	p.Client, p.ClientCertFile, p.ClientKeyFile = p.Issue(tb, "client", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver-audit"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return p
}

var serial atomic.Int64

// Issue signs tmpl (fresh key and serial filled in, and validity unless
// tmpl sets NotAfter) with the CA and writes name.crt and name.key.
func (p *PKI) Issue(tb testing.TB, name string, tmpl *x509.Certificate) (tls.Certificate, string, string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(serial.Add(1) + 1)
	if tmpl.NotAfter.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &key.PublicKey, p.caKey)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile := p.write(tb, name+".crt", "CERTIFICATE", der)
	keyFile := p.write(tb, name+".key", "PRIVATE KEY", keyDER)
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		tb.Fatal(err)
	}
	return c, certFile, keyFile
}

func (p *PKI) write(tb testing.TB, name, typ string, der []byte) string {
	tb.Helper()
	path := filepath.Join(p.Dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ClientTLS returns a client configuration that trusts the CA and, with
// withCert, presents the client certificate.
func (p *PKI) ClientTLS(withCert bool) *tls.Config {
	c := &tls.Config{RootCAs: p.CAPool, MinVersion: tls.VersionTLS12}
	if withCert {
		c.Certificates = []tls.Certificate{p.Client}
	}
	return c
}
