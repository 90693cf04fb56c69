#!/usr/bin/env bash
# Builds the kube_audit_webhook input with one source file changed by a sed
# expression (go build -overlay; the tree is not touched): the comparison
# builds of bench/webhook-pipe.sh and bench/webhook-sysmon.sh, never shipped.
#
# Usage: bench/overlay-build.sh FILE SED_EXPRESSION OUTPUT
#   FILE is an absolute path (a file of this tree or of GOROOT). Fails when
#   the expression changes nothing: FILE has moved on and the calling
#   script needs updating.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$1 expr=$2 out=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
changed="$tmp/$(basename "$src")"
sed "$expr" "$src" > "$changed"
if cmp -s "$src" "$changed"; then
  echo "$src: '$expr' changes nothing; the script that asked for this build needs updating" >&2
  exit 1
fi
printf '{"Replace":{"%s":"%s"}}\n' "$src" "$changed" > "$tmp/overlay.json"
go build -overlay "$tmp/overlay.json" -o "$out" ./cmd/kube_audit_webhook
