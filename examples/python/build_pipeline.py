#!/usr/bin/python3
"""Build a pipeline in code: strokes -> sketch -> five face parts -> contact sheet,
run it, save the graph file and the picture.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/build_pipeline.py [OUT_DIR]
"""
import pathlib
import sys

import sumi

root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/python")
out.mkdir(parents=True, exist_ok=True)

g = sumi.Graph(name="parts_from_python")
g.add_node("draw", "io.strokes_input")
g.add_node("sketch", "sketch.rasterise", size=256)
g.add_node("split", "face.split")
g.add_node("sheet", "image.contact_sheet", cell=128, columns=5)
g.add_node("save", "io.save_image", path=str((out / "parts.png").resolve()))
g.link("draw.strokes", "sketch.strokes")
g.link("sketch.image", "split.sketch")
g.link("split.parts", "sheet.images")
g.link("sheet.image", "save.image")
g.set_output("written", "save.path")
g.save(out / "parts_from_python.sumi.json")

result = sumi.Session().run(g, inputs={"draw": root / "examples" / "face.strokes.json"})
print("wrote", result.outputs["written"], f"in {result.total_ms:.1f} ms")
print("graph saved to", out / "parts_from_python.sumi.json")
