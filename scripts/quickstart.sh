#!/usr/bin/env bash
# The main job: installs what is missing, builds, and turns the example
# drawing into a picture with the default graph.
set -euo pipefail
cd "$(dirname "$0")/.."
DEFAULT_GRAPH=graphs/deepfacedrawing.sumi.json  # strokes -> parts -> manifold projection -> generator -> portrait
EXAMPLE=examples/cartoon_face.strokes.json
OUT=${1:-out}

scripts/setup.sh
scripts/build.sh --target sumi
build/cli/sumi run "$DEFAULT_GRAPH" --in draw="$EXAMPLE" --out "$OUT"
echo "Done: the pictures above are in $(cd "$OUT" && pwd)/"
