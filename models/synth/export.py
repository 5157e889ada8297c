#!/usr/bin/python3
"""Exports a trained synthesis model for the engine: TorchScript feature
decoders (one per part) and the generator (Debian's torch 1.13, the same as the
engine's LibTorch), and the manifest models/synth/manifest.json that
synth.feature_map / synth.paste_features / synth.image read.

    /usr/bin/python3 models/synth/export.py --checkpoint ~/sumi-work/synth/checkpoint.pt --out models/synth

The manifest records each file's SHA-256, so replacing weights changes the
manifest and invalidates cached results that used the old ones.
"""
import argparse
import datetime
import hashlib
import json
import pathlib
import sys

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from synth_model import PARTS, LearntChannels, Synthesis, load_line_decoders  # noqa: E402

LINE_CHANNEL_NOTE = (
    "the last feature channel is the ink of each part's sketch as the part models' decoder draws it, area-scaled "
    "to the map; the feature decoders draw the other channels, and synth.feature_map appends this one from its "
    "`line` input (latent.decode's image of the same latent: graphs/part_chain.sumi.json links it), so each part's "
    "decoder runs once for the shadow guidance and the portrait")


def macs(module, *inputs):
    """Multiply-accumulates of one forward, counted with hooks: nn.Conv2d, nn.Linear, and any other module
    holding a 4-D convolution `weight` (StyleGAN's modulated convolutions). TorchScript submodules (the frozen
    part decoders inside the feature decoders) are not counted."""
    total = [0]

    def conv(m, _, out):
        w = m.weight
        total[0] += out.numel() * w.shape[1] * w.shape[2] * w.shape[3]  # weight is cout x cin/groups x k x k

    def linear(m, _, out):
        total[0] += out.numel() * m.in_features

    hooks = []
    for m in module.modules():
        if isinstance(m, torch.jit.ScriptModule):
            continue
        if isinstance(m, torch.nn.Linear):
            hooks.append(m.register_forward_hook(linear))
        elif isinstance(getattr(m, "weight", None), torch.Tensor) and m.weight.dim() == 4:
            hooks.append(m.register_forward_hook(conv))
    with torch.no_grad():
        module(*inputs)
    for h in hooks:
        h.remove()
    return total[0]


def training_command(a):
    """The train.py command line of a checkpoint's arguments, with placeholders for the machine's own paths to
    data and output, and without options left empty."""
    placeholders = {"sketches": "SKETCHES.npz", "colours": "COLOURS.npz", "canonical": "CANONICAL.npz", "out": "OUT"}
    words = []
    for k, v in a.items():
        if k == "parts" or v in ("", None):
            continue
        words.append(f"--{k.replace('_', '-')} {placeholders.get(k, v)}")
    return "models/synth/train.py " + " ".join(words)


def provenance(path):
    """How the finished model a smaller generator learnt from was trained (its feature decoders ship unchanged)."""
    ck = torch.load(path)
    a = ck["args"]
    return {"command": training_command(a),
            "generator_widths": a.get("generator_widths", "48,96,48,16"), "epochs_completed": ck["epoch"],
            "wall_minutes": round(ck["wall_seconds"] / 60, 1), "val": ck.get("val", [])}


