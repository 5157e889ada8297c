#!/usr/bin/python3
"""AniFaceDrawing on drawings unlike its training sketches: complete, partial (40 % of the lines,
sketch.drop_strokes) and rough (sketch.roughen, stronger than training's) drawings of adventurer test faces
and of the held-out style's faces, through graphs/anifacedrawing.sumi.json with the reference mix off, for
two model folders side by side: the line chamfer (px at 128, the drawing's ink vs the portrait's line art,
as models/synth/evaluate.py measures it) and a picture (rows: two faces per condition; columns: drawing,
each model's portrait).

    PYTHONPATH=build/python /usr/bin/python3 models/stylegan/drawings_eval.py --before /tmp/stylegan_before \\
        --sketches ~/sumi-data/sketches256.npz --heldout ~/sumi-data/styles256_v2 --out docs/portraits/afd_drawings.png
"""
import argparse
import json
import pathlib
import sys

import numpy as np
import torch

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "synth"))
sys.path.insert(0, str(ROOT / "models" / "parts"))
from evaluate import picture  # noqa: E402  (models/parts/evaluate.py)
from metrics import chamfer, input_ink, line_art  # noqa: E402  (models/synth/metrics.py)

CONDITIONS = ("complete", "partial", "rough")


def portrait_graph(folder):
    """The AniFaceDrawing graph on the models in `folder`; its synthesis reads the sketch only if it takes one."""
    g = sumi.Graph.load(str(ROOT / "graphs" / "anifacedrawing.sumi.json"))
    manifest = pathlib.Path(folder).expanduser().resolve() / "manifest.json"
    for node in ("encode_sketch", "encode_reference", "portrait"):
        g.set_param(node, "manifest", str(manifest))
    if "guide" not in json.loads(manifest.read_text()):
        g.unlink("portrait.sketch")
    g.set_param("mix", "strength", 0.0)  # the sketch's own code
    return g


def drawing_graph(condition, seed):
    g = sumi.Graph(name="drawing")
    g.add_node("load", "io.load_image", channels="gray")
    if condition == "complete":
        g.set_output("out", "load.image")
    elif condition == "partial":
        g.add_node("drop", "sketch.drop_strokes", keep=0.4, seed=seed, piece_length=48)
        g.link("load.image", "drop.sketch")
        g.set_output("out", "drop.image")
    else:
        g.add_node("rough", "sketch.roughen", seed=seed, warp=4.0, wobble=1.5, width_jitter=1.0)
        g.link("load.image", "rough.sketch")
        g.set_output("out", "rough.image")
    return g


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="a model folder to compare with (e.g. the previous models/stylegan)")
    ap.add_argument("--after", default=str(ROOT / "models" / "stylegan"))
    ap.add_argument("--sketches", required=True, help="adventurer sketches .npz from models/parts/prepare.py (split 2)")
    ap.add_argument("--heldout", required=True, help="a multi-style data set (v2) whose held-out faces to draw")
    ap.add_argument("--faces", type=int, default=20, help="faces per group")
    ap.add_argument("--out", required=True, help="PNG to write")
    args = ap.parse_args()
    session = sumi.Session()
    sk = np.load(pathlib.Path(args.sketches).expanduser())
    groups = {"adventurer test": [sk["sketches"][i].astype(np.float32)[None, None] / 255.0
                                  for i in np.flatnonzero(sk["split"] == 2)[:args.faces]]}
    data = pathlib.Path(args.heldout).expanduser()
    faces = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines() if line.strip()]
    load = drawing_graph("complete", 0)
    # (a fed file path is read as it is, RGB here: the drawings are gray)
    groups["held-out style"] = [np.asarray(session.run(load, inputs={"load": str(data / f["files"]["sketch"])})
                                           .outputs["out"]).mean(1, keepdims=True)
                                for f in faces if f["split"] == "heldout"][:args.faces]
    models = {"before": portrait_graph(args.before), "after": portrait_graph(args.after)}
    rows = []
    for group, drawings in groups.items():
        for condition in CONDITIONS:
            lines = {m: [] for m in models}
            for k, img in enumerate(drawings):
                x = np.asarray(session.run(drawing_graph(condition, k + 1), inputs={"load": img}).outputs["out"])
                row = [np.repeat(x, 3, 1)]
                for m, g in models.items():
                    p = torch.from_numpy(np.asarray(session.run(g, outputs=["portrait"], inputs={"sketch.image": x})
                                                    .outputs["portrait"]).copy())
                    lines[m].append(chamfer(input_ink(torch.from_numpy(x.copy()), p.shape[-2:]), line_art(session, p)))
                    row.append(p.numpy())
                if k < 2:
                    rows.append((f"{group.split()[0]} {condition}", row))  # short, no commas (picture() splits on them)
            print(f"| {group}, {condition} | {len(drawings)} | {np.mean(lines['before']):.2f} | {np.mean(lines['after']):.2f} |")
    picture(session, rows, pathlib.Path(args.out), names="before,after")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
