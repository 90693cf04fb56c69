#!/usr/bin/env bash
# The search command's speed as ratios measured in one run, whole process.
#
# Generates the corpus bench/whole.sh uses (testsupport/corpus: ≈2 KB events,
# ~10% pod writes, ~3% privileged) as the chunked-protocol input splunkd
# sends, and feeds it through a pipe (cat FILE |, as splunkd writes to the
# command's stdin) to, round after round:
#   sink      bench/ratiotool.go (sink): raises the pipe to 1 MiB as the
#             search command does, reads it in 1 MiB blocks and discards
#             them — the ceiling any command has on this feed;
#   escu      the default mode (reduce phase on raw events);
#   extended  mode=extended;
#   mapreduce the map phase on the events, then the reduce phase on the
#             map's partial rows (times and CPU summed);
#   xmapreduce the same with mode=extended, against extended (one process).
# With OLD_BINARY given, each round also runs that binary on the same
# cases, old and new alternating (old first on odd rounds, new first on
# even ones), so both see the same neighbours; their replies must be
# byte-identical. The consumer runs pinned to one core with GOMAXPROCS=1;
# CPU is user+sys of the command from wait4 (/usr/bin/time).
#
# Reported per round: MB/s by wall time, the ratio escu/sink (goal ≥ 0.70),
# extended CPU / escu CPU and mapreduce CPU / escu CPU; then the range of
# each over the rounds, and the fastest escu run against the fastest sink
# run (on a loaded machine the fastest runs are the least disturbed).
#
# Usage: bench/ratios.sh [OLD_BINARY]
# Knobs (environment):
#   EVENTS=150000   events (≈330 MB of protocol input)
#   ROWS=50000      events per execute chunk (splunkd's maxresultrows)
#   ROUNDS=5        rounds
#   CPUS=0          taskset CPU list for the consumer
#   NICE=           e.g. -10 (root only): run feeder and consumer at that
#                   niceness, so that on a shared machine other jobs
#                   disturb the timed pipe less
#   CASES="sink escu extended mapreduce xmapreduce"
#   OUT=bench/out   binaries, inputs, runs.txt and ratios.md
#   CALLGRIND=0     1: also count the instructions of escu, extended and
#                   xmapreduce (valgrind --tool=callgrind, user space only) on
#                   CG_EVENTS=20000 events, a measure neighbours cannot
#                   disturb
set -euo pipefail
OLD=""
if [ $# -ge 1 ]; then OLD=$(realpath "$1"); fi
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-150000}
ROWS=${ROWS:-50000}
ROUNDS=${ROUNDS:-5}
CPUS=${CPUS:-0}
CASES=${CASES:-"sink escu extended mapreduce xmapreduce"}
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "ratios.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c "$CPUS"); fi
prio=()
if [ -n "${NICE:-}" ]; then prio=(nice -n "$NICE"); fi

echo "building" >&2
go build -trimpath -o "$OUT/kubeprivpod" ./cmd/kubeprivpod
go build -trimpath -o "$OUT/gencorpus" ./tools/gencorpus
go build -trimpath -o "$OUT/ratiotool" ./bench
bins=(new)
declare -A binpath=([new]="$OUT/kubeprivpod")
if [ -n "$OLD" ]; then bins=(old new); binpath[old]=$OLD; fi

echo "generating $EVENTS events" >&2
"$OUT/gencorpus" -n "$EVENTS" -format chunked -rows "$ROWS" -args "mode=escu" > "$OUT/in-escu.chunked"
"$OUT/gencorpus" -n "$EVENTS" -format chunked -rows "$ROWS" -args "mode=extended" > "$OUT/in-extended.chunked"
"$OUT/gencorpus" -n "$EVENTS" -format chunked -rows "$ROWS" -args "phase=map mode=escu" -chunked-idx > "$OUT/in-map.chunked"
"$OUT/gencorpus" -n "$EVENTS" -format chunked -rows "$ROWS" -args "phase=map mode=extended" -chunked-idx > "$OUT/in-xmap.chunked"
"$OUT/gencorpus" -n 0 -format chunked -args "mode=escu" > "$OUT/getinfo-reduce.chunked"
"$OUT/gencorpus" -n 0 -format chunked -args "mode=extended" > "$OUT/getinfo-xreduce.chunked"
bytes=$(stat -c %s "$OUT/in-escu.chunked")

# run NAME BIN INPUT REPLY ARGS...: one timed run fed through a pipe;
# prints "wall cpu rssKiB".
run() {
  local name=$1 in=$2 reply=$3
  shift 3
  cat "$in" > /dev/null # into the page cache
  if ! "${prio[@]}" cat "$in" | GOMAXPROCS=1 "${prio[@]}" /usr/bin/time -f "%e %U %S %M" -o "$OUT/time.txt" "${pin[@]}" "$@" > "$reply" 2> "$OUT/stderr.txt"; then
    echo "ratios.sh: $name failed; see $OUT/stderr.txt" >&2
    exit 1
  fi
  if [[ $name != sink ]] && ! grep -q '"finished":true' "$reply"; then
    echo "ratios.sh: $name: no final chunk in $reply" >&2
    exit 1
  fi
  awk '{print $1, $2+$3, $4}' "$OUT/time.txt"
}

