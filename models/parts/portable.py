#!/usr/bin/python3
"""Moves part-model training to another machine (a GPU box with a newer PyTorch and
a small upload limit) and back, in forms any PyTorch and NumPy read:

    # here: a compact training set (2-bit sketches, xz) and the starting weights (float16 .npz)
    /usr/bin/python3 models/parts/portable.py pack --data ~/sumi-data/canonical_v2.npz --train-faces 26000 --out pack/
    # there: train from them
    python3 models/parts/train.py --data pack/sketches.npz.xz --init pack/init.npz --device cuda --out ck/ ...
    python3 models/parts/portable.py weights --checkpoint ck/checkpoint.pt --out $OUT
    # here: a checkpoint export.py takes (Debian's torch), then export as usual
    /usr/bin/python3 models/parts/portable.py checkpoint --weights DIR --out ~/sumi-work/parts-gpu/checkpoint.pt

2-bit sketches keep four grey levels (0, 85, 170, 255) of the anti-aliased lines: about 1.6 kB a face after xz,
against 65 kB raw. Weights travel as one float32 .npz per part (each under 16 MB) plus meta.json.
"""
import argparse
import json
import lzma
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]


def pack_2bit(sketches):
    """uint8 N x H x W (W a multiple of 4) -> uint8 N x H x W/4, four grey levels."""
    q = ((sketches.astype(np.int32) + 42) // 85).astype(np.uint8)
    return (q[..., 0::4] << 6) | (q[..., 1::4] << 4) | (q[..., 2::4] << 2) | q[..., 3::4]


def unpack_2bit(packed):
    n, h, w4 = packed.shape
    out = np.empty((n, h, w4 * 4), np.uint8)
    for k in range(4):
        out[..., k::4] = ((packed >> (6 - 2 * k)) & 3) * 85
    return out


def load_training_set(path):
    """A dict of arrays from a training .npz, or from a pack's sketches.npz.xz (sketches unpacked to uint8)."""
    path = pathlib.Path(path).expanduser()
    if path.suffix == ".xz":
        import io
        with lzma.open(path) as f:
            z = np.load(io.BytesIO(f.read()))
            data = {k: z[k] for k in z.files}
        data["sketches"] = unpack_2bit(data.pop("sketches_2bit"))
        return data
    return np.load(path)


def save_npz_xz(path, arrays):
    """Arrays -> one xz-compressed .npz (load_training_set and synth_portable.load_packed read it)."""
    import io
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with lzma.open(path, "wb", preset=6) as f:
        f.write(buf.getvalue())


def cmd_pack(args):
    data = np.load(pathlib.Path(args.data).expanduser(), mmap_mode="r")
    split = np.asarray(data["split"])
    rng = np.random.default_rng(args.seed)
    train = np.flatnonzero(split == 0)
    train = np.sort(rng.choice(train, min(args.train_faces, len(train)), replace=False))
    keep = np.concatenate([train, np.flatnonzero(split == 1)[:256], np.flatnonzero(split == 3)[:256]])
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    arrays = {"sketches_2bit": pack_2bit(np.asarray(data["sketches"][keep])), "split": split[keep],
              "ids": np.asarray(data["ids"])[keep]}
    for k in ("style", "styles", "windows"):
        if k in data.files:
            arrays[k] = np.asarray(data[k])[keep] if k == "style" else np.asarray(data[k])
    save_npz_xz(out / "sketches.npz.xz", arrays)
    print(f"pack: {len(train)} train + {len(keep) - len(train)} val/held-out faces -> {out / 'sketches.npz.xz'} "
          f"({(out / 'sketches.npz.xz').stat().st_size / 1e6:.1f} MB)")
    if args.init:
        import torch
        m = json.loads((pathlib.Path(args.init) / "manifest.json").read_text())
        state = {}
        for p in PARTS:
            for k in ("encoder", "decoder"):
                sd = torch.jit.load(str(pathlib.Path(args.init) / m["parts"][p][k])).state_dict()
                state.update({f"{p}.{k}.{n}": t.numpy().astype(np.float16 if t.is_floating_point() else t.numpy().dtype)
                              for n, t in sd.items()})
        np.savez(out / "init.npz", **state)
        print(f"pack: starting weights {args.init} -> {out / 'init.npz'} (float16)")


def load_init_npz(models, path):
    """Loads weights saved by `pack --init` (part.encoder|decoder.name -> array) into the autoencoders."""
    import torch
    z = np.load(path)
    for p, model in models.items():
        for k in ("encoder", "decoder"):
            sub = getattr(model, k)
            ref = sub.state_dict()
            sub.load_state_dict({n: torch.from_numpy(z[f"{p}.{k}.{n}"].astype(ref[n].numpy().dtype)) for n in ref})


def cmd_weights(args):
    import torch
    ck = torch.load(args.checkpoint, map_location="cpu")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for p in PARTS:
        np.savez(out / f"{p}.npz", **{n: t.float().numpy() if t.is_floating_point() else t.numpy()
                                       for n, t in ck["models"][p].items()})
    meta = {k: ck[k] for k in ("args", "windows", "sizes", "epoch", "step", "wall_seconds", "val") if k in ck}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    print(f"weights: {args.checkpoint} -> {out}")


def cmd_checkpoint(args):
    import torch
    src = pathlib.Path(args.weights)
    meta = json.loads((src / "meta.json").read_text())
    models = {}
    for p in PARTS:
        z = np.load(src / f"{p}.npz")
        models[p] = {n: torch.from_numpy(z[n]) for n in z.files}
    out = pathlib.Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({**meta, "models": models}, out)
    print(f"checkpoint: {src} -> {out}")


def main():
    ap = argparse.ArgumentParser(description="Carry part-model training to another machine and back.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="a compact training set (and starting weights) to upload")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--train-faces", type=int, default=26000)
    p.add_argument("--init", help="exported part models to start from (e.g. models/parts)")
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("weights", help="checkpoint -> one float32 .npz per part + meta.json")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("checkpoint", help="weights folder -> a checkpoint export.py reads")
    p.add_argument("--weights", required=True)
    p.add_argument("--out", required=True)
    args = ap.parse_args()
    {"pack": cmd_pack, "weights": cmd_weights, "checkpoint": cmd_checkpoint}[args.cmd](args)


if __name__ == "__main__":
    main()
