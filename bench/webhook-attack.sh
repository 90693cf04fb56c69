#!/usr/bin/env bash
# Attacks on the built kube_audit_webhook, bounded in
# time (5 phases of ATTACK_SECONDS plus ~2 s each): a healthy API server
# (a 400-event batch every 250 ms, a new connection each) from 127.0.0.2
# while other loopback addresses flood idle connections, TLS handshakes,
# unauthenticated requests with 60 KB control-character paths, and stalled
# authenticated uploads. Prints the healthy client's p50/p99/max batch
# latency and the bytes the input logged per phase; fails when p99 > 1 s.
# The load program is TestAttackLoad in cmd/kube_audit_webhook/attack_test.go.
#
# Usage: bench/webhook-attack.sh [OLD_BINARY]
#   OLD_BINARY     also run the same phases against another build first
#                  (e.g. built from main into /tmp), for a before/after table
# Knobs (environment):
#   ATTACK_SECONDS=6   seconds of healthy traffic measured per phase
#   ATTACK_NOFILE=4096 file descriptor limit of the input (ulimit -n)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "# $(go version), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ $# -ge 1 ]; then
  echo "## before: $1"
  KAW_BINARY="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" WEBHOOK_ATTACK=1 \
    go test -run '^TestAttackLoad$' -count=1 -v ./cmd/kube_audit_webhook | grep -v '^=== RUN\|^--- \|^PASS\|^ok' || true
  echo "## after: this tree"
fi
WEBHOOK_ATTACK=1 go test -run '^TestAttackLoad$' -count=1 -v ./cmd/kube_audit_webhook | grep -v '^=== RUN\|^PASS'
