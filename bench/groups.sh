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
# Usage: bench/groups.sh [BINARY]      (default: builds ./cmd/kubeprivpod)
# Knobs: SIZES="1000 10000 30000 100000"  MODES="escu extended"  OUT=bench/out
set -euo pipefail
cd "$(dirname "$0")/.."
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

# chunked ARGS: splunkd's side of a reduce process over the events on
# stdin: getinfo, then execute requests of 5,000 rows with a _raw column.
chunked() {
  awk -v args="$1" '
    function flush(finished,   meta, k) {
      meta = "{\"action\":\"execute\",\"finished\":" (finished ? "true" : "false") "}"
      printf "chunked 1.0,%d,%d\n%s_raw\r\n", length(meta), size, meta
      for (k = 1; k <= rows; k++) printf "%s", row[k]
      size = 6; rows = 0
    }
    BEGIN {
      gi = "{\"action\":\"getinfo\",\"preview\":false,\"searchinfo\":{\"args\":[\"" args "\"],\"raw_args\":[\"" args "\"],\"command\":\"kubeprivpod\",\"earliest_time\":\"0\",\"latest_time\":\"0\",\"maxresultrows\":50000}}"
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
