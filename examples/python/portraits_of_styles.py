#!/usr/bin/python3
"""Portraits of faces drawn in eight styles, framed anywhere on the canvas: one
face per style from models/data/fixture_styles (seven training styles and
toon-head, which no model was trained on), each drawing fed to
graphs/deepfacedrawing.sumi.json, shown as drawing | portrait | the style's
own colour picture of that face.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/portraits_of_styles.py [OUT_DIR]
"""
import json
import pathlib
import sys

import sumi

root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/python")
out.mkdir(parents=True, exist_ok=True)
fixture = root / "models" / "data" / "fixture_styles"

faces = {}
for line in (fixture / "manifest.jsonl").read_text().splitlines():
    if line.strip():
        face = json.loads(line)
        faces.setdefault(face["style"], face)  # the first face of each style

session = sumi.Session()
graph = sumi.Graph.load(root / "graphs" / "deepfacedrawing.sumi.json")
load = sumi.Graph(name="load")
load.add_node("sketch", "io.load_image", channels="gray")
load.add_node("colour", "io.load_image", channels="rgb")
load.set_output("sketch", "sketch.image")
load.set_output("colour", "colour.image")

# One contact sheet: image.collect names the images, image.contact_sheet tiles them.
sheet = sumi.Graph(name="styles")
names, images = [], {}
for style, face in sorted(faces.items()):
    load.set_param("sketch", "path", str(fixture / face["files"]["sketch"]))
    load.set_param("colour", "path", str(fixture / face["files"]["color"]))
    pictures = session.run(load).outputs
    portrait = session.run(graph, outputs=["portrait"], inputs={"sketch": pictures["sketch"]}).outputs["portrait"]
    held_out = " (held out)" if style == "toon-head" else ""  # no model was trained on it
    for label, image in ((f"{style}{held_out}", pictures["sketch"]), (f"{style}: portrait", portrait),
                         (f"{style}: colours", pictures["colour"])):
        images[len(names)] = image
        names.append(label)
    print(f"{style}: done")

# image.collect takes twelve images; chained collects pass their sets on.
for c in range(0, len(names), 12):
    sheet.add_node(f"collect{c}", "image.collect", names=",".join(names[c:c + 12]))
    if c:
        sheet.link(f"collect{c - 12}.images", f"collect{c}.images")
    for i in range(c, min(c + 12, len(names))):
        sheet.add_node(f"in{i}", "io.load_image")
        sheet.link(f"in{i}.image", f"collect{c}.image_{i - c + 1}")
sheet.add_node("tile", "image.contact_sheet", cell=160, columns=6, gap=6)
sheet.add_node("save", "io.save_image", path=str((out / "styles.png").resolve()))
sheet.link(f"collect{(len(names) - 1) // 12 * 12}.images", "tile.images")
sheet.link("tile.image", "save.image")
sheet.set_output("written", "save.path")
r = session.run(sheet, inputs={f"in{i}": images[i] for i in range(len(names))})
print("wrote", r.outputs["written"])
