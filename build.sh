#!/usr/bin/env bash
# Builds and checks the kubeprivpod Splunk app.
#
#   ./build.sh          build the binaries and dist/kubeprivpod-<version>.tgz
#   ./build.sh test     gofmt, go vet, staticcheck (if installed), go test
#                       (with a count of the tests skipped and why), build the
#                       package, run the package checks (tools/pkgcheck) on it
#   ./build.sh conf     re-render default/savedsearches.conf and
#                       default/macros.conf from the content YAML in app/
#   ./build.sh e2e      a real kube-apiserver, controller manager and kubectl
#                       (v1.37.2, built once into ~/.cache/kubeprivpod-e2e;
#                       needs etcd-server and openssl) sending their audit
#                       webhook to the built input: docs/e2e.md
#   ./build.sh clean    remove build outputs
#   ./build.sh help     print this
#
# The version comes from default/app.conf ([launcher] version), the one place
# it is written. Builds are static (CGO_ENABLED=0) and reproducible: -trimpath,
# no VCS stamp, and a tarball with sorted names, one mtime (SOURCE_DATE_EPOCH,
# default the last commit's time), owner 0/0 and fixed modes.
set -euo pipefail
cd "$(dirname "$0")"

APP=kubeprivpod
TARGETS=tools/targets.txt

die() { echo "build.sh: $*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# The programs and platforms come from tools/targets.txt, which the package
# checks read too: "program NAME", "platform GOOS/GOARCH FOLDER FORMAT",
# "fallback FOLDER PLATFORM-FOLDER".
PROGRAMS=() PLATFORMS=() FALLBACKS=() PLATFORM_DIRS=()
while read -r word a b _; do
  case "$word" in
    program) PROGRAMS+=("$a") ;;
    platform) PLATFORMS+=("$a $b"); PLATFORM_DIRS+=("$b") ;;
    fallback) FALLBACKS+=("$a $b") ;;
    ''|'#'*) ;;
    *) die "$TARGETS: unknown line '$word $a $b'" ;;
  esac
