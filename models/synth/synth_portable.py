#!/usr/bin/python3
"""Moves synthesis training to a GPU machine with a newer PyTorch and a small upload limit, and back
(as models/parts/portable.py does for the part models):

    # here: a subset of the canonical arrays (2-bit sketches, colours; xz), the part models and the
    # starting synthesis weights (float16 .npz); latents are not packed: they are recomputed there
    /usr/bin/python3 models/synth/synth_portable.py pack --canonical ~/sumi-data/canonical_v3.npz \\
        --parts PARTS/manifest.json --init models/synth --train-faces 6300 --out pack/
    # there
    python3 models/synth/train.py --canonical pack/data.npz.xz --parts pack/parts.npz --init pack/init.npz \\
        --guide 1 --device cuda --max-minutes 4 --out ck/ ...
    python3 models/synth/synth_portable.py weights --checkpoint ck/checkpoint.pt --out $OUT
    # here: a checkpoint export.py takes (the line decoders come from PARTS)
    /usr/bin/python3 models/synth/synth_portable.py checkpoint --weights DIR --parts PARTS/manifest.json \\
        --canonical ~/sumi-data/canonical_v3.npz --out ~/sumi-work/synth-gpu/checkpoint.pt

Latents there are what the nodes compute: the part encoders on crops() (face.split + latent.encode, tested in
tests/python/test_parts_training_inputs.py), projected as latent.project does (K nearest in the float16 bank by
squared distance, locally-linear weights with a ridge of `regularisation` x trace, summing to 1), on the bank
export.py writes (the first bank-size training faces, which the pack always holds).
"""
import argparse
import io
import json
import lzma
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "parts"))
PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]


def part_models_from_npz(path, device="cpu"):
    """parts.npz (written by `pack`) -> (encoders, decoders, windows, sizes, bank size)."""
    import torch
    from parts_model import PartDecoder, PartEncoder
    z = np.load(path)
    meta = json.loads(str(z["meta"]))
    enc, dec = {}, {}
    for p, size in zip(PARTS, meta["sizes"]):
        for k, cls, out in (("encoder", PartEncoder, enc), ("decoder", PartDecoder, dec)):
            m = cls(size, meta["latent"], tuple(meta["widths"]))
            ref = m.state_dict()
            m.load_state_dict({n: torch.from_numpy(z[f"{p}.{k}.{n}"].astype(ref[n].numpy().dtype)) for n in ref})
            out[p] = m.to(device).eval().requires_grad_(False)
    return enc, dec, torch.tensor(meta["windows"]).long(), meta["sizes"], meta["bank_size"], meta


def project(latents, bank, k=10, regularisation=1e-3):
    """latent.project at blend 1 for a batch: N x D latents, B x D bank -> N x D."""
    import torch
    d = torch.cdist(latents.double(), bank.double()) ** 2
    ids = d.topk(k, dim=1, largest=False).indices  # nearest first
    nb = bank[ids]  # N x K x D
    diff = (nb - latents[:, None]).double()
    gram = diff @ diff.transpose(1, 2)
    trace = gram.diagonal(dim1=1, dim2=2).sum(1)
    trace = torch.where(trace > 0, trace, torch.ones_like(trace))
    gram = gram + regularisation * trace[:, None, None] * torch.eye(k, dtype=gram.dtype, device=gram.device)
    w = torch.linalg.solve(gram, torch.ones(len(latents), k, 1, dtype=gram.dtype, device=gram.device))[..., 0]
    w = w / w.sum(1, keepdim=True)
    return (w.float()[:, :, None] * nb.float()).sum(1)


def compute_latents(sketches, bank_rows, parts_npz, device="cpu", batch=256):
    """uint8 N x 256 x 256 canonical sketches -> float16 latents and projected (N x 5 x D), as the nodes give."""
    import torch
    from train import crops  # models/parts/train.py
    enc, _, windows, sizes, _, _ = part_models_from_npz(parts_npz, device)
    lat = []
    with torch.no_grad():
        for s in range(0, len(sketches), batch):
            x = torch.from_numpy(sketches[s:s + batch]).to(device).unsqueeze(1).float() / 255.0
            c = crops(x, windows, sizes)
            lat.append(torch.stack([enc[p](c[p]) for p in PARTS], 1).half())
        lat = torch.cat(lat)  # float16, as prepare_canonical stores them
        proj = torch.empty_like(lat)
        for j in range(len(PARTS)):
            bank = lat[torch.as_tensor(bank_rows, device=lat.device), j].float()  # export.py's float16 bank
            for s in range(0, len(lat), batch):
                proj[s:s + batch, j] = project(lat[s:s + batch, j].float(), bank).half()
    return lat.cpu().numpy(), proj.cpu().numpy()


