#!/usr/bin/python3
"""Run every portrait graph in graphs/ on the same drawing and put the results
side by side: the drawing, each graph's portrait (and the colour reference
of a graph that has one), and the colour hints the drawing carries. Graph files are data: load them, feed the strokes, read the
outputs. The drawing with colour hints is examples/cartoon_face_hints.strokes.json;
graphs without a hint input simply ignore the hint strokes.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/compare_portrait_graphs.py [OUT_DIR]
"""
import pathlib
import sys

import numpy as np

import sumi

root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/python")
out.mkdir(parents=True, exist_ok=True)
drawing = root / "examples" / "cartoon_face_hints.strokes.json"

session = sumi.Session()
pictures = {}
for path in sorted((root / "graphs").glob("*.sumi.json")):
    graph = sumi.Graph.load(path)
    if "portrait" not in graph.outputs:
        continue
    r = session.run(graph, inputs={"draw": drawing})
    name = path.name.removesuffix(".sumi.json")
    pictures.setdefault("drawing", r.outputs["sketch"])
    if "hints" in r.outputs:
        pictures.setdefault("hints", r.outputs["hints"])
    pictures[name] = r.outputs["portrait"]
    if "reference" in r.outputs:  # AniFaceDrawing's colour reference, shown after its portrait
        pictures["its reference"] = r.outputs["reference"]
    print(f"{name}: {r.computed} nodes computed, {r.cached} from the cache, {r.total_ms:.0f} ms")
assert len(pictures) >= 3, "expected at least two portrait graphs in graphs/"

# One contact sheet: image.collect names the images, image.contact_sheet tiles them.
sheet = sumi.Graph(name="compare")
names = list(pictures)
sheet.add_node("collect", "image.collect", names=",".join(names))
sheet.add_node("tile", "image.contact_sheet", cell=256, columns=len(names), gap=6)
sheet.add_node("save", "io.save_image", path=str((out / "portraits.png").resolve()))
sheet.link("collect.images", "tile.images")
sheet.link("tile.image", "save.image")
for i, name in enumerate(names):
    sheet.add_node(f"in{i}", "io.load_image")
    sheet.link(f"in{i}.image", f"collect.image_{i + 1}")
sheet.set_output("written", "save.path")
r = session.run(sheet, inputs={f"in{i}": np.ascontiguousarray(pictures[n]) for i, n in enumerate(names)})
print("wrote", r.outputs["written"])
