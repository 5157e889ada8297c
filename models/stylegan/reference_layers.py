"""Which W+ layers carry colour? Runs graphs/anifacedrawing.sumi.json (or
--graph, e.g. a copy whose nodes name candidate models) on complete test
sketches with another test face as the `reference`, taking the reference's
layers from..last for several `from`, and prints per row the colour histogram
distance of the portrait to the reference and to the sketch's own face, and
the line chamfer (px) between the drawing's ink and the portrait's line art:
the layers that carry colour only are those that move the colour towards the
reference without moving the lines away from the drawing (a markdown table
for docs/portraits.md; the first row, "none", is the sketch's own code).

    PYTHONPATH=build/python /usr/bin/python3 models/stylegan/reference_layers.py \\
        --sketches ~/sumi-data/sketches256.npz --colours ~/sumi-data/colours128.npz --faces 12

A canonical-frame pack of models/synth/prepare_canonical.py holds both arrays (--sketches and --colours the
same file; its faces of every style). --models compares model folders in one run (a column group each, e.g.
--models before=/tmp/stylegan_before --models after=models/stylegan), and --picture draws the first faces at the
graph's own mix setting: drawing, reference, each model's portrait, the drawn face's own colours.
"""
import argparse
import importlib.util
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


def synth_evaluate():
    """models/synth/evaluate.py as a module (its histogram distance), by path: two files share the name."""
    spec = importlib.util.spec_from_file_location("synth_evaluate", ROOT / "models" / "synth" / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sketches", required=True, help="sketches .npz from models/parts/prepare.py")
    ap.add_argument("--colours", required=True, help="colours .npz from models/parts/prepare.py --colours 128")
    ap.add_argument("--faces", type=int, default=12, help="held-out faces")
    ap.add_argument("--from-layers", default="8,6,4,2,0", help="first reference layer of each row")
    ap.add_argument("--graph", default=str(ROOT / "graphs" / "anifacedrawing.sumi.json"),
                    help="the AniFaceDrawing graph file (its node `mix` is set per row)")
    ap.add_argument("--models", action="append", default=[],
                    help="[LABEL=]model folder whose manifest the graph's nodes read (repeat to compare; "
                         "default: the graph's own models)")
    ap.add_argument("--picture", help="PNG: the first faces at the graph's own mix setting, per model")
    ap.add_argument("--picture-faces", type=int, default=8)
    args = ap.parse_args()
    distance = synth_evaluate().histogram_distance
    sk, co = np.load(pathlib.Path(args.sketches).expanduser()), np.load(pathlib.Path(args.colours).expanduser())
    faces = np.flatnonzero(sk["split"] == 2)[: args.faces]
    if len(faces) < 2:
        raise SystemExit("reference_layers: needs at least 2 held-out faces")
    graphs = {}
    for spec in args.models or [""]:
        label, _, folder = spec.rpartition("=") if "=" in spec else ("", "", spec)
        g = sumi.Graph.load(args.graph)
        if folder:
            manifest = pathlib.Path(folder).expanduser().resolve() / "manifest.json"
            for node in ("encode_sketch", "encode_reference", "portrait"):
                g.set_param(node, "manifest", str(manifest))
        graphs[label or pathlib.Path(folder).name or "graph"] = g
    first_graph = next(iter(graphs.values()))
    manifest = first_graph.nodes["portrait"].get("params", {}).get("manifest") or ROOT / "models" / "stylegan" / "manifest.json"
    num_ws = json.loads(pathlib.Path(manifest).read_text())["num_ws"]
    own_mix = dict(first_graph.nodes["mix"].get("params", {}))
    session = sumi.Session()

    def colour(i):
        return torch.from_numpy(co["colours"][i].astype(np.float32) / 255.0).permute(2, 0, 1)[None]

    def portrait(graph, k, face):
        reference = colour(faces[(k + 1) % len(faces)])
        sketch = sk["sketches"][face][None, None].astype(np.float32) / 255.0
        out = session.run(graph, outputs=["portrait"], inputs={"sketch": sketch, "reference": reference.numpy()})
        return torch.from_numpy(out.outputs["portrait"].copy()), reference, sketch

    many = len(graphs) > 1
    print("| reference layers | " + " | ".join(
        f"{name + ': ' if many else ''}to the reference | to the own face | line chamfer px" for name in graphs)
        + " |\n|---" + "|---|---|---" * len(graphs) + "|")
    for first in [None] + [int(f) for f in args.from_layers.split(",")]:
        cells = []
        for graph in graphs.values():
            graph.set_param("mix", "strength", 0.0 if first is None else 1.0)
            graph.set_param("mix", "from", 0 if first is None else first)
            graph.set_param("mix", "to", num_ws - 1)
            to_ref, to_own, lines = [], [], []
            for k, face in enumerate(faces):
                out, reference, sketch = portrait(graph, k, face)
                to_ref.append(distance(out, reference))
                to_own.append(distance(out, colour(face)))
                lines.append(chamfer(input_ink(sketch, out.shape[-2:]), line_art(session, out)))
            cells.append(f"{np.mean(to_ref):.3f} | {np.mean(to_own):.3f} | {np.mean(lines):.2f}")
        name = "none" if first is None else f"{first}-{num_ws - 1}"
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
    if args.picture:
        rows = []
        for graph in graphs.values():
            for key, value in own_mix.items():
                graph.set_param("mix", key, value)
        for k, face in enumerate(faces[: args.picture_faces]):
            made = [portrait(graph, k, face) for graph in graphs.values()]
            _, reference, sketch = made[0]
            rows.append((str(sk["styles"][sk["style"][face]]) if "styles" in sk.files else f"face {face}",
                         [np.repeat(sketch, 3, 1), reference.numpy()] + [m[0].numpy() for m in made]
                         + [colour(face).numpy()]))
        picture(session, rows, pathlib.Path(args.picture), names="reference," + ",".join(graphs) + ",own colours")
        print(f"wrote {args.picture}")


if __name__ == "__main__":
    main()
