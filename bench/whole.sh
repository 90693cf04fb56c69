#!/usr/bin/env bash
# Whole-process benchmark of the kubeprivpod search command.
#
# Builds the binary, generates a corpus of synthetic audit events
# (testsupport/corpus: ≈2 KB events, ~10% pod writes, ~3% privileged) as the
# chunked-protocol input splunkd would send, and times the binary on it
# for the default mode (escu), mode=extended and the map phase of each.
# Reports throughput in MB/s of protocol input and peak RSS from
# /usr/bin/time -v, median of several runs. MB/s is given both by wall
# time and by CPU time (user+sys): on a shared machine the second is the
# steadier measure of what one core does.
#
# Usage: bench/whole.sh            (from anywhere in the repository)
# Knobs (environment):
#   EVENTS=150000   events in the corpus (≈330 MB of protocol input)
#   ROWS=50000      events per execute chunk (splunkd's maxresultrows default)
#   RUNS=5          timed runs per case; the median is reported
#   CPUS=0          CPU list for taskset; the process runs on one core
#                   with GOMAXPROCS=1, as the goal is stated per core
#   CASES="escu extended escu-map extended-map scan-escu scan-extended"
#                   (scan-* time 'kubeprivpod scan' on the same events as
#                   JSON lines; their MB/s is of that log)
#   OUT=bench/out   where the binaries, inputs and results go
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-150000}
ROWS=${ROWS:-50000}
RUNS=${RUNS:-5}
CPUS=${CPUS:-0}
CASES=${CASES:-"escu extended escu-map extended-map scan-escu scan-extended"}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"

if [ ! -x /usr/bin/time ]; then
  echo "whole.sh: /usr/bin/time is missing (apt-get install time)" >&2
  exit 1
fi
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c "$CPUS"); fi

echo "building" >&2
go build -trimpath -o "$OUT/kubeprivpod" ./cmd/kubeprivpod
go build -trimpath -o "$OUT/gencorpus" ./tools/gencorpus

# median of the numbers on stdin
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

result="$OUT/whole.md"
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
  echo "go: $(go version | cut -d' ' -f3-)   commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '-dirty')"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "method: EVENTS=$EVENTS ROWS=$ROWS RUNS=$RUNS, ${pin[*]:-no pinning} GOMAXPROCS=1, input from a file on stdin, output to /dev/null"
  echo
  echo "| case | args | input MB | events | median wall s | MB/s (wall) | events/s (wall) | median user+sys s | MB/s per CPU second | peak RSS MiB (max of runs) |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} > "$result"

for c in $CASES; do
  case $c in
    escu)          args="mode=escu";              idx=() ;;
    extended)      args="mode=extended";          idx=() ;;
    escu-map)      args="phase=map mode=escu";     idx=(-chunked-idx) ;;
    extended-map)  args="phase=map mode=extended"; idx=(-chunked-idx) ;;
    scan-escu)     args="scan --mode escu --format csv" ;;
    scan-extended) args="scan --mode extended --format csv" ;;
    *) echo "whole.sh: unknown case $c" >&2; exit 2 ;;
  esac
  in="$OUT/input.chunked"
  cmd=("$OUT/kubeprivpod")
  echo "$c: generating $EVENTS events ($args)" >&2
  if [[ $c == scan-* ]]; then
    in="$OUT/audit.log"
    [ -s "$in" ] || "$OUT/gencorpus" -n "$EVENTS" > "$in"
    read -r -a cmd <<< "$OUT/kubeprivpod $args -"
  else
    "$OUT/gencorpus" -n "$EVENTS" -format chunked -rows "$ROWS" -args "$args" "${idx[@]}" > "$in"
  fi
  bytes=$(stat -c %s "$in")
  cat "$in" > /dev/null # into the page cache, so the runs measure the command

  : > "$OUT/runs.txt"
  for r in $(seq "$RUNS"); do
    # The command must exit 0 (it exits 1 after reporting an error to
    # splunkd) and a search command's reply must include the final chunk.
    if ! GOMAXPROCS=1 /usr/bin/time -v -o "$OUT/time.txt" "${pin[@]}" "${cmd[@]}" < "$in" > "$OUT/reply.chunked" 2> "$OUT/stderr.txt" ||
      { [[ $c != scan-* ]] && ! grep -q '"finished":true' "$OUT/reply.chunked"; }; then
      echo "whole.sh: $c: the command did not finish cleanly; see $OUT/reply.chunked and $OUT/stderr.txt" >&2
      exit 1
    fi
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$OUT/time.txt")
    cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$OUT/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time.txt")
    echo "$wall $cpu $rss" >> "$OUT/runs.txt"
    echo "$c run $r: ${wall}s wall, ${cpu}s cpu, $((rss / 1024)) MiB" >&2
  done
  wall=$(cut -d' ' -f1 "$OUT/runs.txt" | median)
  cpu=$(cut -d' ' -f2 "$OUT/runs.txt" | median)
  rss=$(cut -d' ' -f3 "$OUT/runs.txt" | sort -n | tail -1)
  awk -v c="$c" -v a="$args" -v b="$bytes" -v n="$EVENTS" -v w="$wall" -v u="$cpu" -v r="$rss" 'BEGIN {
    printf "| %s | `%s` | %.0f | %d | %.2f | %.0f | %.0f | %.2f | %.0f | %.1f |\n", c, a, b/1e6, n, w, b/1e6/w, n/w, u, b/1e6/u, r/1024 }' >> "$result"
  [[ $c == scan-* ]] || rm -f "$in"
done
rm -f "$OUT/audit.log"
cat "$result"
