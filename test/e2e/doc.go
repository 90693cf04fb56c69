// Package e2e runs the app against a real Kubernetes control plane: etcd,
// kube-apiserver and kube-controller-manager on loopback, real kubectl
// commands, the API server's audit webhook delivering over mutual TLS to
// the kube_audit_webhook binary started the way splunkd starts it, and
// the kubeprivpod binary run over what the input wrote.
//
// The certificates, the input's inputs.conf stanza, the webhook
// kubeconfig, the API server's audit flags and the audit policy are taken
// from the fenced blocks of docs/webhook.md, so the admin's setup steps
// are the ones this test executes.
//
// It is a separate module (no dependencies) so that its slow test never
// runs in the root module's `go test ./...`. Run it with `./build.sh e2e`,
// which builds or takes the Kubernetes binaries from a cache directory
// (build-kube.sh) and sets KUBEPRIVPOD_E2E_KUBE_DIR. Without that
// variable the test skips, unless CI is set.
package e2e
