#!/bin/bash
# Renders docs/data/degradations.png: for a few fixture faces, the
# training_sample graph's contact sheet (colour / sketch / detail_filter /
# xdog / drop_strokes / roughen / hints / hint mask), then one face's
# progressive drawing sequence, stacked into one picture with rsvg-convert.
#
#   docs/data/make_degradations.sh [OUT.png]     (after building build/cli/sumi)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-docs/data/degradations.png}
sumi=build/cli/sumi
faces=(00003 00007 00013 00010)
progressive_face=00009
[[ -x $sumi ]] || { echo "make_degradations.sh: build $sumi first (ninja -C build sumi)" >&2; exit 2; }
command -v rsvg-convert >/dev/null || { echo "make_degradations.sh: needs rsvg-convert (apt-get install librsvg2-bin)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rows=()
for i in "${!faces[@]}"; do
  f=${faces[$i]}
  dir=models/data/fixture/faces/$f
  seed=$((i + 1))
  labels=$([[ $i -eq 0 ]] && echo true || echo false)
  "$sumi" run graphs/training_sample.sumi.json --in color=$dir/color.png --in sketch=$dir/sketch.png \
    --set drop.seed=$seed --set rough.seed=$seed --set hints.seed=$seed --set sheet.labels=$labels \
    --output sheet --out "$tmp/$f" >/dev/null
  rows+=("$tmp/$f/sheet.png")
done
dir=models/data/fixture/faces/$progressive_face
"$sumi" run graphs/training_sample.sumi.json --in color=$dir/color.png --in sketch=$dir/sketch.png \
  --output progress --out "$tmp/progress" >/dev/null
rows+=("$tmp/progress/progress.png")

# PNG width and height from the IHDR chunk (bytes 16..23, big-endian).
dims() { od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'; }
width=0 height=0 body=""
for r in "${rows[@]}"; do
  read -r w h < <(dims "$r")
  body+="<image x=\"0\" y=\"$height\" width=\"$w\" height=\"$h\" href=\"data:image/png;base64,$(base64 -w0 "$r")\"/>"
  height=$((height + h))
  ((w > width)) && width=$w
done
echo "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"$width\" height=\"$height\"><rect width=\"$width\" height=\"$height\" fill=\"#fff\"/>$body</svg>" >"$tmp/sheet.svg"
rsvg-convert "$tmp/sheet.svg" -o "$out"
echo "wrote $out (${width}x${height})"
