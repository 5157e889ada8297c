#!/usr/bin/env bash
# Configures (Release by default) and builds everything into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SUMI_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-Release}"
fi
cmake --build "$BUILD_DIR" "$@"
