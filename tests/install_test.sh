#!/usr/bin/env bash
# `cmake --install` makes a relocatable tree (issue 19): install into a temporary
# prefix, move the prefix, then run the CLI and the Python package from the moved
# copy with a bare environment, HOME and cwd outside the checkout, and check that
# nothing there names the source or build tree.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR PYTHON
set -euo pipefail
build=$(cd "$1" && pwd -P); src=$(cd "$2" && pwd -P); python=$3
tmp=$(mktemp -d /tmp/sumi-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test: FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/staged" > "$tmp/install.log"
mv "$tmp/staged" "$tmp/moved"
prefix=$tmp/moved
mkdir -p "$tmp/home" "$tmp/cwd"
cd "$tmp/cwd"
bare=(env -i HOME="$tmp/home" PATH=/usr/bin:/bin LANG=C.UTF-8)

for f in bin/sumi share/sumi/graphs/deepfacedrawing.sumi.json share/sumi/models/parts/manifest.json \
         share/sumi/examples/cartoon_face.strokes.json lib/python3/dist-packages/sumi/__init__.py \
         lib/libsumi_engine.so lib/libsumi_nodes_common.so lib/libsumi_python_host.so \
         share/sumi/examples/plugins/fx_sharpen.so share/sumi/examples/plugins/fx_posterize.py; do
  [ -e "$prefix/$f" ] || fail "$f is not installed"
done
ls "$prefix"/lib/python3/dist-packages/sumi/_sumi*.so > /dev/null || fail "the Python module is not installed"

# No path under the checkout (source or build tree) in the installed binaries.
for bin in "$prefix"/bin/sumi "$prefix"/lib/python3/dist-packages/sumi/_sumi*.so "$prefix"/lib/*.so \
           "$prefix"/share/sumi/examples/plugins/*.so; do
  if strings "$bin" | grep -F -e "$src" -e "$build"; then fail "$bin names the source or build tree"; fi
done

# The node catalogue shows the moved prefix's manifests, nothing of the checkout.
"${bare[@]}" "$prefix/bin/sumi" nodes > nodes.txt
if grep -F -e "$src" -e "$build" nodes.txt; then fail "sumi nodes names the source or build tree"; fi
grep -qF "$prefix/share/sumi/models/parts/manifest.json" nodes.txt || fail "sumi nodes does not show the installed models"

# The example plugins from the moved prefix: the C++ one, and the Python one
# through the installed embedded interpreter, which imports the installed package.
plugins=$prefix/share/sumi/examples/plugins
"${bare[@]}" "$prefix/bin/sumi" nodes --plugins "$plugins" fx.sharpen fx.posterize > plugins.txt 2>&1 \
  || { cat plugins.txt; fail "sumi nodes --plugins failed"; }
grep -qF "origin: $plugins/fx_sharpen.so" plugins.txt || { cat plugins.txt; fail "the C++ example plugin is not loaded"; }
grep -qF "origin: $plugins/fx_posterize.py" plugins.txt || { cat plugins.txt; fail "the Python example plugin is not loaded"; }
"${bare[@]}" "$prefix/bin/sumi" run --plugins "$plugins" "$plugins/poster.sumi.json" --out out > plugin_run.log 2>&1 \
  || { cat plugin_run.log; fail "sumi run with the example plugins failed"; }
[ -s out/poster.png ] || fail "no poster.png"

# A plugin built outside the tree against the installed SDK (find_package(Sumi))
# loads in the installed sumi.
mkdir -p outside/src
cat > outside/src/CMakeLists.txt <<EOF
cmake_minimum_required(VERSION 3.25)
project(outside_plugin LANGUAGES CXX)
find_package(Sumi REQUIRED)
add_library(fx_outside MODULE $plugins/fx_sharpen.cpp)
target_link_libraries(fx_outside PRIVATE Sumi::nodes_common)
set_target_properties(fx_outside PROPERTIES PREFIX "" CXX_VISIBILITY_PRESET hidden LIBRARY_OUTPUT_DIRECTORY \${CMAKE_BINARY_DIR}/plugins)
EOF
cmake -S outside/src -B outside/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > outside.log 2>&1 \
  && cmake --build outside/build >> outside.log 2>&1 || { cat outside.log; fail "a plugin does not build against the installed SDK"; }
"${bare[@]}" "$prefix/bin/sumi" nodes --plugins outside/build/plugins fx.sharpen > outside_nodes.txt 2>&1 \
  || { cat outside_nodes.txt; fail "the plugin built against the installed SDK does not load"; }
grep -qF "origin: $tmp/cwd/outside/build/plugins/fx_outside.so" outside_nodes.txt || { cat outside_nodes.txt; fail "no origin"; }

# The default graph, from the moved prefix: the portrait is written.
"${bare[@]}" "$prefix/bin/sumi" run "$prefix/share/sumi/graphs/deepfacedrawing.sumi.json" --out out > run.log 2>&1 \
  || { cat run.log; fail "sumi run failed"; }
[ -s out/portrait.png ] || fail "no portrait.png"

# The Python package from the moved prefix imports and runs the same graph.
"${bare[@]}" PYTHONPATH="$prefix/lib/python3/dist-packages" "$python" - "$prefix" "$src" "$build" <<'PY'
import sys, sumi
prefix, src, build = sys.argv[1:4]
assert sumi.__file__.startswith(prefix), sumi.__file__
g = sumi.Graph.load(prefix + "/share/sumi/graphs/deepfacedrawing.sumi.json")
r = sumi.Session().run(g, outputs=["portrait"])
assert r.outputs["portrait"].shape[-2:] == (128, 128), r.outputs["portrait"].shape
docs = "".join(t.help() for t in sumi.node_types())
assert src not in docs and build not in docs, "a node's doc names the source or build tree"
assert prefix + "/share/sumi/models/" in docs, "no node default names the installed models"
report = sumi.load_plugins(prefix + "/share/sumi/examples/plugins")
assert sorted(t.id for t in sumi.node_types() if t.origin.startswith(prefix)) == ["fx.posterize", "fx.sharpen"], report
print("python: ok")
PY
echo "install_test: ok ($prefix)"
