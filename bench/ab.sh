#!/usr/bin/env bash
# Before/after comparison of two kubeprivpod binaries in one run.
#
# Runs binary A and binary B alternately (A B A B ...) on the same inputs,
# so both see the same neighbours on a shared machine, and reports per
# case the median CPU seconds (user+sys, from /usr/bin/time) of each, the
# ratio B/A, and the peak RSS of each. It also checks that both write the
# same bytes: a change meant to be invisible must be.
#
# Usage: bench/ab.sh OLD_BINARY NEW_BINARY
#   e.g. git stash; go build -o /tmp/old ./cmd/kubeprivpod; git stash pop
#        go build -o /tmp/new ./cmd/kubeprivpod; bench/ab.sh /tmp/old /tmp/new
# Knobs (environment):
#   EVENTS=60000   events per input (≈130 MB of protocol input)
#   ROWS=5000      events per execute chunk
#   RUNS=5         rounds; each round runs A then B (B then A on even rounds)
#   CASES="escu extended escu-map extended-map scan-escu scan-extended"
#   OUT=bench/out
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
A=$(realpath "$1")
B=$(realpath "$2")
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-60000}
ROWS=${ROWS:-5000}
RUNS=${RUNS:-5}
CASES=${CASES:-"escu extended escu-map extended-map scan-escu scan-extended"}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "ab.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

go build -trimpath -o "$OUT/gencorpus" ./tools/gencorpus
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); EVENTS=$EVENTS ROWS=$ROWS RUNS=$RUNS GOMAXPROCS=1"
echo
echo "| case | A cpu s (median) | B cpu s (median) | B/A | A peak RSS MiB | B peak RSS MiB | same output |"
echo "|---|---:|---:|---:|---:|---:|---|"
for c in $CASES; do
  cmd=()
  case $c in
    escu)          args="mode=escu";               idx=() ;;
    extended)      args="mode=extended";           idx=() ;;
    escu-map)      args="phase=map mode=escu";      idx=(-chunked-idx) ;;
    extended-map)  args="phase=map mode=extended";  idx=(-chunked-idx) ;;
    scan-escu)     cmd=(scan --mode escu --format csv -) ;;
    scan-extended) cmd=(scan --mode extended --format csv -) ;;
    *) echo "ab.sh: unknown case $c" >&2; exit 2 ;;
  esac
  in="$OUT/ab-$c.in"
  if [ ${#cmd[@]} -gt 0 ]; then
    "$OUT/gencorpus" -n "$EVENTS" > "$in"
  else
    "$OUT/gencorpus" -n "$EVENTS" -format chunked -rows "$ROWS" -args "$args" "${idx[@]}" > "$in"
  fi
  : > "$OUT/ab-A.txt"
  : > "$OUT/ab-B.txt"
  for r in $(seq "$RUNS"); do
    order="A B"
    [ $((r % 2)) -eq 0 ] && order="B A"
    for w in $order; do
      bin=$A
      [ "$w" = B ] && bin=$B
      GOMAXPROCS=1 /usr/bin/time -f "%U %S %M" -o "$OUT/ab-time.txt" "$bin" "${cmd[@]}" < "$in" > "$OUT/ab-$w.out" 2> /dev/null || true
      awk '{print $1+$2, $3}' "$OUT/ab-time.txt" >> "$OUT/ab-$w.txt"
    done
  done
  same=yes
  cmp -s "$OUT/ab-A.out" "$OUT/ab-B.out" || same=NO
  a=$(cut -d' ' -f1 "$OUT/ab-A.txt" | median)
  b=$(cut -d' ' -f1 "$OUT/ab-B.txt" | median)
  ra=$(cut -d' ' -f2 "$OUT/ab-A.txt" | sort -n | tail -1)
  rb=$(cut -d' ' -f2 "$OUT/ab-B.txt" | sort -n | tail -1)
  awk -v c="$c" -v a="$a" -v b="$b" -v ra="$ra" -v rb="$rb" -v s="$same" \
    'BEGIN { printf "| %s | %.2f | %.2f | %.3f | %.1f | %.1f | %s |\n", c, a, b, b/a, ra/1024, rb/1024, s }'
  rm -f "$in" "$OUT/ab-A.out" "$OUT/ab-B.out"
done
