#!/usr/bin/env bash
# ./build.sh e2e: the real control plane test (docs/e2e.md).
#
# Builds kube-apiserver, kube-controller-manager and kubectl (or takes them
# from the cache, see build-kube.sh), checks etcd and openssl are installed,
# and runs the test/e2e module's test against them.
#
#   KUBEPRIVPOD_E2E_UPDATE=1   rewrite testdata/expected/*.txt from this run
#   KUBEPRIVPOD_E2E_RECORD=DIR copy the API server's audit log and the input's
#                              stream to DIR (testdata/real-apiserver/regen.sh)
#   KUBEPRIVPOD_E2E_KEEP=DIR   keep the run's files (logs, certificates) in DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for tool in etcd openssl; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "e2e: $tool is not installed (apt-get install -y etcd-server openssl)" >&2
    exit 1
  }
done
kube="$("$here/build-kube.sh" | tail -n 1)"
echo "e2e: Kubernetes binaries in $kube ($("$kube/kube-apiserver" --version)), $(etcd --version | head -n 1)"
cd "$here"
go vet ./...
KUBEPRIVPOD_E2E_KUBE_DIR="$kube" go test -count=1 -timeout 15m -v -run TestControlPlane ./...
