#!/usr/bin/env bash
# Portraits per second over copies of the example drawings through
# deepfacedrawing: a shell loop of `sumi run` against `sumi batch --jobs 1`
# and `--jobs 2`, whole processes timed (start-up and model loading included).
# Every drawing is distinct (no cache hits between them). Runs are
# interleaved; prints the median and every run.
#   bench/batch_throughput.sh [COPIES=8] [REPS=3] [LOOP_ITEMS=6]
set -euo pipefail
cd "$(dirname "$0")/.."
SUMI=${SUMI:-build/cli/sumi}
GRAPH=${GRAPH:-graphs/deepfacedrawing.sumi.json}  # GRAPH=... to time another graph
copies=${1:-8} reps=${2:-3} loop_items=${3:-6}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/in"
# Copy i of each drawing is moved by (i, i/2) canvas px, so that every drawing
# is distinct: identical copies would be cache hits inside one batch.
/usr/bin/python3 - "$copies" "$tmp/in" examples/*.strokes.json <<'PY'
import json, pathlib, sys
copies, out = int(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in map(pathlib.Path, sys.argv[3:]):
    doc = json.loads(f.read_text())
    for i in range(1, copies + 1):
        for s in doc["strokes"]:
            s["points"] = [[p[0] + 1, p[1] + 0.5] + p[2:] for p in s["points"]]
        (out / f"{f.name[:-len('.strokes.json')]}_{i}.strokes.json").write_text(json.dumps(doc))
PY
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