def load_packed(path, parts_npz, device=None):
    """data.npz.xz (from `pack`) -> the arrays CanonicalData reads, latents recomputed."""
    sys.path.insert(0, str(HERE.parent / "parts"))
    from portable import unpack_2bit  # models/parts/portable.py
    with lzma.open(pathlib.Path(path).expanduser()) as f:
        z = np.load(io.BytesIO(f.read()))
        d = {k: z[k] for k in z.files}
    d["sketches"] = unpack_2bit(d.pop("sketches_2bit"))
    import torch
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    d["latents"], d["projected"] = compute_latents(d["sketches"], d.pop("bank_rows"), parts_npz, device)
    return d


def cmd_pack(args):
    import torch
    src = np.load(pathlib.Path(args.canonical).expanduser())
    split = src["split"]
    parts_path = pathlib.Path(args.parts)
    pm = json.loads(parts_path.read_text())
    bank_size = int(pm["data"]["bank_faces"])
    train = np.flatnonzero(split == 0)
    bank = train[:bank_size]  # export.py's bank faces, in bank order
    rng = np.random.default_rng(args.seed)
    rest = rng.choice(train[bank_size:], max(0, args.train_faces - bank_size), replace=False)
    rows = np.concatenate([np.sort(np.concatenate([bank, rest])), np.flatnonzero(split == 1)[:128],
                           np.flatnonzero(split == 3)[:128]])
    where = {r: i for i, r in enumerate(rows)}
    sys.path.insert(0, str(HERE.parent / "parts"))
    from portable import pack_2bit, save_npz_xz  # models/parts/portable.py
    sk = src["sketches"]
    arrays = {"sketches_2bit": pack_2bit(sk[rows]), "colours": src["colours"][rows],
              "bank_rows": np.array([where[r] for r in bank], np.int64)}
    del sk
    for k in ("split", "style", "ids", "jitter"):
        arrays[k] = src[k][rows]
    for k in ("styles", "parts", "size", "canvas", "data_version", "jitter_args"):
        arrays[k] = src[k]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_npz_xz(out / "data.npz.xz", arrays)
    print(f"pack: {len(rows)} faces ({int((arrays['split'] == 0).sum())} train, bank {bank_size}) -> "
          f"{out / 'data.npz.xz'} ({(out / 'data.npz.xz').stat().st_size / 1e6:.1f} MB)")
    # part models: float16 state dicts + what is needed to rebuild them
    state = {}
    for p in PARTS:
        for k in ("encoder", "decoder"):
            sd = torch.jit.load(str(parts_path.parent / pm["parts"][p][k])).state_dict()
            state.update({f"{p}.{k}.{n}": t.numpy().astype(np.float16) if t.is_floating_point() else t.numpy()
                          for n, t in sd.items()})
    import re  # the encoder's stride-2 convolutions are features.<i>.weight (4-D); residual ones sit deeper
    enc_widths = [int(t.shape[0]) for n, t in torch.jit.load(str(parts_path.parent / pm["parts"]["nose"]["encoder"]))
                  .state_dict().items() if re.fullmatch(r"features\.\d+\.weight", n) and t.dim() == 4]
    meta = {"sizes": [pm["parts"][p]["input_size"] for p in PARTS], "latent": pm["parts"]["nose"]["latent"],
            "windows": [pm["parts"][p]["window"] for p in PARTS], "widths": enc_widths, "bank_size": bank_size,
            "canvas": pm["canvas"]}
    np.savez(out / "parts.npz", meta=np.array(json.dumps(meta)), **state)
    print(f"pack: part models {parts_path.parent} -> {out / 'parts.npz'} (float16; widths {enc_widths})")
    if args.init:
        model = synth_model_for(args.init, pm)
        state = {k: v.numpy().astype(np.float16) if v.is_floating_point() else v.numpy()
                 for k, v in model.state_dict().items() if ".line_decoder." not in k}
        np.savez(out / "init.npz", **state)
        print(f"pack: starting weights {args.init} -> {out / 'init.npz'} (float16, {len(state)} tensors)")


