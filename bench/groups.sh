#!/usr/bin/env bash
# Groups sweep: peak memory against the size of the result.
#
# The detections keep one group per distinct result row, and the reduce
# phase answers with all of them in one reply chunk, so memory at the end
# of a search follows the number of groups, not the input. This feeds
# kubeprivpod N distinct privileged pod creates (a real event of
# testdata/audit.log with its name and audit ID made unique, so each one
# is its own row in both modes), once as splunkd would (the reduce
# process, 5,000-row chunks) and once to 'scan --format csv', and prints
# peak RSS (from /usr/bin/time) beside the output's size. The memory
# goal is peak RSS <= 2 x the reply's bytes + 32 MiB at any N.
#
# With MAPREDUCE=1 it measures instead the distributed search on the same
# events, the worst case for partial rows (every event its own group):
# single = the reduce process on the raw events, map = the map phase on
# them, reduce = the reduce process on the map's reply (bench/ratiotool
# reduce-input), each pinned to one core with GOMAXPROCS=1, its stdin and
# stdout pipes as splunkd gives it, CPU user+sys from /usr/bin/time,
# ROUNDS rounds; the goal is (map + reduce) / single <= 1.2. With
# OLD=binary, old and new alternate (old first in odd rounds) and every
# final reply must equal old's single-process one; CALLGRIND=1 adds the
# instructions of each run (valgrind, user space), which neighbours on a
# shared machine cannot change.
#
# Usage: bench/groups.sh [BINARY]      (default: builds ./cmd/kubeprivpod)
# Knobs: SIZES="1000 10000 30000 100000"  MODES="escu extended"  OUT=bench/out
#        MAPREDUCE=1 (SIZES default 30000, MODES default escu)  OLD=  ROUNDS=5
#        CALLGRIND=0  CPUS=0 (taskset list)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${MAPREDUCE:-0}" = 1 ]; then
  SIZES=${SIZES:-30000}
  MODES=${MODES:-escu}
fi
SIZES=${SIZES:-"1000 10000 30000 100000"}
MODES=${MODES:-"escu extended"}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "groups.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
if [ $# -ge 1 ]; then
  bin=$(realpath "$1")
else
  go build -trimpath -o "$OUT/kubeprivpod" ./cmd/kubeprivpod
  bin="$OUT/kubeprivpod"
fi
export LC_ALL=C # byte lengths in awk

# The template: the sample's kubectl-apply create of the privileged pod
# default/node-shell (found by its audit ID).
template=$(grep -m1 '"auditID":"08c27691-343e-4436-937b-8ceff4c0b0a7"' testdata/audit.log)

# events N: N copies of the template, each with its own pod name and audit ID.
events() {
  # The template goes through the environment: awk -v would unescape its \".
  T="$template" awk -v n="$1" 'BEGIN {
    for (i = 1; i <= n; i++) {
      e = ENVIRON["T"]
      gsub(/node-shell/, "node-shell-" i, e)
      sub(/08c27691-343e-4436-937b-8ceff4c0b0a7/, sprintf("08c27691-343e-4436-937b-%012d", i), e)
      print e
    }
  }'
}

# chunked ARGS: splunkd's side of a search process over the events on
# stdin: getinfo (ARGS split on spaces), then execute requests of 5,000
# rows with a _raw column.
chunked() {
  awk -v args="$1" '
    function flush(finished,   meta, k) {
      meta = "{\"action\":\"execute\",\"finished\":" (finished ? "true" : "false") "}"
      printf "chunked 1.0,%d,%d\n%s_raw\r\n", length(meta), size, meta
      for (k = 1; k <= rows; k++) printf "%s", row[k]
      size = 6; rows = 0
    }
    BEGIN {
      n = split(args, a, " "); list = ""
      for (k = 1; k <= n; k++) list = list (k > 1 ? "," : "") "\"" a[k] "\""
      gi = "{\"action\":\"getinfo\",\"preview\":false,\"searchinfo\":{\"args\":[" list "],\"raw_args\":[" list "],\"command\":\"kubeprivpod\",\"earliest_time\":\"0\",\"latest_time\":\"0\",\"maxresultrows\":50000}}"
      printf "chunked 1.0,%d,0\n%s", length(gi), gi
      size = 6 # "_raw\r\n"
    }
    {
      gsub(/"/, "\"\"")
      row[++rows] = "\"" $0 "\"\r\n"
      size += length(row[rows])
      if (rows == 5000) flush(0)
    }
    END { flush(1) }'
}

