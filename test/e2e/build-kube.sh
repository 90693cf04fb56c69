#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl for the e2e test
# from the Go module proxy (test/e2e/kube/go.mod: k8s.io/kubernetes with its
# 33 staging modules replaced by their published versions), into a cache
# directory outside the clone, keyed by version:
#
#   test/e2e/build-kube.sh            build if missing, print the directory
#   test/e2e/build-kube.sh --check    exit 0 (and print it) only if already built
#
# KUBEPRIVPOD_E2E_CACHE overrides the cache root (default
# ~/.cache/kubeprivpod-e2e); the binaries land in $root/<version>/. With the
# binaries cached it returns at once. The binaries are built in a temporary
# directory and moved in only when all three are done, so a reader never sees a
# half-written set.
#
# The build is for a test, not a cluster, so it buys compile time with run
# time: -gcflags=all=-N -l (no optimisation, no inlining) and -ldflags=-s -w
# (no symbol table, no DWARF) cut the cold build's CPU from 806 s to 598 s
# (docs/e2e.md), and cgo is off (nothing here needs it, and it spares a C
# compiler). The e2e's timings do not depend on the servers' speed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3; exit } $1 == "k8s.io/kubernetes" { print $2; exit }' "$here/kube/go.mod")"
[[ "$version" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || { echo "build-kube.sh: no k8s.io/kubernetes version in kube/go.mod" >&2; exit 1; }
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}"
root="${KUBEPRIVPOD_E2E_CACHE:-$HOME/.cache/kubeprivpod-e2e}"
dir="$root/$version"
progs=(kube-apiserver kube-controller-manager kubectl)

complete() {
  local p
  for p in "${progs[@]}"; do [ -x "$dir/$p" ] || return 1; done
  # A binary built without the version stamp reports v0.0.0; rebuild it.
  # The output is read whole before it is matched: `kubectl ... | grep -q`
  # fails under pipefail whenever grep exits before kubectl has written
  # its last line (kubectl then dies of SIGPIPE), about one run in five.
  local out
  out="$("$dir/kubectl" version --client 2>/dev/null)" || return 1
  [[ "$out" == *"Client Version: $version"$'\n'* || "$out" == *"Client Version: $version" ]]
}

if complete; then
  echo "$dir"
  exit 0
fi
[ "${1:-}" = --check ] && exit 1

echo "build-kube.sh: building ${progs[*]} $version into $dir (cold: about 600 s of CPU)" >&2
mkdir -p "$root"
tmp="$(mktemp -d "$root/.build-$version.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=$major"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/client-go/pkg/version.gitVersion=$version"
(cd "$here/kube" && CGO_ENABLED=0 go build -gcflags="all=-N -l" -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
mkdir -p "$dir"
for p in "${progs[@]}"; do mv -f "$tmp/$p" "$dir/$p"; done
complete || { echo "build-kube.sh: $dir/kubectl does not report $version" >&2; exit 1; }
echo "$dir"
