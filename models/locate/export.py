#!/usr/bin/python3
"""Exports the trained face locator for the engine: TorchScript (Debian's torch
1.13, the engine's LibTorch) and the manifest models/locate/manifest.json that
face.locate reads.

    /usr/bin/python3 models/locate/export.py --checkpoint ~/sumi-work/locate/checkpoint.pt \\
        --data ~/sumi-data/locate128.npz --dataset ~/sumi-data/styles256 --out models/locate

The canonical frame (size, head box) comes from the data set's dataset.json;
the canonical part boxes an empty drawing gets are the training faces' means.
A manifest already at --out keeps its refiner, and its training record joins
the new one's "runs" when the checkpoint went on from its locator (--init).
The manifest records the file's SHA-256, so new weights invalidate cached results.

The part refiner (face.locate's third look, trained on prepare_refine.py's
crops) is added to an existing manifest, leaving the locator as it is:

    /usr/bin/python3 models/locate/export.py --refiner ~/sumi-work/refine/checkpoint.pt \
        --refiner-data ~/sumi-data/refine128.npz [--evaluation eval.json] --out models/locate
"""
import argparse
import datetime
import hashlib
import json
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from locate_model import FaceLocator, OUTPUTS, POINTS, SIZED_PARTS  # noqa: E402


def distinct_faces(packs):
    """Faces in several packs of one data set (or of data sets that extend each other, as styles256_v3 does
    styles256_v2): each face index once, however many packs drew it."""
    return int(len(np.unique(np.concatenate([np.asarray(d["index"]) for d in packs]))))


class PartPoints(torch.nn.Module):
    """The refiner's interface: the part centres and the head centre (x, y fractions of its crop), 1 x 10."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, crop):
        return self.model(crop)[:, 5:5 + 2 * len(POINTS)]


def load_checkpoint(path):
    """A train.py checkpoint and its network, ready to trace."""
    ck = torch.load(pathlib.Path(path).expanduser())
    a = ck["args"]
    model = FaceLocator(ck["resolution"], tuple(int(w) for w in a["widths"].split(",")), a["hidden"],
                        a.get("heat_stride", 8))
    model.load_state_dict(ck["model"])
    return ck, model.eval()


def train_command(a):
    """The train.py command line of a checkpoint's arguments (--init recorded apart)."""
    return "/usr/bin/python3 models/locate/train.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in a.items() if v not in (None, False, 0) and k != "init")


def training_record(ck, data):
    a = ck["args"]
    return {"command": train_command(a),
            "data": data, "epochs": ck["epoch"], "wall_minutes": round(ck["wall_s"] / 60, 1),
            "history": ck["history"], "exported": datetime.date.today().isoformat(),
            **({"init": str(a["init"])} if a.get("init") else {})}


def export_refiner(args):
    if not args.refiner_data:
        sys.exit("export: error: --refiner needs --refiner-data (the .npz it was trained on)")
    ck, model = load_checkpoint(args.refiner)
    res = ck["resolution"]
    data = [np.load(pathlib.Path(d).expanduser()) for d in args.refiner_data.split(",")]
    crop = [int(v) for v in data[0]["crop"]]
    if any([int(v) for v in d["crop"]] != crop for d in data):
        sys.exit("export: error: the refiner's data files have different crops")
    # The looks face.locate took before each training crop was cut (prepare_refine.py --passes; packs
    # from before that option: 2): the node's default `passes` follows it.
    passes = {int(d["passes"]) if "passes" in d.files else 2 for d in data}
    if len(passes) != 1:
        sys.exit("export: error: the refiner's data files were cut after different numbers of looks (--passes)")
    if crop[2] != res:
        sys.exit(f"export: error: the refiner's input is {res} px but its crop is {crop[2]} px")
    out = pathlib.Path(args.out)
    manifest = json.loads((out / "manifest.json").read_text())
    traced = torch.jit.freeze(torch.jit.trace(PartPoints(model).eval(), torch.ones(1, 1, res, res)))
    tmp = out / "refiner.pt.tmp"
    traced.save(str(tmp))
    tmp.replace(out / "refiner.pt")
    before = manifest.get("refiner", {}).get("training")
    manifest["refiner"] = {
        "file": "refiner.pt", "input_size": res, "crop": crop, "max_shift": 16,
        "doc": "face.locate's third look: the drawing warped into the found frame (face.warp's pixels at the "
               "canonical size), cut to crop = [x0, y0, side] canonical px; outputs the x, y of "
               + ", ".join(POINTS) + " as fractions of the crop; a centre moving more than max_shift "
               "canonical px from the locator's last look is ignored; head: whether the head centre moves the frame; "
               "passes: the locator's looks before the training crops were cut (face.locate's default `passes`)",
        "head": True,
        "passes": passes.pop(),
        "shapes": [[1, 1, res, res], [1, 2 * len(POINTS)]],
        "sha256": hashlib.sha256((out / "refiner.pt").read_bytes()).hexdigest(),
        "training": training_record(ck, {"file": "models/locate/prepare_refine.py", "drawings": int(sum(len(d["split"]) for d in data)),
                                         "faces": distinct_faces(data)}),
    }
    if before and ck["args"].get("init"):  # went on from earlier weights: keep their record, newest first
        earlier = {k: v for k, v in before.items() if k != "previous"}
        manifest["refiner"]["training"]["previous"] = [earlier] + before.get("previous", [])
    if args.evaluation:
        manifest["evaluation"] = json.loads(pathlib.Path(args.evaluation).read_text())
    (out / "manifest.json.tmp").write_text(json.dumps(manifest, indent=2) + "\n")
    (out / "manifest.json.tmp").replace(out / "manifest.json")
    print(f"export: wrote {out / 'refiner.pt'} and the manifest's refiner")


