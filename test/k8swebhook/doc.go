// Package k8swebhook tests kube_audit_webhook against the Kubernetes API
// server's own audit code: the webhook backend of k8s.io/apiserver sends
// batches over mutual TLS to the built input binary, and the log backend
// writes the same events, which the input's output must equal byte for
// byte.
//
// It is a separate module so that k8s.io/apiserver never enters the root
// module's dependency graph or the shipped binaries. Run it with
//
//	cd test/k8swebhook && go test ./...
package k8swebhook
