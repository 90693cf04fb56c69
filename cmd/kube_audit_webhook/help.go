package main

// usageText is what --help prints.
const usageText = `kube_audit_webhook receives the Kubernetes API server's audit webhook over
HTTPS and writes every audit event to Splunk, as a modular input.

Usage:

	kube_audit_webhook                        run: Splunk writes the input's configuration
	                                          XML on stdin, events go to stdout
	kube_audit_webhook --scheme               print the introspection scheme
	kube_audit_webhook --validate-arguments   validate one stanza (XML on stdin)
	kube_audit_webhook --version              print the version (also: version)
	kube_audit_webhook --help                 show this text (also: -h, help)

Splunk starts it from the app's inputs.conf; the webhook stanza's settings
are described in docs/webhook.md.
`
