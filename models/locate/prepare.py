#!/usr/bin/python3
"""Packs a multi-style face data set (models/data/generate.mjs --styles ... --framing random)
into one array file for training and evaluating the face locator.

    PYTHONPATH=build/python /usr/bin/python3 models/locate/prepare.py \\
        --data ~/sumi-data/styles256 --out ~/sumi-data/locate128.npz [--resolution 128] [--partial 1]

Each face's drawing is made the way its manifest's `line_style` says, by
Sumi's own nodes (sketch.xdog / sketch.detail_filter of the colour image,
sketch.roughen or sketch.progressive of the outline sketch, or the outline as
is), then scaled to R x R with area interpolation - the same path face.locate
takes. With --partial P, P more copies of every face keep only part of its
lines (sketch.drop_strokes, keep uniform in --partial-keep, [0.25, 0.9] by
default), so the locator also learns from drawings in progress. With
--schematic S, S more copies are drawn the way a person sketches a face
freehand (schematic.py: an oval head, dot or ring eyes, a nose tick, a mouth
curve... on the face's true boxes, rasterised by sketch.rasterise),
--schematic-partial of them (a quarter by default) only partly drawn: the
first strokes, head first, as a drawing in progress. --indices A:B packs a
data set in parts (faces A <= index < B).

Writes sketches uint8 [M, R, R] (255 = paper), targets float32 [M, 23]
(see locate_model.py), canonical part boxes float32 [M, 4, 4] (cx, cy, w, h), face index, split (0 train, 1 val, 2 test, 3 held-out
style), style id, keep fraction, schematic (1 for schematic.py's drawings) and the style names.
"""
import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np

import sumi

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from locate_model import POINTS, SIZED_PARTS  # noqa: E402
from schematic import schematic_copy  # noqa: E402

SPLITS = {"train": 0, "val": 1, "test": 2, "heldout": 3}


def line_graphs(resolution):
    """One small graph per line style, each ending in an R x R drawing."""
    graphs = {}
    for kind in ["svg", "xdog", "detail_filter", "roughen", "progressive", "drop"]:
        g = sumi.Graph(name=f"locate_{kind}")
        src = "color" if kind in ("xdog", "detail_filter") else "sketch"
        g.add_node("load", "io.load_image", channels="rgb" if src == "color" else "gray")
        last = "load.image"
        if kind == "xdog":
            g.add_node("line", "sketch.xdog")
        elif kind == "detail_filter":
            g.add_node("line", "sketch.detail_filter")
        elif kind == "roughen":
            g.add_node("line", "sketch.roughen")
        elif kind == "drop":
            g.add_node("line", "sketch.drop_strokes", piece_length=48)
        if kind == "progressive":  # the chosen step is then scaled by the "svg" graph
            g.add_node("steps", "sketch.progressive", steps=10)
            g.link("load.image", "steps.sketch")
            g.set_output("steps", "steps.steps")
            g.set_output("full", "load.image")
            graphs[kind] = (g, src)
            continue
        if kind != "svg":
            g.link(last, "line." + ("image" if kind in ("xdog", "detail_filter") else "sketch"))
            last = "line.image"
        g.add_node("scale", "image.resize", width=resolution, height=resolution, interpolation="area")
        g.link(last, "scale.image")
        g.set_output("image", "scale.image")
        graphs[kind] = (g, src)
    return graphs


def square_window(box, size):
    """[x, y, side] around a part box, clamped into the canvas (progressive's window format)."""
    x0, y0, x1, y1 = box
    side = max(2, int(math.ceil(max(x1 - x0, y1 - y0) * 1.2)))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return [int(round(cx - side / 2)), int(round(cy - side / 2)), side]


