#!/usr/bin/python3
"""Exports AniFaceDrawing's trained networks for the engine: TorchScript
synthesis (noise frozen to constants: a code always gives the same image),
image encoder (teacher), sketch encoder and mapping network (Debian's torch
1.13, the same as the engine's LibTorch), and models/stylegan/manifest.json
that latent.encode_image / latent.encode_sketch / synth.stylegan read.

    /usr/bin/python3 models/stylegan/export.py --teacher ~/sumi-work/stylegan/teacher.pt \\
        --sketch ~/sumi-work/stylegan/sketch.pt --out models/stylegan

With --teacher models/stylegan (a sketch encoder retrained against the shipped teacher), only
sketch_encoder.pt is written anew; the teacher's files are kept (or copied) unchanged.
"""
import argparse
import datetime
import hashlib
import json
import pathlib
import shutil
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "synth"))
from export import macs  # noqa: E402  (models/synth/export.py)
from stylegan_model import ImageEncoder, Mapping, SketchEncoder, Synthesis, load_teacher  # noqa: E402


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def training_data(teacher_args):
    """(licence, data record) of the faces the teacher learnt from: a canonical-frame pack of
    models/synth/prepare_canonical.py holds several DiceBear styles; models/parts/prepare.py's colours, adventurer."""
    import numpy as np
    path = pathlib.Path(teacher_args.get("colours", "")).expanduser()
    try:
        d = np.load(path)
        styles = [str(x) for x in d["styles"]] if "styles" in d.files else ["adventurer"]
        split = d["split"]
        record = {"pack": path.name, "faces": {"train": int((split == 0).sum()), "val": int((split == 1).sum())},
                  "styles": styles}
        if "data_version" in d.files:
            record["data_version"] = str(d["data_version"])
        if "style" in d.files and (split == 3).any():  # the held-out style never trained on
            record["held_out"] = sorted({styles[i] for i in d["style"][split == 3]})
    except (OSError, KeyError, ValueError) as e:
        print(f"export: warning: cannot read the training faces {path} ({e}); the manifest names no data", file=sys.stderr)
        return "weights: MIT (Sumi); training art: see models/data/ATTRIBUTION.md", None
    if styles == ["adventurer"]:
        return "weights: MIT (Sumi); training art: DiceBear adventurer by Lisa Wischofsky, CC BY 4.0", record
    return ("weights: MIT (Sumi); training art: DiceBear styles, each under its own licence "
            "(models/data/ATTRIBUTION.md)", record)


def main():
    ap = argparse.ArgumentParser(description="Export Sumi's AniFaceDrawing (StyleGAN) models.")
    ap.add_argument("--teacher", required=True, help="teacher.pt from train_teacher.py, or the exported folder the "
                    "sketch encoder was trained against (its teacher is copied unchanged)")
    ap.add_argument("--sketch", required=True, help="sketch.pt from train_sketch.py")
    ap.add_argument("--out", required=True, help="folder for the exported files (models/stylegan)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    t = load_teacher(args.teacher)
    s = torch.load(pathlib.Path(args.sketch).expanduser())
    size, w_dim = t["size"], t["args"]["w_dim"]
    if s["teacher_epoch"] != t["epoch"]:
        print(f"export: warning: the sketch encoder learnt the codes of the teacher at epoch {s['teacher_epoch']}, "
              f"this teacher is at epoch {t['epoch']}", file=sys.stderr)
    syn, enc, sk, mapping = Synthesis(size, w_dim), ImageEncoder(size, w_dim), SketchEncoder(size, w_dim), Mapping(128, w_dim)
    syn.load_state_dict(t["synthesis"])
    enc.load_state_dict(t["encoder"])
    mapping.load_state_dict(t["mapping"])
    sk.load_state_dict(s["model"])
    for m in (syn, enc, sk, mapping):
        m.eval()
    syn.freeze_noise()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = syn.num_ws
    ws = torch.zeros(1, n, w_dim)
    # A sketch encoder retrained against an exported teacher: the faces it learnt from name the data and licence.
    licence, data = training_data(s["args"] if "export" in t else t["args"])
    with torch.no_grad():
        traced = {"synthesis.pt": torch.jit.trace(syn, ws),
                  "image_encoder.pt": torch.jit.trace(enc, torch.ones(1, 3, size, size)),
                  "sketch_encoder.pt": torch.jit.trace(sk, torch.ones(1, 1, size, size)),
                  "mapping.pt": torch.jit.trace(mapping, torch.randn(1, 128))}
    for name, module in traced.items():
        if "export" in t and name != "sketch_encoder.pt":
            # The teacher's files stay byte for byte what they were (a re-trace computes the same, in new bytes).
            src = pathlib.Path(t["export"]["folder"]) / name
            if src.resolve() != (out / name).resolve():
                shutil.copyfile(src, out / name)
            continue
        module.save(str(out / name))
    manifest = {
        "format": "sumi.stylegan", "version": 1, "name": f"stylegan{size}", "size": size, "w_dim": w_dim, "num_ws": n,
        "sketch_size": size, "synthesis": "synthesis.pt", "image_encoder": "image_encoder.pt",
        "sketch_encoder": "sketch_encoder.pt", "mapping": "mapping.pt", "z_dim": 128,
        "layers": {"note": "one w per synthesis convolution (and the last toRGB), coarse to fine: "
                           "0-3 at 4-8 px shape the face, 4-7 at 16-32 px its parts, 8+ at 64 px and up colour and texture",
                   "resolution": [4, 4] + [r for r in (8, 16, 32, 64, 128, 256, 512) if r <= size for _ in (0, 1)][:n - 2]},
        "cost": {"synthesis_gmac": round(macs(syn, ws) / 1e9, 3),
                 "sketch_encoder_gmac": round(macs(sk, torch.ones(1, 1, size, size)) / 1e9, 3),
                 "note": "multiply-accumulates per portrait (1 GMAC = 2 GFLOP)"},
        "sha256": {name: sha256(out / name) for name in traced},
        "licence": licence,
        "training": {
            **({"data": data} if data else {}),
            "teacher": t["export"]["record"] if "export" in t else {"command": "models/stylegan/train_teacher.py " + " ".join(
                f"--{k.replace('_', '-')} {v}" for k, v in t["args"].items() if k not in ("colours", "out", "parts")),
                "epochs_completed": t["epoch"], "step_in_epoch": t["step"],
                "wall_minutes": round(t["wall_seconds"] / 60, 1), "val": t["val"],
                **({"started_from": t["started_from"]} if t.get("started_from") else {})},
            "sketch_encoder": {"command": "models/stylegan/train_sketch.py " + " ".join(
                f"--{k.replace('_', '-')} {v}" for k, v in s["args"].items()
                if k not in ("sketches", "colours", "teacher", "out", "parts")),
                "epochs_completed": s["epoch"], "step_in_epoch": s["step"],
                "wall_minutes": round(s["wall_seconds"] / 60, 1), "val": s["val"],
                **({"started_from": s["started_from"]} if s.get("started_from") else {})},
            "exported": datetime.date.today().isoformat()},
    }
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(out / "manifest.json")
    print(f"export: wrote {out / 'manifest.json'} ({size} px, W+ {n} x {w_dim})")


if __name__ == "__main__":
    main()
