#!/usr/bin/python3
"""Trains the five part autoencoders (left eye, right eye, nose, mouth, remainder)
on degraded sketches reconstructing the clean ones. Resumable: the checkpoint
is rewritten after every epoch and every --save-minutes within one, and a
re-run continues from it.

    /usr/bin/python3 models/parts/train.py --data ~/sumi-data/sketches256.npz --out ~/sumi-work/parts --epochs 30

On multi-style canonical-frame data (models/synth/prepare_canonical.py; the
windows then come from models/parts/manifest.json, the graphs' own), starting
from the shipped models:

    /usr/bin/python3 models/parts/train.py --data ~/sumi-data/canonical_v2.npz --init models/parts \
        --out ~/sumi-work/parts-canonical --epochs 2 --lr 0.0005

The crops are cut as face.split + latent.encode cut them (crops(), tested).

On a GPU machine with a small upload limit: models/parts/portable.py packs the data and the starting
weights, and --device cuda trains there (--max-minutes stops in time, checkpointed).

Prints progress (epoch, step, per-part loss, rate, ETA) and a validation loss
per epoch; records the wall time in the checkpoint for the model manifest.
"""
import argparse
import math
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from degrade import degrade  # noqa: E402
from parts_model import PartAutoencoder  # noqa: E402
from portable import load_init_npz, load_training_set  # noqa: E402

PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]


def to_input_size(c, size):
    """Scales crops to the encoder's input size exactly as latent.encode does: area when shrinking, bilinear
    (half-pixel centres) when enlarging."""
    if c.shape[-1] == size:
        return c
    if c.shape[-1] > size:
        return F.adaptive_avg_pool2d(c, (size, size))
    return F.interpolate(c, size=(size, size), mode="bilinear", align_corners=False)


def crops(sketches, windows, sizes):
    """Cuts full sketches (N x 1 x S x S) into the parts exactly as the graphs feed the part models: face.split's
    windows (the four feature windows, paper where one leaves the canvas) and its remainder (the whole sketch with
    those four windows blanked), each scaled by latent.encode's rule (tests/python/test_parts_training_inputs.py)."""
    out = {}
    rest = sketches.clone()
    for name, (x, y, s), size in zip(PARTS, windows.tolist(), sizes):
        if name == "remainder":
            continue
        c = sketches[:, :, max(0, y):y + s, max(0, x):x + s]
        if c.shape[-1] != s or c.shape[-2] != s:  # window leaves the canvas: pad with paper
            c = F.pad(c, (max(0, -x), s - c.shape[-1] - max(0, -x), max(0, -y), s - c.shape[-2] - max(0, -y)), value=1.0)
        out[name] = to_input_size(c, size)
        rest[:, :, max(0, y):y + s, max(0, x):x + s] = 1.0
    out["remainder"] = to_input_size(rest, sizes[PARTS.index("remainder")])
    return {p: out[p] for p in PARTS}


def part_windows(data, manifest=None):
    """The windows (x, y, size per part at the sketches' resolution; the remainder is the whole canvas): from the
    data set when it has them, else from the part models' manifest (the windows the graphs split at)."""
    size = int(data["sketches"].shape[-1])
    if "windows" in data:
        w = torch.from_numpy(data["windows"]).long()
    else:
        import json
        m = json.loads(pathlib.Path(manifest or pathlib.Path(__file__).resolve().parent / "manifest.json").read_text())
        scale = size / int(m["canvas"])
        w = torch.tensor([[round(v * scale) for v in m["parts"][p]["window"]] for p in PARTS]).long()
    w[PARTS.index("remainder")] = torch.tensor([0, 0, size])
    return w


def init_from_export(models, folder):
    """Starts the autoencoders from exported TorchScript files (their traced encoder and decoder keep the
    parameter names)."""
    import json
    m = json.loads((folder / "manifest.json").read_text())
    for p, model in models.items():
        model.encoder.load_state_dict(torch.jit.load(str(folder / m["parts"][p]["encoder"])).state_dict())
        model.decoder.load_state_dict(torch.jit.load(str(folder / m["parts"][p]["decoder"])).state_dict())


def loss_fn(logits, target):
    ink = 1.0 - target
    # Lines are a small share of the pixels: weight them up so the model cannot win by drawing nothing.
    return F.binary_cross_entropy_with_logits(logits, ink, pos_weight=torch.tensor(4.0, device=logits.device))


