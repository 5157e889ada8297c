#!/usr/bin/python3
"""Exports AniFaceDrawing's trained networks for the engine: TorchScript
synthesis (noise frozen to constants: a code always gives the same image),
image encoder (teacher), sketch encoder and mapping network (Debian's torch
1.13, the same as the engine's LibTorch), and models/stylegan/manifest.json
that latent.encode_image / latent.encode_sketch / synth.stylegan read.

    /usr/bin/python3 models/stylegan/export.py --teacher ~/sumi-work/stylegan/teacher.pt \\
        --sketch ~/sumi-work/stylegan/sketch.pt --out models/stylegan

With --teacher models/stylegan (a sketch encoder retrained against the shipped teacher), only
sketch_encoder.pt is written anew; the teacher's files are kept (or copied) unchanged. With
--guided (train_guided.py's checkpoint) the synthesis is replaced by one that also follows the sketch
(and the encoders too when that run trained them, --encoders-lr):

    /usr/bin/python3 models/stylegan/export.py --teacher models/stylegan --guided ~/sumi-work/afd-guided/guided.pt \\
        --out models/stylegan
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
from stylegan_model import (GuidedSynthesis, Mapping, SketchEncoder, Synthesis, image_encoder_for,  # noqa: E402
                            load_teacher)


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
    ap.add_argument("--teacher", required=True, help="teacher.pt from train_teacher.py, or an exported folder whose "
                    "teacher (and, without --sketch, sketch encoder) is kept byte for byte")
    ap.add_argument("--sketch", help="sketch.pt from train_sketch.py (needed unless --teacher is an exported folder)")
    ap.add_argument("--guided", help="guided.pt from train_guided.py: a synthesis that follows the sketch replaces "
                    "the teacher's (the manifest gets \"guide\")")
    ap.add_argument("--out", required=True, help="folder for the exported files (models/stylegan)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    t = load_teacher(args.teacher)
    exported = t.get("export")
    if not args.sketch and not exported:
        sys.exit("export: error: --sketch is needed unless --teacher is an exported folder")
    s = torch.load(pathlib.Path(args.sketch).expanduser()) if args.sketch else None
    guided = torch.load(pathlib.Path(args.guided).expanduser()) if args.guided else None
    size, w_dim = t["size"], t["args"]["w_dim"]
    guided_encoders = bool(guided) and "image_encoder" in guided
    # What the guided run changed (train_guided.py --image-encoder-only: the image encoder alone); older
    # checkpoints have no record: the synthesis, and the encoders when they were saved.
    trained = list(guided.get("trained", ["synthesis"] + (["image_encoder", "sketch_encoder"] if guided_encoders
                                                             else []))) if guided else []
    if s and "sketch_encoder" in trained:
        sys.exit("export: error: --guided trained its own sketch encoder (--encoders-lr); leave out --sketch")
    if s and s["teacher_epoch"] != t["epoch"]:
        print(f"export: warning: the sketch encoder learnt the codes of the teacher at epoch {s['teacher_epoch']}, "
              f"this teacher is at epoch {t['epoch']}", file=sys.stderr)
    # The synthesis follows the sketch when it is new from train_guided.py or kept from a guided export.
    follows = guided is not None or any(k.startswith("guides.") for k in t["synthesis"])
    syn = GuidedSynthesis(size, w_dim) if follows else Synthesis(size, w_dim)
    enc_state = guided["image_encoder"] if guided_encoders else t["encoder"]
    enc, sk, mapping = image_encoder_for(enc_state, size, w_dim), SketchEncoder(size, w_dim), Mapping(128, w_dim)
    syn.load_state_dict(guided["synthesis"] if guided else t["synthesis"])
    enc.load_state_dict(enc_state)
    mapping.load_state_dict(t["mapping"])
    if s:
        sk.load_state_dict(s["model"])
    elif guided_encoders:
        sk.load_state_dict(guided["sketch_encoder"])
    for m in (syn, enc, sk, mapping):
        m.eval()
    syn.freeze_noise()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    n = syn.num_ws
    ws = torch.zeros(1, n, w_dim)
    syn_inputs = (ws, torch.ones(1, 1, size, size)) if follows else (ws,)
    # The faces the newest network learnt from name the data and the licence.
    if guided:
        licence, data = training_data({"colours": guided["args"]["data"]})
    elif exported and s:
        licence, data = training_data(s["args"])
    elif exported:
        licence, data = exported["licence"], exported["manifest"].get("training", {}).get("data")
    else:
        licence, data = training_data(t["args"])
    written = {"synthesis.pt": "synthesis" in trained or not exported,
               "image_encoder.pt": "image_encoder" in trained or not exported,
               "sketch_encoder.pt": s is not None or "sketch_encoder" in trained, "mapping.pt": not exported}
    with torch.no_grad():
        modules = {"synthesis.pt": (syn, syn_inputs), "image_encoder.pt": (enc, (torch.ones(1, 3, size, size),)),
                   "sketch_encoder.pt": (sk, (torch.ones(1, 1, size, size),)), "mapping.pt": (mapping, (torch.randn(1, 128),))}
        for name, (module, inputs) in modules.items():
            if written[name]:
                torch.jit.trace(module, inputs).save(str(out / name))
                continue
            # Kept from the exported folder byte for byte (a re-trace computes the same, in new bytes).
            src = pathlib.Path(exported["folder"]) / name
            if src.resolve() != (out / name).resolve():
                shutil.copyfile(src, out / name)
    before = exported["manifest"].get("training", {}) if exported else {}

    root = HERE.parents[1]

    def shown(v):  # a path inside the repository relative to it, one in the home folder as ~/... (the
        # manifest names no machine's folders)
        if not (isinstance(v, str) and "/" in v):
            return v
        path = pathlib.Path(v).expanduser().resolve()
        for base, prefix in ((root, ""), (pathlib.Path.home().resolve(), "~/")):
            try:
                return prefix + str(path.relative_to(base))
            except ValueError:
                pass
        return v

    def flag(k, v):  # a switch (store_true) is its name alone when on, nothing when off; an unset option nothing
        name = f"--{k.replace('_', '-')}"
        if v is None or v == "":
            return ""
        return (name if v else "") if isinstance(v, bool) else f"{name} {shown(v)}"

    def record(script, ck):  # the data files are named by the "data" record
        return {"command": f"models/stylegan/{script} " + " ".join(
                    f for k, v in ck["args"].items()
                    if k not in ("sketches", "colours", "teacher", "out", "parts", "data") and (f := flag(k, v))),
                "epochs_completed": ck["epoch"], "step_in_epoch": ck["step"],
                "wall_minutes": round(ck["wall_seconds"] / 60, 1), "val": ck["val"],
                **({"started_from": ck["started_from"]} if ck.get("started_from") else {})}
    training = {**({"data": data} if data else {}),
                "teacher": exported["record"] if exported else record("train_teacher.py", t),
                "sketch_encoder": record("train_sketch.py", s) if s else before.get("sketch_encoder", {}),
                # An image-encoder-only run keeps the synthesis's record and adds its own (its started_from is the
                # encoder's record before it).
                **({"guided": before["guided"],
                    "image_encoder": {**record("train_guided.py", guided), "trained": ["image_encoder"],
                                      **({"colour_grid": enc.colour_grid} if enc.colour_grid else {})}}
                   if guided and trained == ["image_encoder"] and "guided" in before else
                   {"guided": {**record("train_guided.py", guided),
                               "trained": trained,
                               **({"encoders_note": "the teacher and sketch_encoder records are how the encoders were "
                                                    "trained before this run continued them"} if guided_encoders else {}),
                               **({"continued": {k: before["guided"][k] for k in ("command", "epochs_completed",
                                                                                  "wall_minutes") if k in before["guided"]}}
                                  if "guided" in before and guided.get("started_from") is not None else {})}}
                   if guided else
                   {"guided": before["guided"]} if follows and "guided" in before else {}),
                # an image-encoder-only run's record stays while its image_encoder.pt is kept
                **({"image_encoder": before["image_encoder"]}
                   if "image_encoder" in before and not written["image_encoder.pt"] else {}),
                "exported": datetime.date.today().isoformat()}
    manifest = {
        "format": "sumi.stylegan", "version": 1, "name": f"stylegan{size}", "size": size, "w_dim": w_dim, "num_ws": n,
        "sketch_size": size, "synthesis": "synthesis.pt", "image_encoder": "image_encoder.pt",
        "sketch_encoder": "sketch_encoder.pt", "mapping": "mapping.pt", "z_dim": 128,
        "layers": {"note": "one w per synthesis convolution (and the last toRGB), coarse to fine: "
                           "0-3 at 4-8 px shape the face, 4-7 at 16-32 px its parts, 8+ at 64 px and up colour and texture",
                   "resolution": [4, 4] + [r for r in (8, 16, 32, 64, 128, 256, 512) if r <= size for _ in (0, 1)][:n - 2]},
        **({"guide": {"input": "the canonical-frame sketch, 1 x 1 x size x size, 1 = paper (synth.stylegan's sketch)",
                      "resolutions": list(syn.guide_res),
                      "note": "forward(ws, sketch): the sketch is read at these resolutions and added to the features "
                              "between each one's two style layers (train_guided.py)"}} if follows else {}),
        "cost": {"synthesis_gmac": round(macs(syn, *syn_inputs) / 1e9, 3),
                 "sketch_encoder_gmac": round(macs(sk, torch.ones(1, 1, size, size)) / 1e9, 3),
                 "note": "multiply-accumulates per portrait (1 GMAC = 2 GFLOP)"},
        "sha256": {name: sha256(out / name) for name in modules},
        "licence": licence,
        "training": training,
    }
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(out / "manifest.json")
    print(f"export: wrote {out / 'manifest.json'} ({size} px, W+ {n} x {w_dim}{', guided' if follows else ''})")


if __name__ == "__main__":
    main()
