package main

import (
	"strconv"

	"github.com/kubeprivpod/kubeprivpod/internal/modinput"
	"github.com/kubeprivpod/kubeprivpod/internal/webhook"
)

// Parameter names; README/inputs.conf.spec documents the same names.
const (
	paramListen       = "listen"
	paramPath         = "path"
	paramCert         = "tls_cert_file"
	paramKey          = "tls_key_file"
	paramClientCA     = "client_ca_file"
	paramToken        = "token_file"
	paramCluster      = "cluster"
	paramMaxBodyBytes = "max_body_bytes"
	paramMaxEvents    = "max_events_per_batch"
	paramIndex        = "index"
	paramSourcetype   = "sourcetype"
)

// DefaultSourcetype is the sourcetype of the events unless the stanza sets one.
const DefaultSourcetype = "kube:apiserver:auditlog"

func scheme() *modinput.Scheme {
	return &modinput.Scheme{
		Title: "Kubernetes audit webhook",
		Description: "Receives the Kubernetes API server's audit webhook (audit.k8s.io/v1 EventList over HTTPS) " +
			"and indexes each audit event as the API server's log backend would write it.",
		UseExternalValidation: true,
		UseSingleInstance:     true,
		StreamingMode:         modinput.StreamingXML,
		Args: []modinput.Arg{
			{Name: paramListen, Title: "Listen address", RequiredOnCreate: true,
				Description: "host:port the HTTPS listener binds, e.g. 0.0.0.0:9443."},
			{Name: paramPath, Title: "URL path",
				Description: "Path the API server posts to (the path of server: in its webhook kubeconfig). Default " + webhook.DefaultPath + "."},
			{Name: paramCert, Title: "Server certificate file", RequiredOnCreate: true,
				Description: "PEM certificate (chain) the listener presents; the API server must trust its CA."},
			{Name: paramKey, Title: "Server key file", RequiredOnCreate: true,
				Description: "PEM private key of tls_cert_file."},
			{Name: paramClientCA, Title: "Client CA file",
				Description: "PEM CA bundle; the API server must present a client certificate signed by it. Set this, token_file, or both."},
			{Name: paramToken, Title: "Bearer token file",
				Description: "File holding the bearer token the API server sends (token: in its webhook kubeconfig). Set this, client_ca_file, or both."},
			{Name: paramCluster, Title: "Cluster name",
				Description: "Written as the host of every event, to tell clusters apart."},
			{Name: paramMaxBodyBytes, Title: "Maximum body size", DataType: modinput.TypeNumber,
				Description: "Largest batch accepted, in bytes after gzip decompression; larger ones get 413. Default " +
					strconv.Itoa(webhook.DefaultMaxBodyBytes) + " (64 MiB)."},
			{Name: paramMaxEvents, Title: "Maximum events per batch", DataType: modinput.TypeNumber,
				Description: "Most events accepted in one batch; larger ones get 413. Default " +
					strconv.Itoa(webhook.DefaultMaxEventsPerBatch) + " (the API server sends 400 by default)."},
		},
	}
}