runs="$OUT/runs.txt"
: > "$runs"
for r in $(seq "$ROUNDS"); do
  order=("${bins[@]}")
  if (( r % 2 == 0 )) && [ ${#bins[@]} -eq 2 ]; then order=(new old); fi
  load=$(cut -d' ' -f1 /proc/loadavg)
  for c in $CASES; do
    if [[ $c == sink ]]; then
      read -r w u m < <(run sink "$OUT/in-escu.chunked" /dev/null "$OUT/ratiotool" sink)
      echo "$r $load sink - $w $u $m" >> "$runs"
      echo "round $r sink: ${w}s wall ${u}s cpu" >&2
      continue
    fi
    for b in "${order[@]}"; do
      bin=${binpath[$b]}
      case $c in
        escu | extended)
          read -r w u m < <(run "$c" "$OUT/in-$c.chunked" "$OUT/reply-$c-$b.chunked" "$bin") ;;
        mapreduce | xmapreduce)
          x=${c%mapreduce}
          read -r w1 u1 m1 < <(run map "$OUT/in-${x}map.chunked" "$OUT/reply-${x}map-$b.chunked" "$bin")
          "$OUT/ratiotool" reduce-input "$OUT/getinfo-${x}reduce.chunked" < "$OUT/reply-${x}map-$b.chunked" > "$OUT/in-${x}reduce-$b.chunked"
          read -r w2 u2 m2 < <(run reduce "$OUT/in-${x}reduce-$b.chunked" "$OUT/reply-$c-$b.chunked" "$bin")
          w=$(awk -v a="$w1" -v b="$w2" 'BEGIN {print a+b}')
          u=$(awk -v a="$u1" -v b="$u2" 'BEGIN {print a+b}')
          m=$(( m1 > m2 ? m1 : m2 )) ;;
        *) echo "ratios.sh: unknown case $c" >&2; exit 2 ;;
      esac
      echo "$r $load $c $b $w $u $m" >> "$runs"
      echo "round $r $c $b: ${w}s wall ${u}s cpu" >&2
    done
    if [ ${#bins[@]} -eq 2 ] && ! cmp -s "$OUT/reply-$c-old.chunked" "$OUT/reply-$c-new.chunked"; then
      echo "ratios.sh: $c: old and new replies differ ($OUT/reply-$c-old.chunked, $OUT/reply-$c-new.chunked)" >&2
      exit 1
    fi
  done
done

result="$OUT/ratios.md"
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); go: $(go version | cut -d' ' -f3)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo '-dirty')${OLD:+; old binary: $OLD}"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "method: EVENTS=$EVENTS ($((bytes / 1000000)) MB) ROWS=$ROWS ROUNDS=$ROUNDS, ${prio[*]:+${prio[*]} }cat FILE | ${prio[*]:+${prio[*]} }${pin[*]:-unpinned} GOMAXPROCS=1"
  echo
  awk -v bytes="$bytes" -v bins="${bins[*]}" '
    { key = $3 "/" $4; wall[$1, key] = $5; cpu[$1, key] = $6; rss[key] = ($7 > rss[key] ? $7 : rss[key]); load[$1] = $2; if ($1 > n) n = $1 }
    function mbs(x) { return x > 0 ? bytes / 1e6 / x : 0 }
    function upd(name, v) {
      if (!(name in lo)) { order[++nk] = name; lo[name] = v; hi[name] = v }
      if (v < lo[name]) lo[name] = v
      if (v > hi[name]) hi[name] = v
    }
    END {
      nb = split(bins, B, " ")
      printf "| round | load | sink MB/s |"
      for (i = 1; i <= nb; i++) printf " escu %s MB/s | escu/sink %s | extended/escu CPU %s | mapreduce/escu CPU %s | xmapreduce/extended CPU %s |", B[i], B[i], B[i], B[i], B[i]
      printf "\n|---|---:|---:|"
      for (i = 1; i <= nb; i++) printf "---:|---:|---:|---:|---:|"
      printf "\n"
      for (r = 1; r <= n; r++) {
        s = wall[r, "sink/-"]
        printf "| %d | %s | %.0f |", r, load[r], mbs(s)
        for (i = 1; i <= nb; i++) {
          b = B[i]; e = wall[r, "escu/" b]; ec = cpu[r, "escu/" b]
          x = (e > 0 ? s / e : 0); y = (ec > 0 ? cpu[r, "extended/" b] / ec : 0); z = (ec > 0 ? cpu[r, "mapreduce/" b] / ec : 0)
          xc = cpu[r, "extended/" b]; xz = (xc > 0 ? cpu[r, "xmapreduce/" b] / xc : 0)
          printf " %.0f | %.2f | %.2f | %.2f | %.2f |", mbs(e), x, y, z, xz
          upd("escu MB/s (wall), " b, mbs(e)); upd("escu MB/s per CPU second, " b, mbs(ec))
          upd("escu/sink (wall), " b, x); upd("extended/escu (CPU), " b, y); upd("mapreduce/escu (CPU), " b, z)
          upd("xmapreduce/extended (CPU), " b, xz)
          upd("extended MB/s (wall), " b, mbs(wall[r, "extended/" b]))
        }
        upd("sink MB/s (wall)", mbs(s))
        if (s > 0 && (bestSink == 0 || s < bestSink)) bestSink = s
        for (i = 1; i <= nb; i++) {
          e = wall[r, "escu/" B[i]]
          if (e > 0 && (!(B[i] in best) || e < best[B[i]])) best[B[i]] = e
        }
        printf "\n"
      }
      # On a shared machine every round is slowed by its neighbours; the
      # fastest run of each is the closest to what a quiet machine does.
      for (i = 1; i <= nb; i++) if (bestSink > 0 && best[B[i]] > 0)
        printf "\nfastest escu run %s / fastest sink run: %.2f (%.0f / %.0f MB/s)\n", B[i], bestSink / best[B[i]], mbs(best[B[i]]), mbs(bestSink)
      printf "\n| measure | min | max |\n|---|---:|---:|\n"
      for (k = 1; k <= nk; k++) printf "| %s | %.2f | %.2f |\n", order[k], lo[order[k]], hi[order[k]]
      printf "\npeak RSS MiB (max over rounds):"
      for (k in rss) printf " %s %.1f;", k, rss[k] / 1024
      printf "\n"
    }' "$runs"
} > "$result"