def draw_face(session, graphs, data, face, ls):
    """The face's drawing as its line style `ls` says, through `graphs` (line_graphs): the image output."""
    kind = ls["kind"]
    g, src = graphs[kind]
    g.set_param("load", "path", str(data / face["files"][src]))
    if kind == "roughen":
        g.set_param("line", "seed", int(ls["seed"]))
    if kind == "progressive":
        g.set_param("steps", "seed", int(ls["seed"]))
        g.set_param("steps", "reference", int(face["size"]))
        for p in SIZED_PARTS:
            g.set_param("steps", p, square_window(face["boxes"][p], face["size"]))
        res = session.run(g)
        steps = res.outputs["steps"]
        k = min(len(steps) - 1, max(0, int(round(ls.get("keep", 1.0) * len(steps))) - 1))
        img = steps[k]["image"] if steps else res.outputs["full"]
        # The chosen step, fed in place of the loader, takes the same resize path.
        return session.run(graphs["svg"][0], inputs={"load": img}).outputs["image"]
    return session.run(g).outputs["image"]


def targets(face):
    """The 23 regression targets of one face (locate_model.py's layout)."""
    size = float(face["size"])
    fr = face["frame"]
    rot = math.radians(fr["rotation_deg"])
    t = [fr["centre"][0] / size, fr["centre"][1] / size, math.log(fr["scale"]), math.cos(rot), math.sin(rot)]
    for p in POINTS:
        x, y = face["points"][p]
        t += [x / size, y / size]
    for p in SIZED_PARTS:
        x0, y0, x1, y1 = face["boxes_canonical"][p]
        t += [(x1 - x0) / size, (y1 - y0) / size]
    return t


def read_faces(data, who):
    """The faces of a generated data set: manifest.jsonl, or while a generation
    is still running (no manifest yet) its finished faces/*/face.json."""
    try:
        return [json.loads(l) for l in (data / "manifest.jsonl").read_text().splitlines() if l.strip()]
    except OSError as e:
        faces = [json.loads(p.read_text()) for p in sorted((data / "faces").glob("*/face.json"))]
        if not faces:
            sys.exit(f"{who}: error: {data} is not a generated data set ({e})")
        print(f"{who}: {data} has no manifest.jsonl yet; using its {len(faces)} finished faces", file=sys.stderr)
        return faces


def in_index_range(faces, text, prog):
    """The faces whose index i has A <= i < B for --indices 'A:B' (all for ''), or a clean exit."""
    if not text:
        return faces
    try:
        a, b = (int(v) for v in text.split(":"))
    except ValueError:
        sys.exit(f"{prog}: error: --indices must be A:B (two whole numbers), got {text!r}")
    return [f for f in faces if a <= f["index"] < b]


