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
same file; its faces of every style).
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
    args = ap.parse_args()
    distance = synth_evaluate().histogram_distance
    sk, co = np.load(pathlib.Path(args.sketches).expanduser()), np.load(pathlib.Path(args.colours).expanduser())
    faces = np.flatnonzero(sk["split"] == 2)[: args.faces]
    if len(faces) < 2:
        raise SystemExit("reference_layers: needs at least 2 held-out faces")
    graph = sumi.Graph.load(args.graph)
    manifest = graph.nodes["portrait"].get("params", {}).get("manifest") or ROOT / "models" / "stylegan" / "manifest.json"
    num_ws = json.loads(pathlib.Path(manifest).read_text())["num_ws"]
    session = sumi.Session()

    def colour(i):
        return torch.from_numpy(co["colours"][i].astype(np.float32) / 255.0).permute(2, 0, 1)[None]

    print("| reference layers | to the reference | to the own face | line chamfer px |\n|---|---|---|---|")
    for first in [None] + [int(f) for f in args.from_layers.split(",")]:
        graph.set_param("mix", "strength", 0.0 if first is None else 1.0)
        graph.set_param("mix", "from", 0 if first is None else first)
        graph.set_param("mix", "to", num_ws - 1)
        to_ref, to_own, lines = [], [], []
        for k, face in enumerate(faces):
            reference = colour(faces[(k + 1) % len(faces)])
            sketch = sk["sketches"][face][None, None].astype(np.float32) / 255.0
            out = session.run(graph, outputs=["portrait"], inputs={"sketch": sketch, "reference": reference.numpy()})
            portrait = torch.from_numpy(out.outputs["portrait"].copy())
            to_ref.append(distance(portrait, reference))
            to_own.append(distance(portrait, colour(face)))
            lines.append(chamfer(input_ink(sketch, portrait.shape[-2:]), line_art(session, portrait)))
        name = "none" if first is None else f"{first}-{num_ws - 1}"
        print(f"| {name} | {np.mean(to_ref):.3f} | {np.mean(to_own):.3f} | {np.mean(lines):.2f} |", flush=True)


if __name__ == "__main__":
    main()
