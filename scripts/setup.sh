#!/usr/bin/env bash
# Installs every Debian package Sumi needs that is missing. Idempotent: does
# nothing when all are present, and runs `apt-get update` only when a missing
# package cannot be found in the current package lists.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-pthread libhnswlib-dev
  libtbb-dev libboost-graph-dev libopencv-dev libeigen3-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libxxhash-dev libssl-dev
  libpng-dev libjpeg-dev  # nodes/common: PNG and JPEG coded directly (messages captured, sizes checked from headers)
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-numpy python3-pytest python3-torch python3-opencv
  python3-distributed  # sumi.dask (Dask distributed: dask scheduler / dask worker)
  python3-jsonschema  # tests/python/test_graph_schema.py checks graph files against docs/graph.schema.json
  librsvg2-bin
  graphviz  # `sumi dot GRAPH | dot -Tsvg` (tests/cli_test: used when present)
  libcpp-httplib-dev chromium
  clang libfuzzer-14-dev  # scripts/fuzz.sh (libFuzzer targets in fuzz/)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm (for the training-data generator): Debian's packages, unless
# a node/npm is already installed (another distribution of them would conflict).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

cd "$(dirname "$0")/.."
# The training-data generator's pinned npm packages (package-lock.json).
npm_install() {
  # Re-run npm ci when any pinned package (@dicebear/core and every style
  # listed in models/data/package.json) is missing, e.g. a newly pinned style.
  local need_ci=0 dep
  for dep in $(sed -n 's/^ *"\(@dicebear\/[a-z-]*\)": *"[^"]*",\{0,1\}$/\1/p' models/data/package.json); do
    [ -f "models/data/node_modules/$dep/package.json" ] || need_ci=1
  done
  [ -f models/data/node_modules/@dicebear/core/package.json ] || need_ci=1
  if [ "$need_ci" = 1 ]; then
    echo "setup: npm ci (models/data)"
    npm ci --prefix models/data --no-audit --no-fund --loglevel=error >/dev/null
  fi
  # The editor's front end (vite, litegraph) and its browser test (playwright-core).
  if [ ! -f editor/web/node_modules/.package-lock.json ]; then
    echo "setup: npm ci (editor/web)"
    npm ci --prefix editor/web --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  npm_install
  echo "setup: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: error: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
need_update=0
for p in "${missing[@]}"; do
  cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
  if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then need_update=1; break; fi
done
if [ $need_update -eq 1 ]; then
  echo "setup: apt-get update"
  $SUDO apt-get update -qq
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
npm_install
echo "setup: done"
