#!/usr/bin/env bash
# Builds and checks the kubeprivpod Splunk app.
#
#   ./build.sh          build the binaries and dist/kubeprivpod-<version>.tgz
#   ./build.sh test     gofmt, go vet, staticcheck (if installed), go test,
#                       build the package, run the package checks on it
#   ./build.sh conf     re-render default/savedsearches.conf and
#                       default/macros.conf from the content YAML in app/
#   ./build.sh clean    remove build outputs
#
# The version comes from default/app.conf ([launcher] version), the one place
# it is written. Builds are static (CGO_ENABLED=0) and reproducible: -trimpath,
# no VCS stamp, and a tarball with sorted names, one mtime (SOURCE_DATE_EPOCH,
# default the last commit's time), owner 0/0 and fixed modes.
set -euo pipefail
cd "$(dirname "$0")"

APP=kubeprivpod
PROGRAMS=(kubeprivpod kube_audit_webhook)
# GOOS/GOARCH -> the platform folder splunkd looks in (commands.conf.spec).
PLATFORMS=("linux/amd64 linux_x86_64" "darwin/amd64 darwin_x86_64" "windows/amd64 windows_x86_64")
# What the package holds; everything else (cmd/, internal/, app/, docs/, go.mod,
# tests, this script) is development material and stays out.
SHIP=(default metadata README README.md LICENSE static bin appserver lookups
      linux_x86_64 darwin_x86_64 windows_x86_64)

die() { echo "build.sh: $*" >&2; exit 1; }

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
  # bin/ is the fallback for platforms without their own folder: Linux x86-64,
  # what Splunk Enterprise and Splunk Cloud run on.
  for prog in "${PROGRAMS[@]}"; do
    cp linux_x86_64/bin/"$prog" bin/"$prog"
  done
}

build_package() {
  local stage="dist/stage" epoch item
  epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
  rm -rf "$stage" && mkdir -p "$stage/$APP"
  for item in "${SHIP[@]}"; do
    [ -e "$item" ] && cp -R "$item" "$stage/$APP/"
  done
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
  echo "test: go test (all but the package checks)"
  go test $(go list ./... | grep -v '/internal/pkgcheck$')
  echo "test: test/k8swebhook (Kubernetes' own audit webhook client against the input binary; a separate module)"
  (cd test/k8swebhook && go vet ./... && go test ./...)
  build_binaries
  build_package
  echo "test: the package is reproducible (assembled twice, compared byte for byte)"
  cp "$PACKAGE" dist/first.tgz
  build_package >/dev/null
  cmp dist/first.tgz "$PACKAGE" || die "two assemblies of $PACKAGE differ"
  rm dist/first.tgz
  echo "test: package checks on $PACKAGE"
  KUBEPRIVPOD_PACKAGE="$PWD/$PACKAGE" go test -count=1 ./internal/pkgcheck/
}

case "${1:-build}" in
  build) build_binaries; build_package ;;
  test) run_tests ;;
  conf) go run ./internal/appcontent/cmd/render ;;
  e2e) test/e2e/run.sh ;;
  clean) rm -rf dist linux_x86_64 darwin_x86_64 windows_x86_64 bin/kubeprivpod bin/kube_audit_webhook ;;
  *) die "unknown command '$1' (use: build, test, conf, clean)" ;;
esac
