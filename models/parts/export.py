#!/usr/bin/python3
"""Exports trained part models for the engine: TorchScript encoders and
decoders (Debian's torch 1.13, the same as the engine's LibTorch), latent
banks of the clean training sketches (.npy, float16), and the manifest
models/parts/manifest.json that latent.encode / .decode / .project read.

    /usr/bin/python3 models/parts/export.py --checkpoint ~/sumi-work/parts/checkpoint.pt \
        --data ~/sumi-data/sketches256.npz --out models/parts [--bank-size 3000]

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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from parts_model import PartAutoencoder  # noqa: E402
from train import PARTS, crops  # noqa: E402


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description="Export Sumi's part models.")
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data", required=True, help="the sketches .npz the models were trained on")
    ap.add_argument("--out", required=True, help="folder for the exported files (models/parts)")
    ap.add_argument("--bank-size", type=int, default=3000, help="training faces per bank (keeps the files small)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(pathlib.Path(args.checkpoint).expanduser())
    a = ck["args"]
    widths = tuple(int(w) for w in a["widths"].split(","))
    sizes = ck["sizes"]
    data = np.load(pathlib.Path(args.data).expanduser())
    windows = torch.tensor(ck["windows"])
    sketches = data["sketches"]  # read once: indexing an .npz entry re-reads the whole array
    canvas = int(sketches.shape[-1])
    train_idx = np.flatnonzero(data["split"] == 0)[: args.bank_size]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"format": "sumi.models", "version": 1, "name": "parts256", "canvas": canvas, "parts": {}}
    for p, size in zip(PARTS, sizes):
        m = PartAutoencoder(size, a["latent"], widths)
        m.load_state_dict(ck["models"][p])
        m.eval()
        enc = torch.jit.trace(m.encoder, torch.ones(1, 1, size, size))
        dec = torch.jit.trace(m.decoder, torch.zeros(1, a["latent"]))
        enc.save(str(out / f"{p}_encoder.pt"))
        dec.save(str(out / f"{p}_decoder.pt"))
        bank = []
        with torch.no_grad():
            for start in range(0, len(train_idx), 256):
                idx = torch.from_numpy(train_idx[start:start + 256])
                clean = torch.from_numpy(sketches[idx.numpy()]).unsqueeze(1).float() / 255.0
                bank.append(m.encoder(crops(clean, windows, sizes)[p]))
        bank = torch.cat(bank).numpy().astype(np.float16)
        np.save(out / f"{p}_bank.npy", bank)
        manifest["parts"][p] = {
            "window": windows[PARTS.index(p)].tolist(), "input_size": size, "latent": a["latent"],
            "encoder": f"{p}_encoder.pt", "decoder": f"{p}_decoder.pt", "bank": f"{p}_bank.npy",
            "shapes": {"encoder": [[1, 1, size, size], [1, a["latent"]]], "decoder": [[1, a["latent"]], [1, 1, size, size]]},
            "sha256": {k: sha256(out / f"{p}_{k}") for k in ("encoder.pt", "decoder.pt", "bank.npy")},
        }
        print(f"export: {p}: {size} px crops, latent {a['latent']}, bank {bank.shape[0]} x {bank.shape[1]} float16")
    np.save(out / "bank_face_ids.npy", data["ids"][train_idx].astype(np.int32))
    manifest["bank_face_ids"] = "bank_face_ids.npy"
    manifest["data"] = {"faces": int(len(data["split"])), "train_faces": int((data["split"] == 0).sum()),
                        "bank_faces": int(len(train_idx))}
    if "styles" in data:  # multi-style, canonical frame (models/synth/prepare_canonical.py)
        split = data["split"]
        manifest["data"].update({
            "source": "models/data generator " + str(data["data_version"]) + " (multi-style, random framing), "
                      "canonical frame through Sumi's nodes (models/synth/prepare_canonical.py)",
            "training_styles": sorted({str(data["styles"][s]) for s in np.unique(data["style"][split == 0])}),
            "bank_styles": sorted({str(data["styles"][s]) for s in np.unique(data["style"][train_idx])}),
            "heldout_style": sorted({str(data["styles"][s]) for s in np.unique(data["style"][split == 3])})})
        manifest["licence"] = ("weights: MIT (Sumi); training art: DiceBear styles, each under its own licence "
                               "(models/data/ATTRIBUTION.md)")
    else:
        manifest["data"]["source"] = "DiceBear adventurer 9.4.3 faces from models/data/generate.mjs (seed 1)"
        manifest["licence"] = "weights: MIT (Sumi); training art: DiceBear adventurer by Lisa Wischofsky, CC BY 4.0"
    manifest["training"] = {"command": "models/parts/train.py " + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in a.items()
                                                                          if k not in ("data", "out") and v not in ("", None)),
                            "epochs": ck["epoch"], "wall_minutes": round(ck["wall_seconds"] / 60, 1),
                            "val_loss": ck.get("val"), "step_in_epoch": ck.get("step", 0),
                            "exported": datetime.date.today().isoformat()}
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(out / "manifest.json")
    print(f"export: wrote {out / 'manifest.json'}")


if __name__ == "__main__":
    main()