def main():
    ap = argparse.ArgumentParser(description="Export Sumi's face locator.")
    ap.add_argument("--checkpoint", help="the locator's checkpoint.pt")
    ap.add_argument("--data", help="the .npz the locator was trained on (several: comma-separated)")
    ap.add_argument("--dataset", help="the generated data set folder (for dataset.json; the last one)")
    ap.add_argument("--refiner", help="a part refiner's checkpoint.pt: added to the manifest at --out")
    ap.add_argument("--refiner-data", help="the .npz the refiner was trained on (prepare_refine.py; several: comma-separated)")
    ap.add_argument("--out", default="models/locate")
    ap.add_argument("--evaluation", help="JSON written by evaluate.py --json, recorded in the manifest")
    args = ap.parse_args()
    if args.refiner:
        export_refiner(args)
        return
    if not (args.checkpoint and args.data and args.dataset):
        ap.error("--checkpoint, --data and --dataset are required (or --refiner and --refiner-data)")
    ck, model = load_checkpoint(args.checkpoint)
    a = ck["args"]
    res = ck["resolution"]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        before = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        before = {}
    traced = torch.jit.freeze(torch.jit.trace(model, torch.ones(1, 1, res, res)))
    tmp = out / "locator.pt.tmp"
    traced.save(str(tmp))
    tmp.replace(out / "locator.pt")

    parts = [np.load(pathlib.Path(p).expanduser()) for p in args.data.split(",")]
    mean_boxes = np.concatenate([d["canonical"][d["split"] == 0] for d in parts]).mean(axis=0)  # [4, 4] cx, cy, w, h
    train_styles = sorted({str(d["styles"][i]) for d in parts for i in np.unique(d["style"][d["split"] == 0])})
    folder = pathlib.Path(args.dataset).expanduser()
    # dataset.json is written when a generation ends; run.json (its settings) from the start.
    dataset = json.loads((folder / ("dataset.json" if (folder / "dataset.json").exists() else "run.json")).read_text())
    size = int(dataset["size"])
    v2 = dataset.get("v2", {})
    # The canonical head box: the adventurer head as rendered without framing (models/data/README.md).
    head = dataset.get("canonical_head_box") or v2.get("settings", {}).get("canonical_head_256", [48, 54, 217, 206])
    canonical = {"size": size, "head_box": [v * size / 256 for v in head]}
    manifest = {
        "format": "sumi.models", "version": 1, "name": f"locate{res}", "kind": "face-locator",
        "canonical": {"size": canonical["size"], "head_box": canonical["head_box"],
                      "parts": {p: [round(float(v), 2) for v in mean_boxes[i]] for i, p in enumerate(SIZED_PARTS)},
                      "doc": "the models' canonical face frame: the adventurer head box as rendered by models/data "
                             "without framing; parts = mean training boxes [cx, cy, w, h] (an empty drawing's frame)"},
        "locator": {"file": "locator.pt", "input_size": res, "outputs": OUTPUTS,
                    "layout": ["head centre x, y (fractions of the padded square)", "log scale", "cos, sin rotation",
                               f"centres x, y of {', '.join(POINTS)}", f"canonical w, h of {', '.join(SIZED_PARTS)}"],
                    "shapes": [[1, 1, res, res], [1, OUTPUTS]],
                    "sha256": hashlib.sha256((out / "locator.pt").read_bytes()).hexdigest(),
                    # face.locate then loads both networks through torch.jit.optimize_for_inference on
                    # the CPU (engine/frozen_models.h: faster, outputs within float rounding)
                    "optimize_for_inference": True},
        "data": {"generator": "models/data/generate.mjs", "generator_version": dataset.get("generator_version"),
                 "styles": train_styles,
                 "heldout_style": dataset.get("heldout_style") or v2.get("heldout"),
                 "faces": distinct_faces(parts),
                 "drawings": int(sum(len(d["split"]) for d in parts)),
                 "command": dataset.get("command"),
                 "line_styles": "per face line_style (prepare.py) + partial copies"
                                + (" + schematic copies (schematic.py)" if any("schematic" in d.files and d["schematic"].any()
                                                                               for d in parts) else "")},
        "training": {"command": train_command(a),
                     "epochs": ck["epoch"], "wall_minutes": round(ck["wall_s"] / 60, 1), "history": ck["history"],
                     "exported": datetime.date.today().isoformat()},
        "licence": "weights: as Sumi; trained on DiceBear art, see models/data/ATTRIBUTION.md",
    }
    if "refiner" in before:  # trained on crops the locator finds; kept until retrained (prepare_refine.py)
        manifest["refiner"] = before["refiner"]
    if a.get("init") and "training" in before:  # this run went on from the locator that was there
        earlier = before["training"]
        runs = earlier.get("runs") or [{k: earlier[k] for k in ("command", "epochs", "wall_minutes") if k in earlier}]
        manifest["training"]["runs"] = runs + [{"run": len(runs) + 1, "command": manifest["training"]["command"],
                                                 "init": str(a["init"]), "faces": manifest["data"]["faces"],
                                                 "drawings": manifest["data"]["drawings"], "epochs": ck["epoch"],
                                                 "wall_minutes": manifest["training"]["wall_minutes"]}]
        manifest["training"]["doc"] = "runs in order, each starting from the one before's weights; command/history are the last's"
    if args.evaluation:
        manifest["evaluation"] = json.loads(pathlib.Path(args.evaluation).read_text())
    (out / "manifest.json.tmp").write_text(json.dumps(manifest, indent=2) + "\n")
    (out / "manifest.json.tmp").replace(out / "manifest.json")
    print(f"export: wrote {out / 'locator.pt'} and {out / 'manifest.json'}")


if __name__ == "__main__":
    main()