def main():
    ap = argparse.ArgumentParser(description="Train Sumi's part autoencoders.")
    ap.add_argument("--data", required=True, help="sketches .npz from models/parts/prepare.py, or a "
                    "portable.py pack's sketches.npz.xz")
    ap.add_argument("--out", required=True, help="folder for the checkpoint (outside the source tree)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--latent", type=int, default=512)
    ap.add_argument("--part-size", type=int, default=64, help="eyes, nose, mouth crops are scaled to this")
    ap.add_argument("--remainder-size", type=int, default=128, help="the whole-face remainder is scaled to this")
    ap.add_argument("--widths", default="16,32,48,64,96")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    ap.add_argument("--init", help="start from exported part models (a folder with manifest.json, e.g. models/parts) "
                    "or a portable.py pack's init.npz")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (checkpointed) after this much training time")
    ap.add_argument("--save-minutes", type=float, default=10.0, help="also checkpoint within an epoch this often")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    device = torch.device(args.device)
    data = load_training_set(args.data)
    sketches = torch.from_numpy(data["sketches"])  # uint8, kept compact; converted per batch
    split = data["split"]
    windows = part_windows(data)
    train_idx = np.flatnonzero(split == 0)
    val_idx = np.flatnonzero(split == 1)[:256]
    heldout_idx = np.flatnonzero(split == 3)[:256]  # a style kept out of training (multi-style data)
    widths = tuple(int(w) for w in args.widths.split(","))
    sizes = [args.part_size] * 4 + [args.remainder_size]
    models = {p: PartAutoencoder(s, args.latent, widths) for p, s in zip(PARTS, sizes)}
    if args.init and args.init.endswith(".npz"):
        load_init_npz(models, args.init)
    elif args.init:
        init_from_export(models, pathlib.Path(args.init))
    for m in models.values():
        m.to(device)
    params = [q for m in models.values() for q in m.parameters()]
    opt = torch.optim.Adam(params, lr=args.lr)
    steps_per_epoch = max(1, len(train_idx) // args.batch)
    total_steps = steps_per_epoch * args.epochs
    t_start = time.time()

    def progress(s):  # by steps, or by time when --max-minutes comes first (the rate decays to 0 either way)
        by_time = (time.time() - t_start) / (args.max_minutes * 60) if args.max_minutes else 0.0
        return min(1.0, max(s / total_steps, by_time))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * progress(s))))

    out = pathlib.Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    start_epoch, start_step, wall = 0, 0, 0.0
    g = torch.Generator(device=device).manual_seed(args.seed * 1000)
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=device)
        for p in PARTS:
            models[p].load_state_dict(ck["models"][p])
        opt.load_state_dict(ck["optimizer"])
        sched.load_state_dict(ck["scheduler"])
        start_epoch, start_step, wall = ck["epoch"], ck.get("step", 0), ck["wall_seconds"]
        g = torch.Generator(device=device).manual_seed(args.seed * 1000 + start_epoch)
        if "rng" in ck and ck["rng"].numel() == g.get_state().numel():  # not across devices
            g.set_state(ck["rng"].cpu())
        print(f"train: resuming at epoch {start_epoch + 1} step {start_step} ({wall / 60:.1f} min so far)", flush=True)

    def save(state):
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save({**state, "models": {p: models[p].state_dict() for p in PARTS}, "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "args": vars(args), "windows": windows.tolist(), "sizes": sizes,
                    "rng": g.get_state()}, tmp)
        tmp.replace(ckpt_path)

    n_params = sum(q.numel() for q in params)
    print(f"train: {len(train_idx)} train / {len(val_idx)} val faces, {n_params / 1e6:.2f} M parameters, "
          f"{steps_per_epoch} steps per epoch, threads {args.threads}", flush=True)
    if args.init and not ckpt_path.exists():  # the starting point, to compare each epoch with
        val = evaluate(models, sketches, val_idx, windows, sizes, g)
        if len(heldout_idx):
            val.update({f"heldout_{p}": v for p, v in evaluate(models, sketches, heldout_idx, windows, sizes, g).items()})
        print("train: val loss of --init " + " ".join(f"{p} {v:.4f}" for p, v in val.items()), flush=True)
    step_total = start_epoch * steps_per_epoch + start_step
    last_save = time.time()
    t_start, stop = time.time(), False
    if device.type == "cuda":  # the whole set fits on the card: no copies per step
        sketches = sketches.to(device)
        torch.backends.cudnn.benchmark = True
    for epoch in range(start_epoch, args.epochs):
        for m in models.values():
            m.train()
        t_epoch = time.time()
        perm = torch.from_numpy(np.random.default_rng(args.seed + epoch).permutation(train_idx))
        running = {p: 0.0 for p in PARTS}
        first = start_step if epoch == start_epoch else 0
        for step in range(first, steps_per_epoch):
            idx = perm[step * args.batch:(step + 1) * args.batch]
            clean = sketches[idx].to(device).unsqueeze(1).float() / 255.0
            rough = degrade(clean, g)
            targets, inputs = crops(clean, windows, sizes), crops(rough, windows, sizes)
            loss = 0.0
            for p in PARTS:
                part_loss = loss_fn(models[p](inputs[p]), targets[p])
                # kept as a tensor: reading it every step would wait for a GPU every step
                running[p] = 0.98 * running[p] + 0.02 * part_loss.detach() if step > first else part_loss.detach()
                loss = loss + part_loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step_total += 1
            if step % 20 == 0 or step + 1 == steps_per_epoch:
                rate = (step + 1 - first) / (time.time() - t_epoch)
                eta = (total_steps - step_total) / max(rate, 1e-9)
                losses = " ".join(f"{p[:5]} {float(running[p]):.3f}" for p in PARTS)
                print(f"\rtrain: epoch {epoch + 1}/{args.epochs} step {step + 1}/{steps_per_epoch} {losses} "
                      f"{rate:.2f} steps/s ETA {eta / 60:.0f} min", end="", flush=True)
            if args.max_steps and step_total >= args.max_steps and step + 1 < steps_per_epoch:
                save({"epoch": epoch, "step": step + 1, "wall_seconds": wall + time.time() - t_epoch})
                print(f"\ntrain: stopped at --max-steps {args.max_steps} (epoch {epoch + 1} step {step + 1})", flush=True)
                return
            if args.max_minutes and time.time() - t_start > args.max_minutes * 60 and step + 1 < steps_per_epoch:
                save({"epoch": epoch, "step": step + 1, "wall_seconds": wall + time.time() - t_epoch})
                print(f"\ntrain: stopped at --max-minutes {args.max_minutes} (epoch {epoch + 1} step {step + 1})", flush=True)
                stop = True
                break
            if time.time() - last_save > args.save_minutes * 60 and step + 1 < steps_per_epoch:
                save({"epoch": epoch, "step": step + 1, "wall_seconds": wall + time.time() - t_epoch})
                last_save = time.time()
        if stop:
            wall += time.time() - t_epoch
            break
        wall += time.time() - t_epoch
        val = evaluate(models, sketches, val_idx, windows, sizes, g)
        if len(heldout_idx):
            val.update({f"heldout_{p}": v for p, v in evaluate(models, sketches, heldout_idx, windows, sizes, g).items()})
        print(f"\ntrain: epoch {epoch + 1} done in {time.time() - t_epoch:.0f} s; val loss (degraded -> clean) "
              + " ".join(f"{p} {v:.4f}" for p, v in val.items()), flush=True)
        save({"epoch": epoch + 1, "step": 0, "wall_seconds": wall, "val": val})
        last_save = time.time()
        if args.max_steps and step_total >= args.max_steps:
            break
    print(f"train: finished; {wall / 60:.1f} min of training in all", flush=True)


@torch.no_grad()
def evaluate(models, sketches, idx, windows, sizes, g):
    for m in models.values():
        m.eval()
    if len(idx) == 0:
        return {p: float("nan") for p in PARTS}
    device = next(next(iter(models.values())).parameters()).device
    clean = sketches[torch.from_numpy(idx)].to(device).unsqueeze(1).float() / 255.0
    gv = torch.Generator(device=device).manual_seed(12345)  # the same degradations every epoch
    rough = degrade(clean, gv)
    targets, inputs = crops(clean, windows, sizes), crops(rough, windows, sizes)
    return {p: loss_fn(models[p](inputs[p]), targets[p]).item() for p in PARTS}


if __name__ == "__main__":
    main()
