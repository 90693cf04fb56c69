package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
	"github.com/kubeprivpod/kubeprivpod/internal/webhook"
)

// Bounds of max_body_bytes: below 1 KiB not even one event fits; above
// 1 GiB one batch could exhaust memory.
const (
	minBodyBytes = 1 << 10
	maxBodyBytes = 1 << 30
)

// Bounds of max_events_per_batch: the API server sends up to
// --audit-webhook-batch-max-size (default 400) events per batch; each
// event held costs 40 bytes beyond its own.
const (
	minEvents = 1
	maxEvents = 10_000_000
)

// input is one validated stanza.
type input struct {
	stanza     string // as Splunk names it, e.g. kube_audit_webhook://prod
	listen     string
	path       string
	cert       tls.Certificate
	clientCAs  *x509.CertPool
	token      []byte
	cluster    string
	maxBody    int64
	maxEvents  int
	index      string
	sourcetype string
}

// fieldError names the parameter at fault and how to fix it; it becomes
// the message Splunk shows when validation fails.
type fieldError struct {
	field, problem, fix string
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("%s: %s. %s", e.field, e.problem, e.fix)
}

// parseInput checks every parameter of st. It reads the certificate, key,
// CA and token files, so a missing or unreadable file is caught when the
// stanza is saved, not when the API server first connects.
func parseInput(st modinput.Stanza) (*input, error) {
	in := &input{
		stanza:     st.Name,
		path:       st.Param(paramPath, webhook.DefaultPath),
		cluster:    strings.TrimSpace(st.Param(paramCluster, "")),
		maxBody:    webhook.DefaultMaxBodyBytes,
		maxEvents:  webhook.DefaultMaxEventsPerBatch,
		index:      strings.TrimSpace(st.Param(paramIndex, "")),
		sourcetype: strings.TrimSpace(st.Param(paramSourcetype, DefaultSourcetype)),
	}

	in.listen = strings.TrimSpace(st.Param(paramListen, ""))
	if in.listen == "" {
		return nil, &fieldError{paramListen, "missing", "Set listen to host:port, e.g. 0.0.0.0:9443."}
	}
	host, port, err := net.SplitHostPort(in.listen)
	if err != nil {
		return nil, &fieldError{paramListen, fmt.Sprintf("%q is not host:port (%v)", in.listen, err), "Set listen to host:port, e.g. 0.0.0.0:9443 or [::]:9443."}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return nil, &fieldError{paramListen, fmt.Sprintf("port %q is not a number from 1 to 65535", port), "Set listen to host:port, e.g. 0.0.0.0:9443."}
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /") {
		return nil, &fieldError{paramListen, fmt.Sprintf("host %q is neither an IP address nor a host name", host), "Use an IP address, a host name, or leave the host empty (:9443) for all addresses."}
	}

	in.path = strings.TrimSpace(in.path)
	if !strings.HasPrefix(in.path, "/") || strings.ContainsAny(in.path, " ?#\t") {
		return nil, &fieldError{paramPath, fmt.Sprintf("%q is not a URL path", in.path), "Set path to an absolute path without query, e.g. /audit, matching the server: URL of the webhook kubeconfig."}
	}

	certFile := expandPath(st.Param(paramCert, ""))
	keyFile := expandPath(st.Param(paramKey, ""))
	if certFile == "" {
		return nil, &fieldError{paramCert, "missing", "Set tls_cert_file to the PEM server certificate; TLS is mandatory."}
	}
	if keyFile == "" {
		return nil, &fieldError{paramKey, "missing", "Set tls_key_file to the PEM private key of tls_cert_file; TLS is mandatory."}
	}
	if _, err := os.Stat(certFile); err != nil {
		return nil, &fieldError{paramCert, err.Error(), "Give the full path of a PEM certificate file readable by Splunk."}
	}
	if _, err := os.Stat(keyFile); err != nil {
		return nil, &fieldError{paramKey, err.Error(), "Give the full path of a PEM private key file readable by Splunk."}
	}
	in.cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, &fieldError{paramCert + "/" + paramKey, "cannot load the key pair: " + err.Error(), "Both must be PEM, the key unencrypted and matching the certificate."}
	}
	if leaf := in.cert.Leaf; leaf != nil {
		// An expired certificate makes every handshake fail on the API
		// server's side, with nothing in splunkd.log to say why.
		now := time.Now()
		if now.After(leaf.NotAfter) {
			return nil, &fieldError{paramCert, fmt.Sprintf("certificate expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339)), "Issue a new server certificate (section 1 of docs/webhook.md) and restart the input."}
		}
		if now.Before(leaf.NotBefore) {
			return nil, &fieldError{paramCert, fmt.Sprintf("certificate not valid before %s (this host's clock says %s)", leaf.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)), "Check this host's clock, or issue a certificate valid from now."}
		}
	}

	if caFile := expandPath(st.Param(paramClientCA, "")); caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, &fieldError{paramClientCA, err.Error(), "Give the full path of the PEM CA bundle that signed the API server's client certificate."}
		}
		in.clientCAs = x509.NewCertPool()
		if !in.clientCAs.AppendCertsFromPEM(pem) {
			return nil, &fieldError{paramClientCA, "no PEM certificate found in " + caFile, "The file must hold one or more -----BEGIN CERTIFICATE----- blocks."}
		}
	}
	if tokenFile := expandPath(st.Param(paramToken, "")); tokenFile != "" {
		tok, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, &fieldError{paramToken, err.Error(), "Give the full path of a file holding the bearer token."}
		}
		in.token = bytes.TrimSpace(tok)
		if len(in.token) == 0 {
			return nil, &fieldError{paramToken, tokenFile + " is empty", "Write the token (e.g. from openssl rand -hex 32) into the file."}
		}
		if bytes.ContainsAny(in.token, " \t\r\n") {
			return nil, &fieldError{paramToken, tokenFile + " holds more than one word", "The file must hold only the token."}
		}
	}
	if in.clientCAs == nil && in.token == nil {
		return nil, &fieldError{paramClientCA + "/" + paramToken, "neither is set, and there is no unauthenticated mode", "Set client_ca_file (client certificates, recommended), token_file, or both."}
	}

	if v := strings.TrimSpace(st.Param(paramMaxBodyBytes, "")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < minBodyBytes || n > maxBodyBytes {
			return nil, &fieldError{paramMaxBodyBytes, fmt.Sprintf("%q is not a whole number of bytes from %d to %d", v, minBodyBytes, maxBodyBytes), "Leave it empty for 64 MiB (67108864), or give a byte count such as 134217728."}
		}
		in.maxBody = n
	}
	if v := strings.TrimSpace(st.Param(paramMaxEvents, "")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minEvents || n > maxEvents {
			return nil, &fieldError{paramMaxEvents, fmt.Sprintf("%q is not a whole number from %d to %d", v, minEvents, maxEvents), fmt.Sprintf("Leave it empty for %d, or give at least the API server's --audit-webhook-batch-max-size.", webhook.DefaultMaxEventsPerBatch)}
		}
		in.maxEvents = n
	}
	if strings.ContainsAny(in.cluster, "\r\n") {
		return nil, &fieldError{paramCluster, "contains a line break", "Use a single-line name such as prod-eu-1."}
	}
	if in.sourcetype == "" {
		in.sourcetype = DefaultSourcetype
	}
	return in, nil
}

// expandPath trims p and replaces a leading $SPLUNK_HOME (or
// ${SPLUNK_HOME}) with that environment variable, which splunkd sets for
// its inputs, so stanzas can name files inside the Splunk installation.
func expandPath(p string) string {
	p = strings.TrimSpace(p)
	for _, v := range []string{"$SPLUNK_HOME", "${SPLUNK_HOME}"} {
		if rest, ok := strings.CutPrefix(p, v); ok && (rest == "" || rest[0] == '/' || rest[0] == '\\') {
			if home := os.Getenv("SPLUNK_HOME"); home != "" {
				return home + rest
			}
		}
	}
	return p
}