def partial_keep_range(text):
    """'LO,HI' -> (LO, HI) with 0 < LO <= HI <= 1, or a clean exit naming the option."""
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        sys.exit(f"prepare: error: --partial-keep must be LO,HI (two numbers), got {text!r}")
    if not 0 < lo <= hi <= 1:
        sys.exit(f"prepare: error: --partial-keep needs 0 < LO <= HI <= 1, got {text!r}")
    return lo, hi


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder made by models/data/generate.mjs")
    ap.add_argument("--out", required=True, help="output .npz")
    ap.add_argument("--resolution", type=int, default=128)
    ap.add_argument("--partial", type=int, default=1, help="extra partial-drawing copies per face")
    ap.add_argument("--schematic", type=int, default=0, help="extra schematic (freehand-style) copies per face")
    ap.add_argument("--schematic-partial", type=float, default=0.25,
                    help="the share of schematic copies drawn only in part (their first strokes)")
    ap.add_argument("--partial-keep", default="0.25,0.9",
                    help="LO,HI: the share of lines a partial copy keeps is drawn uniformly from [LO, HI]")
    ap.add_argument("--indices", default="",
                    help="A:B packs only the faces with index A <= i < B (a data set in parts, e.g. faces added later)")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N faces")
    ap.add_argument("--svg-only", action="store_true", help="outline sketches only (evaluation of complete drawings)")
    args = ap.parse_args()
    data = pathlib.Path(args.data).expanduser()
    manifest = read_faces(data, "prepare")
    faces = [f for f in manifest if f.get("points") and all(f["points"].get(p) for p in POINTS)
             and all((f.get("boxes_canonical") or {}).get(p) for p in SIZED_PARTS)]
    keep_lo, keep_hi = partial_keep_range(args.partial_keep)
    faces = in_index_range(faces, args.indices, "prepare")
    if args.limit:
        faces = faces[: args.limit]
    if not faces:
        sys.exit(f"prepare: error: {data} has no faces with points and canonical boxes (an old adventurer-only set?)")
    styles = sorted({f["style"] for f in faces})
    graphs = line_graphs(args.resolution)
    session = sumi.Session(cache_mb=16)
    first = faces[0]["index"] if args.indices else 0
    rng = np.random.default_rng(1 if not first else [1, first])  # each part of a data set draws its own copies
    n_schematic = 0 if args.svg_only else args.schematic
    copies = 1 + (0 if args.svg_only else args.partial) + n_schematic
    m = len(faces) * copies
    r = args.resolution
    sketches = np.empty((m, r, r), np.uint8)
    tgt = np.empty((m, 23), np.float32)
    canon = np.empty((m, len(SIZED_PARTS), 4), np.float32)  # canonical boxes: cx, cy, w, h (px)
    index = np.empty(m, np.int32)
    split = np.empty(m, np.uint8)
    style = np.empty(m, np.uint8)
    keep = np.ones(m, np.float32)
    schematic = np.zeros(m, np.uint8)
    t0, row = time.time(), 0
    for i, face in enumerate(faces):
        ls = {"kind": "svg", "seed": 0} if args.svg_only else face.get("line_style") or {"kind": "svg", "seed": 0}
        kind = ls["kind"]
        sk = draw_face(session, graphs, data, face, ls)[0]
        rows = [(sk, 1.0, 0)]
        for _ in range(n_schematic):
            img, kp = schematic_copy(session, face, rng, args.schematic_partial)
            rows.append((session.run(graphs["svg"][0], inputs={"load": img}).outputs["image"][0], kp, 1))
        for _ in range(copies - 1 - n_schematic):
            dg, _src = graphs["drop"]
            dg.set_param("load", "path", str(data / face["files"]["sketch"]))
            kp = float(rng.uniform(keep_lo, keep_hi))
            dg.set_param("line", "keep", kp)
            dg.set_param("line", "seed", int(rng.integers(0, 2**31)))
            rows.append((session.run(dg).outputs["image"][0], kp, 0))
        t = targets(face)
        c = [[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]]
             for b in (face["boxes_canonical"][p] for p in SIZED_PARTS)]
        for img, kp, sch in rows:
            canon[row] = c
            sketches[row] = np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
            tgt[row] = t
            index[row] = face["index"]
            split[row] = SPLITS[face["split"]]
            style[row] = styles.index(face["style"])
            keep[row] = kp if kp < 1 or sch else (ls.get("keep", 1.0) if kind == "progressive" else 1.0)
            schematic[row] = sch
            row += 1
        if (i + 1) % 500 == 0 or i + 1 == len(faces):
            rate = (i + 1) / (time.time() - t0)
            print(f"\rprepare: {i + 1}/{len(faces)} faces, {rate:.0f}/s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    out = pathlib.Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, sketches=sketches[:row], targets=tgt[:row], canonical=canon[:row], index=index[:row], split=split[:row],
             style=style[:row], keep=keep[:row], schematic=schematic[:row], styles=np.array(styles), resolution=r)
    tmp.replace(out)
    counts = {k: int((split[:row] == v).sum()) for k, v in SPLITS.items()}
    print(f"prepare: wrote {out}: {row} drawings of {len(faces)} faces at {r} px, styles {styles}, splits {counts}")



if __name__ == "__main__":
    main()
