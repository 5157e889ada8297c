#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, -fsanitize=fuzzer,address,undefined,
# into build-fuzz/) and runs one of them for SECONDS.
#
#   scripts/fuzz.sh graph 600        # targets: graph strokes npy manifest server
#   scripts/fuzz.sh npy 60 -jobs=2   # more arguments go to libFuzzer
#
# The working corpus (build-fuzz/corpus/TARGET) starts from the seeds in the
# repository (graphs, examples, manifests, fuzz/corpus/TARGET) and keeps what the
# fuzzer adds between runs. Crashes land in build-fuzz/crashes/TARGET/ (rerun one
# with build-fuzz/fuzz_TARGET FILE); the log in build-fuzz/logs/TARGET.log.
# A sumi::Error is the expected answer to bad input: only crashes, sanitizer
# reports, leaks, timeouts and other exceptions are findings.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${1:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer args]}
SECONDS_TO_RUN=${2:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer args]}
shift 2
BUILD_DIR=${SUMI_FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${SUMI_JOBS:-$(nproc)}

case "$TARGET" in
  graph | strokes | npy | manifest | server) ;;
  *) echo "fuzz: unknown target '$TARGET' (graph strokes npy manifest server)" >&2; exit 2 ;;
esac
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/setup.sh installs clang)" >&2; exit 1; }

cmake -S fuzz -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target "fuzz_$TARGET"

corpus=$BUILD_DIR/corpus/$TARGET
mkdir -p "$corpus" "$BUILD_DIR/crashes/$TARGET" "$BUILD_DIR/logs"
seed() { for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"; done; return 0; }
case "$TARGET" in
  graph) seed graphs/*.sumi.json ;;
  strokes) seed examples/*.strokes.json models/data/fixture/*.strokes.json ;;
  npy) seed models/parts/bank_face_ids.npy ;;
  manifest) seed models/*/manifest.json ;;
  server) ;;
esac
[ -d "fuzz/corpus/$TARGET" ] && seed fuzz/corpus/"$TARGET"/*
dict=(-dict=fuzz/json.dict)
[ "$TARGET" = npy ] && dict=(-dict=fuzz/npy.dict)

# Findings abort at once, with a stack; leaks are findings too (no LibTorch here).
# The loaders read files: keep the scratch files in memory when we can.
[ -z "${TMPDIR:-}" ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
log=$BUILD_DIR/logs/$TARGET.log
echo "fuzz: $TARGET for $SECONDS_TO_RUN s (corpus $corpus: $(ls "$corpus" | wc -l) files), log $log"
status=0
"$BUILD_DIR/fuzz_$TARGET" "$corpus" "${dict[@]}" -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 \
  -timeout=10 -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$BUILD_DIR/crashes/$TARGET/" "$@" >"$log" 2>&1 || status=$?
grep -E "^#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|stat::peak_rss_mb|FUZZ FINDING|ERROR: |SUMMARY|Test unit written" "$log" || true
echo "fuzz: $TARGET exit $status ($(ls "$corpus" | wc -l) corpus files, crashes in $BUILD_DIR/crashes/$TARGET/)"
exit $status
