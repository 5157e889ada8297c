#!/usr/bin/python3
"""Batch over a folder of drawings with a progress bar, reusing one session.

Makes a folder of partial drawings of the example face (the first 10, 15, ...
strokes: a drawing in progress), then rasterises each one and cuts it into
its parts, writing a contact sheet per drawing.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/batch_folder.py [OUT_DIR]
"""
import json
import pathlib
import sys

import sumi

root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/batch")
drawings = out / "drawings"
drawings.mkdir(parents=True, exist_ok=True)

example = json.loads((root / "examples" / "face.strokes.json").read_text())
for n in range(10, len(example["strokes"]) + 1, 5):
    partial = dict(example, strokes=example["strokes"][:n])
    (drawings / f"face_{n:02d}.strokes.json").write_text(json.dumps(partial))

graph = sumi.Graph.load(str(root / "graphs" / "sketch_parts.sumi.json"))
session = sumi.Session()
files = sorted(drawings.glob("*.strokes.json"))
for i, path in enumerate(files, 1):
    r = session.run(graph, inputs={"draw": str(path)})
    sheet = r.outputs["parts"]
    bar = "#" * (30 * i // len(files))
    print(f"\r[{bar:<30}] {i}/{len(files)} {path.name}: sheet {sheet.shape[-1]}x{sheet.shape[-2]}, "
          f"{r.total_ms:.1f} ms", end="", flush=True)
print()
print("cache:", session.cache_stats())
