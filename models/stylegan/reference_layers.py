"""Which W+ layers carry colour? Runs graphs/anifacedrawing.sumi.json on
complete held-out sketches with another test face as the `reference`, taking
the reference's layers from..11 for several `from`, and prints the colour
histogram distance of the portrait to the reference and to the sketch's own
face (a markdown table for docs/portraits.md).

    PYTHONPATH=build/python /usr/bin/python3 models/stylegan/reference_layers.py \\
        --sketches ~/sumi-data/sketches256.npz --colours ~/sumi-data/colours128.npz --faces 12
"""
import argparse
import importlib.util
import json
import pathlib

import numpy as np
import torch

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]


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
    args = ap.parse_args()
    distance = synth_evaluate().histogram_distance
    sk, co = np.load(pathlib.Path(args.sketches).expanduser()), np.load(pathlib.Path(args.colours).expanduser())
    faces = np.flatnonzero(sk["split"] == 2)[: args.faces]
    if len(faces) < 2:
        raise SystemExit("reference_layers: needs at least 2 held-out faces")
    num_ws = json.loads((ROOT / "models" / "stylegan" / "manifest.json").read_text())["num_ws"]
    graph = sumi.Graph.load(str(ROOT / "graphs" / "anifacedrawing.sumi.json"))
    session = sumi.Session()

    def colour(i):
        return torch.from_numpy(co["colours"][i].astype(np.float32) / 255.0).permute(2, 0, 1)[None]

    print("| reference layers | to the reference | to the own face |\n|---|---|---|")
    for first in (int(f) for f in args.from_layers.split(",")):
        graph.set_param("mix", "from", first)
        graph.set_param("mix", "to", num_ws - 1)
        to_ref, to_own = [], []
        for k, face in enumerate(faces):
            reference = colour(faces[(k + 1) % len(faces)])
            sketch = sk["sketches"][face][None, None].astype(np.float32) / 255.0
            out = session.run(graph, outputs=["portrait"], inputs={"sketch": sketch, "reference": reference.numpy()})
            portrait = torch.from_numpy(out.outputs["portrait"].copy())
            to_ref.append(distance(portrait, reference))
            to_own.append(distance(portrait, colour(face)))
        print(f"| {first}-{num_ws - 1} | {np.mean(to_ref):.3f} | {np.mean(to_own):.3f} |", flush=True)


if __name__ == "__main__":
    main()
