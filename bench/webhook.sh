#!/usr/bin/env bash
# Benchmarks of the kube_audit_webhook input.
#
# Process:   the built binary as splunkd runs it (configuration XML on
#            stdin, XML stream on a drained stdout pipe); four senders post
#            batches of 400 ~2 KB events over mutual TLS keep-alive
#            connections from the benchmark process. Reports events/s, the
#            99th percentile batch latency (request sent to 200 read), the
#            input process's CPU time per event and its peak RSS, and the
#            benchmark process's own CPU time per event (senders + drain),
#            which comes out of the same cores.
# EndToEnd:  the same path in one process (Server + Stream into a pipe).
# Micro:     Batch.Parse, dedupe, XML stream writing (escaped and plain
#            batches), Split.
#
# Usage: bench/webhook.sh            (from anywhere in the repository)
# Knobs (environment):
#   BATCHES=1000   batches per benchmark run (400 events each)
#   RUNS=3         runs of each benchmark (-count)
# On a shared machine wall-clock figures vary with the load; the input's
# CPU time per event (input-cpu-ns/event) is the steadier measure.
set -euo pipefail
cd "$(dirname "$0")/.."

BATCHES=${BATCHES:-1000}
RUNS=${RUNS:-3}

echo "# $(go version), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run '^$' -bench 'Process|EndToEnd' -benchtime "${BATCHES}x" -count "$RUNS" ./cmd/kube_audit_webhook
go test -run '^$' -bench . -benchtime 500x -count "$RUNS" ./internal/webhook ./internal/modinput ./internal/eventlist
