#!/usr/bin/env bash
# What the capacity of the stdout pipe buys the webhook input.
#
# The input acknowledges a batch once its XML is in the stdout pipe, and
# writes it in modinput.ChunkBytes (256 KiB) pieces. This script builds the
# input once with the capacity it ships with (stdoutPipeBytes, 1 MiB) and
# once asking for PIPE bytes instead (bench/overlay-build.sh of
# cmd/kube_audit_webhook/pipe.go; a comparison build, never shipped), and
# alternates them in bench/webhook.sh ("old" = PIPE, "new" = as shipped).
# The benchmark's reader, a process of its own on the same cores, plays
# splunkd reading the pipe.
#
# Usage: bench/webhook-pipe.sh   (knobs as bench/webhook.sh: CONNS, RUNS,
#        BATCHES; PIPE=262144 by default, the capacity shipped before)
set -euo pipefail
cd "$(dirname "$0")/.."
PIPE=${PIPE:-262144}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench/overlay-build.sh "$PWD/cmd/kube_audit_webhook/pipe.go" \
  "s|^const stdoutPipeBytes = .*|const stdoutPipeBytes = $PIPE // comparison build|" "$tmp/kaw-pipe$PIPE"
echo "# old = a stdout pipe of $PIPE bytes (comparison build), new = as shipped"
CONNS=${CONNS:-"16 4 1"} bench/webhook.sh "$tmp/kaw-pipe$PIPE"
