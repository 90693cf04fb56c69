//go:build tools

// Package kube pins the Kubernetes commands the e2e test runs: building
// them from this module (k8s.io/kubernetes with its staging modules
// replaced by their published versions) is how test/e2e/build-kube.sh
// gets kube-apiserver, kube-controller-manager and kubectl from the Go
// module proxy. The blank imports keep `go mod tidy` from dropping them.
package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
