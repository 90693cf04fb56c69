#!/usr/bin/env bash
# What the Go runtime's sysmon thread costs the webhook input.
#
# sysmon, the runtime's monitor thread, sleeps 20 µs between checks
# whenever the program has just become busy: each time every P (GOMAXPROCS
# of them) went idle, the next system call wakes it and it starts over at
# 20 µs, doubling only after 50 quiet checks (runtime/proc.go, sysmon).
# The input goes idle between bodies many times a second, so sysmon wakes
# thousands of times a second; in a virtual machine each wake-up is a
# costly timer and context switch. This script measures that share: it
# builds the input once as shipped and once with a copy of the runtime
# whose sysmon starts at 2 ms instead of 20 µs (bench/overlay-build.sh; a
# diagnostic build, never shipped), and alternates them in
# bench/webhook.sh ("old" = the 2 ms build, "new" = as shipped).
#
# Usage: bench/webhook-sysmon.sh   (knobs as bench/webhook.sh: CONNS, RUNS, BATCHES)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench/overlay-build.sh "$(go env GOROOT)/src/runtime/proc.go" \
  's|delay = 20$|delay = 2000 // diagnostic build: sysmon starts at 2 ms|' "$tmp/kaw-sysmon2ms"
echo "# old = sysmon from 2 ms (diagnostic build), new = as shipped"
CONNS=${CONNS:-16} bench/webhook.sh "$tmp/kaw-sysmon2ms"
