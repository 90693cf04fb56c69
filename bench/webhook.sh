#!/usr/bin/env bash
# Benchmarks of the kube_audit_webhook input.
#
# Process:   the built binary as splunkd runs it (configuration XML on
#            stdin, XML stream on a stdout pipe that a reader process of
#            its own reads, as splunkd does); four senders post batches of
#            400 ~2 KB events over mutual TLS keep-alive connections from
#            the benchmark process. Reports events/s, the median and 99th
#            percentile batch latency (request sent to 200 read), the
#            input process's CPU time per event and its peak RSS, and the
#            senders' and the reader's CPU time per event, which come out
#            of the same cores.
# EndToEnd:  the same path in one process (Server + Stream into a pipe).
# Micro:     Batch.Parse, dedupe, XML stream writing (escaped and plain
#            batches), Split.
#
# Usage: bench/webhook.sh              (from anywhere in the repository)
#            Process at each connection count, RUNS rounds, then the mean
#            of each and whether the goal at 16 connections held
#            (>= 300,000 events/s, p99 <= 50 ms); then EndToEnd and the
#            micro benchmarks.
#        bench/webhook.sh OLD_BINARY   before/after in one run: Process
#            alternates between OLD_BINARY (e.g. built from main into /tmp:
#            git worktree add /tmp/main main && go build -o /tmp/kaw-old
#            ./cmd/kube_audit_webhook there) and this tree, RUNS rounds,
#            then prints the mean of each and the ratio new/old.
# Knobs (environment):
#   BATCHES=1000   batches per benchmark run (400 events each)
#   RUNS=3         rounds of Process at each count (and -count of the rest)
#   CONNS="1 4 16" the sender counts to measure, each its own keep-alive
#                  connection; with OLD_BINARY rounds alternate old and new
#                  at each count
#   MICRO=0        skip EndToEnd and the micro benchmarks
#   KAW_CLIENT=nethttp  senders through net/http's client instead of the
#                  benchmark's own raw HTTP/1.1 senders (which cost the
#                  shared cores less; both send the same bytes)
#   KAW_READER=goroutine  read the input's stdout in a goroutine of the
#                  benchmark process instead of a reader process (as the
#                  benchmark did before 2026-12-07)
# Instructions per event, which the load does not move:
#   bench/webhook-callgrind.sh [OLD_BINARY NEW_BINARY]
# On a shared machine wall-clock figures vary with the load; the input's
# CPU time per event (input-cpu-ns/event) and the events it handles per
# CPU-second (events/input-cpu-s) are the steadier measures. Each round
# also reports how fast the machine copied memory just before it
# (copy-GB/s): a virtual machine whose memory is shared with busy
# neighbours copies slower, and the input, which moves every body through
# memory several times, handles fewer events/s; rounds with a low figure
# were not taken on a quiet machine. input-vcsw/batch counts the input's
# voluntary context switches: waits on a full stdout pipe and the Go
# runtime's monitor thread.
# What the stdout pipe's capacity buys: bench/webhook-pipe.sh
# The Go runtime's own share at 16 connections: bench/webhook-sysmon.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BATCHES=${BATCHES:-1000}
RUNS=${RUNS:-3}

echo "# $(go version), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
builds=(new)
if [ $# -ge 1 ]; then
  old="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
  builds=(old new)
fi
tb=$(mktemp -d)/kaw.test
go test -c -o "$tb" ./cmd/kube_audit_webhook
for c in ${CONNS:-1 4 16}; do
  for r in $(seq "$RUNS"); do
    for which in "${builds[@]}"; do
      if [ "$which" = old ]; then export KAW_BINARY="$old"; else unset KAW_BINARY; fi
      (cd cmd/kube_audit_webhook && KAW_CONNS=$c "$tb" -test.run '^$' -test.bench '^BenchmarkProcess$' -test.benchtime "${BATCHES}x") |
        grep '^BenchmarkProcess' | sed "s/^/$which conns=$c round $r: /"
    done
  done
done | awk '
  { print; fflush(); w = $1 " " $2; for (i = 1; i < NF; i++) { if ($(i+1) == "events/s") { ev[w] += $i; if (!(w in lo) || $i < lo[w]) lo[w] = $i; if ($i > hi[w]) hi[w] = $i }
      if ($(i+1) == "input-cpu-ns/event") cpu[w] += $i; if ($(i+1) == "input-maxrss-MiB") rss[w] += $i
      if ($(i+1) == "events/input-cpu-s") epc[w] += $i; if ($(i+1) == "sender-cpu-ns/event") snd[w] += $i; if ($(i+1) == "reader-cpu-ns/event") rdr[w] += $i
      if ($(i+1) == "p50-ms") p50[w] += $i; if ($(i+1) == "copy-GB/s") gbs[w] += $i; if ($(i+1) == "input-vcsw/batch") vcs[w] += $i
      if ($(i+1) == "p99-ms") { p99[w] += $i; if ($i > p99hi[w]) p99hi[w] = $i; if (!(w in p99lo) || $i < p99lo[w]) p99lo[w] = $i } }; n[w]++; c[$2] = 1 }
  END { for (w in n) printf "%s: mean %.0f events/s (%.0f-%.0f), p50 mean %.1f ms, p99 mean %.1f ms (%.1f-%.1f), %.0f input-cpu-ns/event, %.0f events/input-cpu-s, %.0f sender-cpu-ns/event, %.0f reader-cpu-ns/event, %.1f MiB peak RSS, %.1f voluntary context switches per batch, machine copying %.1f GB/s (%d rounds)\n", w, ev[w]/n[w], lo[w], hi[w], p50[w]/n[w], p99[w]/n[w], p99lo[w], p99hi[w], cpu[w]/n[w], epc[w]/n[w], snd[w]/n[w], rdr[w]/n[w], rss[w]/n[w], vcs[w]/n[w], gbs[w]/n[w], n[w]
        for (k in c) { o = "old " k; m = "new " k; if (n[o] && n[m]) printf "new/old at %s: events/s %.3f, input CPU per event %.3f\n", k, (ev[m]/n[m])/(ev[o]/n[o]), (cpu[m]/n[m])/(cpu[o]/n[o]) }
        g = "new conns=16"; if (n[g]) printf "goal at 16 connections (>= 300,000 events/s and p99 <= 50 ms, means of %d rounds of this tree): %s\n", n[g], (ev[g]/n[g] >= 300000 && p99[g]/n[g] <= 50) ? "met" : "NOT met" }'
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$(dirname "$tb")"
[ "${#builds[@]}" -eq 1 ] && [ "${MICRO:-1}" != 0 ] || exit 0
go test -run '^$' -bench 'EndToEnd' -benchtime "${BATCHES}x" -count "$RUNS" ./cmd/kube_audit_webhook
go test -run '^$' -bench . -benchtime 500x -count "$RUNS" ./internal/webhook ./internal/modinput ./internal/eventlist