def synth_model_for(folder, parts_manifest):
    """A Synthesis model holding an exported folder's weights (line decoders left out)."""
    import importlib.util
    import torch
    from synth_model import Synthesis, scaled_window
    spec = importlib.util.spec_from_file_location("synth_train", HERE / "train.py")  # `train` is the parts' one
    synth_train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth_train)
    m = json.loads((pathlib.Path(folder) / "manifest.json").read_text())
    size = int(m["size"])
    windows = {p: scaled_window(parts_manifest["parts"][p]["window"], int(parts_manifest["canvas"]), size) for p in PARTS}
    arch = m.get("generator_architecture", {"widths": [48, 96, 48, 16], "blocks": 3})
    # placeholders stand for the frozen line decoders (they hold no weights of their own here)
    lines = {p: torch.nn.Identity() for p in PARTS} if "line_channel" in m else None
    model = Synthesis(windows, size=size, generator_widths=arch["widths"], generator_blocks=arch["blocks"],
                      guide="guide" in m, line_decoders=lines)
    synth_train.init_from_export(model, pathlib.Path(folder))
    return model


def cmd_weights(args):
    import torch
    ck = torch.load(args.checkpoint, map_location="cpu")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v for k, v in ck["model"].items() if ".line_decoder." not in k}
    groups = {p: {k: v for k, v in state.items() if k.startswith(f"decoders.{p}.")} for p in PARTS}
    groups["generator"] = {k: v for k, v in state.items() if k.startswith("generator.")}
    for name, g in groups.items():  # one file each: the upload limit is per file
        np.savez(out / f"{name}.npz", **{k: v.float().numpy() if v.is_floating_point() else v.numpy()
                                          for k, v in g.items()})
    meta = {k: ck[k] for k in ("args", "size", "windows", "canvas", "epoch", "step", "wall_seconds", "val",
                               "line_channel", "line_history") if k in ck}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    print(f"weights: {args.checkpoint} -> {out}")


def cmd_checkpoint(args):
    import torch
    from synth_model import Synthesis, load_line_decoders
    src = pathlib.Path(args.weights)
    meta = json.loads((src / "meta.json").read_text())
    a = meta["args"]
    a["parts"], a["canonical"], a["init"] = str(pathlib.Path(args.parts).resolve()), args.canonical, a.get("init", "")
    a["device"] = a.get("device", "cuda")
    state = {}
    for name in PARTS + ["generator"]:
        z = np.load(src / f"{name}.npz")
        state.update({k: torch.from_numpy(z[k]) for k in z.files})
    windows = {p: tuple(w) for p, w in meta["windows"].items()}
    model = Synthesis(windows, size=meta["size"], line_decoders=load_line_decoders(args.parts),
                      generator_widths=[int(v) for v in a["generator_widths"].split(",")],
                      generator_blocks=int(a["generator_blocks"]), guide=bool(a["guide"]))
    full = model.state_dict()
    missing = [k for k in full if k not in state and ".line_decoder." not in k]
    if missing:
        sys.exit(f"checkpoint: error: {src} lacks {missing[:3]}...")
    full.update(state)
    model.load_state_dict(full)
    out = pathlib.Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({**meta, "args": a, "model": model.state_dict()}, out)
    print(f"checkpoint: {src} -> {out} (line decoders from {args.parts})")


def main():
    ap = argparse.ArgumentParser(description="Carry synthesis training to another machine and back.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--canonical", required=True, help="prepare_canonical.py output made with --parts' models")
    p.add_argument("--parts", required=True, help="the part models' manifest.json")
    p.add_argument("--init", help="an exported synthesis folder to start from (models/synth)")
    p.add_argument("--train-faces", type=int, default=6300, help="training faces, the bank's faces included")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("weights")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("checkpoint")
    p.add_argument("--weights", required=True)
    p.add_argument("--parts", required=True)
    p.add_argument("--canonical", required=True, help="the full canonical arrays the pack was cut from")
    p.add_argument("--out", required=True)
    args = ap.parse_args()
    {"pack": cmd_pack, "weights": cmd_weights, "checkpoint": cmd_checkpoint}[args.cmd](args)


if __name__ == "__main__":
    main()
