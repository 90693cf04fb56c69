#!/usr/bin/env bash
# Instructions the kube_audit_webhook input executes per event, counted by
# callgrind (user space only; the kernel's TLS socket and pipe copies are
# not in it), so the figure does not move with the machine's load.
#
# BenchmarkProcess runs the input binary under valgrind --tool=callgrind
# (GOMAXPROCS=1, asynchronous preemption off, so the runtime's spinning
# and signals stay out of the count) twice, with LO and HI batches of 400
# events over CONNS connections; the difference of the two totals divided
# by the difference in events cancels start-up, TLS handshakes and
# shutdown.
#
# Usage: bench/webhook-callgrind.sh [BINARY...]   (default: this tree's build)
# Knobs: LO=40 HI=120 CONNS=4
set -euo pipefail
cd "$(dirname "$0")/.."
LO=${LO:-40}
HI=${HI:-120}
CONNS=${CONNS:-4}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
go test -c -o "$work/kaw.test" ./cmd/kube_audit_webhook
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
  go build -o "$work/kube_audit_webhook" ./cmd/kube_audit_webhook
  bins=("$work/kube_audit_webhook")
fi
echo "# $(go version), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for bin in "${bins[@]}"; do
  bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
  declare -A total=()
  for n in "$LO" "$HI"; do
    out="$work/cg.$n"
    # Valgrind 3.19's callgrind fails an assertion when the Go runtime
    # handles SIGTERM, so the counts are dumped (callgrind_control) when
    # the benchmark sends SIGTERM, after the last batch, and the wrapper
    # exits 0 whatever the input's status. (The benchmark runs once with
    # one batch before the run with n; the second dump replaces the first.)
    cat >"$work/wrap" <<WRAP
#!/usr/bin/env bash
GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=$out "$bin" <&0 &
pid=\$!
trap 'callgrind_control -d \$pid >/dev/null 2>&1; kill -TERM \$pid' TERM
wait \$pid
wait \$pid
exit 0
WRAP
    chmod +x "$work/wrap"
    (cd cmd/kube_audit_webhook && KAW_BINARY="$work/wrap" KAW_CONNS=$CONNS "$work/kaw.test" -test.run '^$' \
      -test.bench '^BenchmarkProcess$' -test.benchtime "${n}x" >"$work/out.$n" 2>&1) || true
    [ -s "$out.1" ] || { echo "no callgrind dump for $bin:"; cat "$work/out.$n"; exit 1; }
    out="$out.1"
    total[$n]=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
  done
  awk -v lo="${total[$LO]}" -v hi="${total[$HI]}" -v n=$(( (HI - LO) * 400 )) -v b="$bin" \
    'BEGIN { printf "%s: %.0f instructions per event (%d events between %s and %s)\n", b, (hi - lo) / n, n, lo, hi }'
  unset total
done
