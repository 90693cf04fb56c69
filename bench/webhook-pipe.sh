#!/usr/bin/env bash
# What the capacity of the stdout pipe buys the webhook input.
#
# The input acknowledges a batch once its XML is in the stdout pipe, and
# writes it in modinput.ChunkBytes (256 KiB) pieces. This script builds the
# input once with the capacity it ships with (stdoutPipeBytes, 1 MiB) and
# once asking for PIPE bytes instead (go build -overlay of
# cmd/kube_audit_webhook/pipe.go; a comparison build, never shipped), and
# alternates them in bench/webhook.sh ("old" = PIPE, "new" = as shipped).
# The benchmark's drain, in another process on the same cores, plays
# splunkd reading the pipe.
#
# Usage: bench/webhook-pipe.sh   (knobs as bench/webhook.sh: CONNS, RUNS,
#        BATCHES; PIPE=262144 by default, the capacity shipped before)
set -euo pipefail
cd "$(dirname "$0")/.."
PIPE=${PIPE:-262144}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
src="$PWD/cmd/kube_audit_webhook/pipe.go"
sed "s|^const stdoutPipeBytes = .*|const stdoutPipeBytes = $PIPE // comparison build|" "$src" > "$tmp/pipe.go"
if cmp -s "$src" "$tmp/pipe.go"; then
  echo "$src has no 'const stdoutPipeBytes = ' line to change; this script needs updating" >&2
  exit 1
fi
printf '{"Replace":{"%s":"%s"}}\n' "$src" "$tmp/pipe.go" > "$tmp/overlay.json"
go build -overlay "$tmp/overlay.json" -o "$tmp/kaw-pipe$PIPE" ./cmd/kube_audit_webhook
echo "# old = a stdout pipe of $PIPE bytes (comparison build), new = as shipped"
CONNS=${CONNS:-"16 4 1"} bench/webhook.sh "$tmp/kaw-pipe$PIPE"