if [ "${MAPREDUCE:-0}" = 1 ]; then
  go build -trimpath -o "$OUT/ratiotool" ./bench
  ROUNDS=${ROUNDS:-5}
  CPUS=${CPUS:-0}
  pin=()
  if command -v taskset >/dev/null 2>&1; then pin=(taskset -c "$CPUS"); fi
  bins=(new)
  declare -A binpath=([new]="$bin")
  if [ -n "${OLD:-}" ]; then bins=(old new); binpath[old]=$(realpath "$OLD"); fi
  # cpu BIN IN OUT: user+sys CPU seconds of one run. Both ends are pipes,
  # as splunkd runs the command: a reply written straight into a file
  # costs the writer the file system's page allocation, which splunkd's
  # reading end does not (in the map, 40 MB of partial rows).
  cpu() {
    cat "$2" | GOMAXPROCS=1 /usr/bin/time -f "%U %S" -o "$OUT/groups.time" "${pin[@]}" "$1" | cat > "$3"
    grep -q '"finished":true' "$3" || { echo "groups.sh: $1 < $2: no final reply" >&2; exit 1; }
    awk '{printf "%.2f", $1 + $2}' "$OUT/groups.time"
  }
  # insns BIN IN OUT: instructions of one run (callgrind).
  insns() {
    # Go's preemption signals upset callgrind; GOMAXPROCS=1 keeps one thread.
    GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      "$1" < "$2" > "$3" 2> "$OUT/groups.cg"
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$OUT/groups.cg"
  }
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); binaries: ${bins[*]} (new: $bin${OLD:+, old: $OLD})"
  for mode in $MODES; do
    for n in $SIZES; do
      events "$n" > "$OUT/groups.log"
      chunked "mode=$mode" < "$OUT/groups.log" > "$OUT/groups.single"
      chunked "phase=map mode=$mode" < "$OUT/groups.log" > "$OUT/groups.map"
      chunked "mode=$mode" < /dev/null > "$OUT/groups.getinfo"
      echo
      echo "$mode, $n groups ($(awk -v b="$(stat -c %s "$OUT/groups.single")" 'BEGIN {printf "%.1f", b/1e6}') MB of input):"
      echo
      echo "| round | load | binary | single CPU s | map CPU s | reduce CPU s | map reply MB | (map + reduce) / single |"
      echo "|---|---:|---|---:|---:|---:|---:|---:|"
      for r in $(seq "$ROUNDS"); do
        order=("${bins[@]}")
        if (( r % 2 == 0 )) && [ ${#bins[@]} -eq 2 ]; then order=(new old); fi
        for b in "${order[@]}"; do
          load=$(cut -d' ' -f1 /proc/loadavg)
          s=$(cpu "${binpath[$b]}" "$OUT/groups.single" "$OUT/groups.$b.single.reply")
          m=$(cpu "${binpath[$b]}" "$OUT/groups.map" "$OUT/groups.$b.map.reply")
          "$OUT/ratiotool" reduce-input "$OUT/groups.getinfo" < "$OUT/groups.$b.map.reply" > "$OUT/groups.$b.reduce"
          d=$(cpu "${binpath[$b]}" "$OUT/groups.$b.reduce" "$OUT/groups.$b.reduce.reply")
          ref="$OUT/groups.${bins[0]}.single.reply"
          if ! cmp -s "$OUT/groups.$b.reduce.reply" "$OUT/groups.$b.single.reply" || ! cmp -s "$OUT/groups.$b.single.reply" "$ref"; then
            echo "groups.sh: $mode $n: the final replies of $b differ from ${bins[0]}'s single process" >&2
            exit 1
          fi
          awk -v r="$r" -v l="$load" -v b="$b" -v s="$s" -v m="$m" -v d="$d" -v mb="$(stat -c %s "$OUT/groups.$b.map.reply")" \
            'BEGIN {printf "| %d | %s | %s | %.2f | %.2f | %.2f | %.1f | %.3f |\n", r, l, b, s, m, d, mb/1e6, (m+d)/s}'
        done
      done
      if [ "${CALLGRIND:-0}" = 1 ]; then
        echo
        echo "| binary | single, millions of instructions | map | reduce | (map + reduce) / single |"
        echo "|---|---:|---:|---:|---:|"
        for b in "${bins[@]}"; do
          s=$(insns "${binpath[$b]}" "$OUT/groups.single" "$OUT/groups.cg.reply")
          m=$(insns "${binpath[$b]}" "$OUT/groups.map" "$OUT/groups.cg.reply")
          d=$(insns "${binpath[$b]}" "$OUT/groups.$b.reduce" "$OUT/groups.cg.reply")
          cmp -s "$OUT/groups.cg.reply" "$OUT/groups.${bins[0]}.single.reply" || { echo "groups.sh: callgrind run of $b: reply differs" >&2; exit 1; }
          awk -v b="$b" -v s="$s" -v m="$m" -v d="$d" 'BEGIN {printf "| %s | %.0f | %.0f | %.0f | %.3f |\n", b, s/1e6, m/1e6, d/1e6, (m+d)/s}'
        done
      fi
    done
  done
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -f "$OUT"/groups.*
  exit 0
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); binary: $bin"
echo
echo "| mode | groups | input MB | reply MB | search peak RSS MiB | RSS / (2 x reply + 32 MiB) | scan CSV MB | scan peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for mode in $MODES; do
  for n in $SIZES; do
    events "$n" > "$OUT/groups.log"
    chunked "mode=$mode" < "$OUT/groups.log" > "$OUT/groups.in"
    /usr/bin/time -f "%M" -o "$OUT/groups.time" "$bin" < "$OUT/groups.in" > "$OUT/groups.reply"
    grep -q '"finished":true' "$OUT/groups.reply" || { echo "groups.sh: $mode $n: no final reply" >&2; exit 1; }
    rss=$(cat "$OUT/groups.time")
    /usr/bin/time -f "%M" -o "$OUT/groups.time" "$bin" scan --mode "$mode" --format csv "$OUT/groups.log" > "$OUT/groups.csv"
    srss=$(cat "$OUT/groups.time")
    awk -v m="$mode" -v n="$n" -v in_="$(stat -c %s "$OUT/groups.in")" -v r="$(stat -c %s "$OUT/groups.reply")" \
      -v rss="$rss" -v c="$(stat -c %s "$OUT/groups.csv")" -v s="$srss" 'BEGIN {
      printf "| %s | %d | %.1f | %.1f | %.1f | %.2f | %.1f | %.1f |\n", m, n, in_/1e6, r/1e6, rss/1024, (rss*1024)/(2*r + 32*1048576), c/1e6, s/1024 }'
  done
done
rm -f "$OUT"/groups.*