if [ "${CALLGRIND:-0}" = 1 ]; then
  command -v valgrind >/dev/null || { echo "ratios.sh: valgrind is missing" >&2; exit 1; }
  n=${CG_EVENTS:-20000}
  {
    echo
    echo "instructions (callgrind, user space), $n events:"
    echo
    echo "| case | binary | input MB | instructions | per input byte |"
    echo "|---|---|---:|---:|---:|"
  } >> "$result"
  # cg BIN IN OUT: the instructions of one run.
  cg() {
    # Go's preemption signals upset callgrind; GOMAXPROCS=1 keeps one thread.
    GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      "$1" < "$2" > "$3" 2> "$OUT/callgrind.txt"
    local ir
    ir=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' "$OUT/callgrind.txt")
    [ -n "$ir" ] || { echo "ratios.sh: callgrind failed; see $OUT/callgrind.txt" >&2; exit 1; }
    echo "$ir"
  }
  "$OUT/gencorpus" -n "$n" -format chunked -rows "$ROWS" -args "phase=map mode=extended" -chunked-idx > "$OUT/in-cg-xmap.chunked"
  for c in escu extended xmapreduce; do
    if [[ $c != xmapreduce ]]; then
      "$OUT/gencorpus" -n "$n" -format chunked -rows "$ROWS" -args "mode=$c" > "$OUT/in-cg.chunked"
      cgbytes=$(stat -c %s "$OUT/in-cg.chunked")
    else
      cgbytes=$(stat -c %s "$OUT/in-cg-xmap.chunked")
    fi
    for b in "${bins[@]}"; do
      if [[ $c == xmapreduce ]]; then
        # map, then reduce on its partial rows; summed.
        ir=$(cg "${binpath[$b]}" "$OUT/in-cg-xmap.chunked" "$OUT/cg-xmap-reply.chunked")
        "$OUT/ratiotool" reduce-input "$OUT/getinfo-xreduce.chunked" < "$OUT/cg-xmap-reply.chunked" > "$OUT/in-cg-xreduce.chunked"
        ir=$((ir + $(cg "${binpath[$b]}" "$OUT/in-cg-xreduce.chunked" /dev/null)))
      else
        ir=$(cg "${binpath[$b]}" "$OUT/in-cg.chunked" /dev/null)
      fi
      awk -v c="$c" -v b="$b" -v n="$cgbytes" -v ir="$ir" 'BEGIN { printf "| %s | %s | %.1f | %d | %.2f |\n", c, b, n / 1e6, ir, ir / n }' >> "$result"
    done
  done
  rm -f "$OUT/in-cg-xmap.chunked" "$OUT/in-cg-xreduce.chunked" "$OUT/cg-xmap-reply.chunked"
  rm -f "$OUT/in-cg.chunked"
fi
cat "$result"