done <"$TARGETS"
[ ${#PROGRAMS[@]} -gt 0 ] && [ ${#PLATFORMS[@]} -gt 0 ] || die "$TARGETS names no program or no platform"
# What the package holds besides the platform folders and the README.md that
# tools/pkgreadme writes; everything else (cmd/, internal/, tools/, app/,
# docs/, go.mod, tests, this script) is development material and stays out.
SHIP=(default metadata README LICENSE app.manifest static bin appserver lookups "${PLATFORM_DIRS[@]}")

# app_version prints [launcher] version from default/app.conf.
app_version() {
  awk -F= '
    /^[[:space:]]*\[/ { s = $0; gsub(/[][[:space:]]/, "", s); next }
    s == "launcher" && $1 ~ /^[[:space:]]*version[[:space:]]*$/ {
      v = $2; gsub(/^[[:space:]]+|[[:space:]]+$/, "", v); print v; exit
    }' default/app.conf
}

VERSION="$(app_version)"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "default/app.conf: [launcher] version '$VERSION' is not X.Y.Z"
PACKAGE="dist/$APP-$VERSION.tgz"

build_binaries() {
  local p goos goarch dir exe prog
  for p in "${PLATFORMS[@]}"; do
    read -r goosarch dir <<<"$p"
    goos="${goosarch%/*}" goarch="${goosarch#*/}"
    exe=""; [ "$goos" = windows ] && exe=".exe"
    mkdir -p "$dir/bin"
    for prog in "${PROGRAMS[@]}"; do
      echo "build: $dir/bin/$prog$exe"
      CGO_ENABLED=0 GOOS="$goos" GOARCH="$goarch" go build -trimpath -buildvcs=false \
        -ldflags "-s -w -buildid= -X main.version=$VERSION" \
        -o "$dir/bin/$prog$exe" "./cmd/$prog"
    done
  done
  # A fallback folder (bin/) serves hosts without a folder of their own; it
  # holds the Linux x86-64 builds, what Splunk Enterprise and Cloud run on.
  for p in "${FALLBACKS[@]}"; do
    read -r dir from <<<"$p"
    mkdir -p "$dir"
    for prog in "${PROGRAMS[@]}"; do
      cp "$from/bin/$prog" "$dir/$prog"
    done
  done
}

build_package() {
  local stage="dist/stage" epoch item
  epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
  rm -rf "$stage" && mkdir -p "$stage/$APP"
  for item in "${SHIP[@]}"; do
    [ -e "$item" ] && cp -R "$item" "$stage/$APP/"
  done
  # The package's README: the admin's text and the Binary File Declaration,
  # generated from the programs' Go build information.
  go run ./tools/pkgreadme -targets "$TARGETS" -root . -o "$stage/$APP/README.md"
  # No local settings, no hidden files (.gitignore, editor files).
  rm -rf "$stage/$APP/local" "$stage/$APP/metadata/local.meta"
  find "$stage" -name '.*' -exec rm -rf {} +
  find "$stage" -type d -exec chmod 755 {} +
  find "$stage" -type f -exec chmod 644 {} +
  find "$stage/$APP" -path '*/bin/*' -type f ! -name README -exec chmod 755 {} +
  mkdir -p dist
  tar --sort=name --format=gnu --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    -C "$stage" -cf - "$APP" | gzip -n -9 >"$PACKAGE.tmp"
  mv "$PACKAGE.tmp" "$PACKAGE"
  rm -rf "$stage"
  echo "package: $PACKAGE ($(wc -c <"$PACKAGE") bytes, sha256 $(sha256sum "$PACKAGE" | cut -d' ' -f1))"
}

staticcheck_bin() {
  if command -v staticcheck >/dev/null 2>&1; then command -v staticcheck
  elif [ -x "$HOME/go/bin/staticcheck" ]; then echo "$HOME/go/bin/staticcheck"
  fi
}

run_tests() {
  local bad sc
  echo "test: gofmt"
  bad="$(gofmt -l .)"
  [ -z "$bad" ] || die "gofmt needed on: $bad"
  echo "test: go vet"
  go vet ./...
  sc="$(staticcheck_bin)"
  if [ -n "$sc" ]; then
    echo "test: staticcheck"
    "$sc" ./...
  else
    echo "test: staticcheck not installed (go install honnef.co/go/tools/cmd/staticcheck@v0.8.2); skipped"
  fi
  echo "test: go test (the tests skipped, and why, are listed at the end)"
  go test -json ./... | go run ./tools/testsummary
  echo "test: test/k8swebhook (Kubernetes' own audit webhook client against the input binary; a separate module)"
  # Built like the e2e's Kubernetes binaries (test/e2e/build-kube.sh): the
  # ~570 Kubernetes packages it shares with them are then compiled once, not
  # twice, on a machine with an empty build cache (128 s of CPU -> 23 s).
  (cd test/k8swebhook && export CGO_ENABLED=0 && go vet -gcflags='all=-N -l' ./... &&
    go test -gcflags='all=-N -l' -json ./... | go run ../../tools/testsummary)
  build_binaries
  build_package
  echo "test: the package is reproducible (assembled twice, compared byte for byte)"
  cp "$PACKAGE" dist/first.tgz
  build_package >/dev/null
  cmp dist/first.tgz "$PACKAGE" || die "two assemblies of $PACKAGE differ"
  rm dist/first.tgz
  echo "test: package checks on $PACKAGE"
  go run ./tools/pkgcheck -targets "$TARGETS" -app app "$PACKAGE"
}

case "${1:-build}" in
  build) build_binaries; build_package ;;
  test) run_tests ;;
  conf) go run ./tools/renderconf ;;
  e2e) test/e2e/run.sh ;;
  clean)
    rm -rf dist "${PLATFORM_DIRS[@]}"
    for p in "${FALLBACKS[@]}"; do
      read -r dir _ <<<"$p"
      for prog in "${PROGRAMS[@]}"; do rm -f "$dir/$prog"; done
    done ;;
  help|-h|--help) usage ;;
  *) usage >&2; die "unknown command '$1' (use: build, test, conf, e2e, clean, help)" ;;
esac