def line_channel_entry(parts_manifest):
    return {"note": LINE_CHANNEL_NOTE,
            "part_decoders_sha256": {p: parts_manifest["parts"][p]["sha256"]["decoder.pt"] for p in PARTS}}


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description="Export Sumi's synthesis model.")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True, help="folder for the exported files (models/synth)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(pathlib.Path(args.checkpoint).expanduser())
    a, size = ck["args"], ck["size"]
    parts_manifest = json.loads(pathlib.Path(a["parts"]).read_text())
    lines = load_line_decoders(a["parts"]) if ck.get("line_channel") else None
    widths = [int(v) for v in a.get("generator_widths", "48,96,48,16").split(",")]
    blocks = int(a.get("generator_blocks", 3))
    guided = bool(a.get("guide", 0))
    model = Synthesis({p: tuple(w) for p, w in ck["windows"].items()}, size=size, line_decoders=lines,
                      generator_widths=widths, generator_blocks=blocks, guide=guided)
    model.load_state_dict(ck["model"])
    model.eval()
    channels, latent, hint = model.channels, 512, size // 2
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"format": "sumi.synth", "version": 1, "name": f"synth{size}", "size": size, "channels": channels,
                "hint_size": hint, "latent": latent, "canvas": int(ck["canvas"]), "parts": {}}
    files = []
    with torch.no_grad():
        for p in PARTS:
            # The learnt channels only: synth.feature_map appends the line channel from the part's sketch, which
            # the graph decodes anyway (part_chain links latent.decode's image to its `line`).
            dec = LearntChannels(model.decoders[p]) if lines else model.decoders[p]
            shape = list(dec(torch.zeros(1, latent)).shape)
            traced = torch.jit.trace(dec, torch.zeros(1, latent))
            name = f"{p}_features.pt"
            traced.save(str(out / name))
            files.append(name)
            manifest["parts"][p] = {"window": parts_manifest["parts"][p]["window"], "map_size": shape[-1],
                                    "feature_decoder": name, "shapes": [[1, latent], shape]}
        gen_in = (torch.zeros(1, channels, size, size), torch.zeros(1, 3, hint, hint), torch.zeros(1, 1, hint, hint))
        if guided:
            gen_in = gen_in + (torch.ones(1, 1, size, size),)
        gen = torch.jit.trace(model.generator, gen_in)
        gen.save(str(out / "generator.pt"))
        files.append("generator.pt")
    dec_macs = sum(macs(model.decoders[p], torch.zeros(1, latent)) for p in PARTS)
    manifest["cost"] = {"generator_gmac": round(macs(model.generator, *gen_in) / 1e9, 3),
                        "feature_decoders_gmac": round(dec_macs / 1e9, 3),
                        "note": "multiply-accumulates per portrait (1 GMAC = 2 GFLOP)"}
    manifest["generator"] = "generator.pt"
    manifest["generator_architecture"] = {"widths": widths, "blocks": blocks}
    if lines:
        manifest["line_channel"] = line_channel_entry(parts_manifest)
    manifest["generator_shapes"] = [[list(t.shape) for t in gen_in], [1, 3, size, size]]
    if guided:
        manifest["guide"] = {
            "size": size,
            "note": "the generator's last input is the canonical-frame sketch (1 = paper), area-scaled to size; "
                    "synth.image takes it on its `sketch` input"}
    if a.get("canonical"):
        data = np.load(pathlib.Path(a["canonical"]).expanduser())
        split = data["split"]
        manifest["data"] = {
            "source": "models/data generator " + str(data["data_version"]) + " (multi-style, random framing), "
                      "canonical frame through Sumi's nodes (models/synth/prepare_canonical.py)",
            "training_styles": sorted({str(data["styles"][s]) for s in np.unique(data["style"][split == 0])}),
            "train_faces": int((split == 0).sum()),
            "heldout_style": sorted({str(data["styles"][s]) for s in np.unique(data["style"][split == 3])}),
            "heldout_faces_for_validation_only": int((split == 3).sum()),
            "frame_jitter": [float(v) for v in data["jitter_args"]]}
    manifest["sha256"] = {f: sha256(out / f) for f in files}
    manifest["licence"] = ("weights: MIT (Sumi); training art: DiceBear styles, each under its own licence "
                           "(models/data/ATTRIBUTION.md)" if a.get("canonical") else
                           "weights: MIT (Sumi); training art: DiceBear adventurer by Lisa Wischofsky, CC BY 4.0")
    manifest["training"] = {
        "command": training_command(a),
        "epochs_completed": ck["epoch"], "step_in_epoch": ck["step"], "wall_minutes": round(ck["wall_seconds"] / 60, 1),
        "line_channel_added": ck.get("line_history", []),
        "parameters": sum(q.numel() for q in model.parameters()),
        "val": ck.get("val", []), "exported": datetime.date.today().isoformat()}
    if a.get("student_of"):
        manifest["training"]["feature_decoders_and_teacher"] = provenance(pathlib.Path(a["student_of"]).expanduser())
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(out / "manifest.json")
    print(f"export: wrote {out / 'manifest.json'} ({size} px, epoch {ck['epoch']} step {ck['step']}, "
          f"{manifest['training']['wall_minutes']} min of training)")


if __name__ == "__main__":
    main()
