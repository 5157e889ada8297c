#!/usr/bin/env bash
# Portraits per second over copies of the example drawings through
# deepfacedrawing: a shell loop of `sumi run` against `sumi batch --jobs 1`
# and `--jobs 2`, whole processes timed (start-up and model loading included).
# Runs are interleaved; prints the median and every run.
#   bench/batch_throughput.sh [COPIES=8] [REPS=3] [LOOP_ITEMS=6]
set -euo pipefail
cd "$(dirname "$0")/.."
SUMI=${SUMI:-build/cli/sumi}
GRAPH=graphs/deepfacedrawing.sumi.json
copies=${1:-8} reps=${2:-3} loop_items=${3:-6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in"
for i in $(seq "$copies"); do
  for f in examples/*.strokes.json; do cp "$f" "$tmp/in/$(basename "$f" .strokes.json)_$i.strokes.json"; done
done
n=$(ls "$tmp/in" | wc -l)
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$(now)" 'BEGIN { printf "%.3f", n / (b - a) }'; }
declare -A runs
for r in $(seq "$reps"); do
  t0=$(now)
  for f in $(ls "$tmp"/in/* | head -n "$loop_items"); do "$SUMI" run $GRAPH --in draw="$f" --out "$tmp/loop" >/dev/null; done
  runs[loop]+="$(rate "$loop_items" "$t0") "
  for j in 1 2; do
    rm -rf "$tmp/out"
    t0=$(now)
    "$SUMI" batch $GRAPH --in draw="$tmp/in" --out "$tmp/out" --jobs $j >/dev/null 2>&1
    runs[jobs$j]+="$(rate "$n" "$t0") "
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
echo "$n drawings for batch, $loop_items for the loop, $reps runs; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for k in loop jobs1 jobs2; do printf '%-6s %6.2f portraits/s   (runs: %s)\n' "$k" "$(echo "${runs[$k]}" | median)" "${runs[$k]}"; done
