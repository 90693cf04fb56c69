#!/usr/bin/env bash
# Every speed and memory goal of the search command and the webhook input,
# measured in one run, one after the other on the same machine, then one
# table: each goal's figure, its bound, and whether it was met (exit 1 when
# one was not). BENCHMARKS.md ("Where it stands") is such a table.
#
#   bench/ratios.sh     the default mode against the pipe ceiling (a sink
#                       reading the same feed), extended against default,
#                       map + reduce against one process: CPU per round and
#                       instructions (callgrind)
#   bench/groups.sh     peak RSS against the reply, 1,000-100,000 groups,
#                       the search command and scan
#   bench/groups.sh MAPREDUCE=1   map + reduce with one group per event
#   bench/webhook.sh    the webhook input at 16 connections
#
# Takes 8-17 minutes on 2 cores, as fast as the machine is; needs valgrind
# and /usr/bin/time.
# Usage: bench/goals.sh
# Knobs: OUT=bench/out/goals (every output stays there), EVENTS=600000,
#        ROUNDS=9 (ratios.sh), MR_ROUNDS=9 (rounds of 0.3-0.6 s each, so more
#        of them), WEBHOOK_RUNS=5
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out/goals}
mkdir -p "$OUT"
go build -o "$OUT/ratiotool" ./bench
echo "# $(go version), $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '-dirty'), $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
# The machine's speed now and at the end (ratiotool spin: a fixed loop,
# median of five, in ms): on a shared VM it moves by 2x between minutes,
# and the CPU figures with it, while instruction counts do not.
echo "# fixed loop at the start: $("$OUT/ratiotool" spin) ms"
step() { echo "# $1 ($(date -u +%H:%M:%S))" >&2; }
step "bench/ratios.sh"
EVENTS=${EVENTS:-600000} ROUNDS=${ROUNDS:-9} CALLGRIND=1 OUT="$OUT/ratios" bench/ratios.sh > "$OUT/ratios.txt" 2> "$OUT/ratios.log"
step "bench/groups.sh"
OUT="$OUT/groups" bench/groups.sh > "$OUT/groups.txt"
step "MAPREDUCE=1 bench/groups.sh"
MAPREDUCE=1 ROUNDS=${MR_ROUNDS:-9} CALLGRIND=1 OUT="$OUT/mr" bench/groups.sh > "$OUT/mr.txt"
step "bench/webhook.sh"
CONNS=16 RUNS=${WEBHOOK_RUNS:-5} MICRO=0 bench/webhook.sh > "$OUT/webhook.txt"
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg); fixed loop at the end: $("$OUT/ratiotool" spin) ms; outputs in $OUT"
"$OUT/ratiotool" goals "$OUT"
