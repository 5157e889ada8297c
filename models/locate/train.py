#!/usr/bin/python3
"""Trains the face locator (locate_model.py) on drawings packed by prepare.py.
Resumable: the checkpoint is rewritten after every epoch and a re-run continues
from it (or starts with --init from another checkpoint, or from a shipped TorchScript
file such as models/locate/locator.pt: its BatchNorms were folded into the convolutions
at export, so they stay frozen while the rest trains).

    /usr/bin/python3 models/locate/train.py --data ~/sumi-data/locate128.npz --out ~/sumi-work/locate --epochs 12

Prints progress (epoch, step, loss, rate, ETA) and per epoch the validation
part-centre error in pixels at 256 (median, 90th percentile).

The part refiner (face.locate's third look) trains with the same script on
prepare_refine.py's crops: their files say which outputs are trained
(loss_weights), how many points are scored and how errors scale.
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
from locate_model import FaceLocator, OUTPUTS, keep_batchnorm_frozen, load_exported  # noqa: E402

# Loss weight per output (targets are fractions of the side, logs and cosines).
WEIGHTS = torch.tensor([1, 1, 0.5, 0.5, 0.5] + [1] * 10 + [0.5] * 8)
assert len(WEIGHTS) == OUTPUTS


def batch_images(sketches, idx):
    return torch.from_numpy(sketches[idx]).float().unsqueeze(1) / 255.0


def point_errors(pred, target, side=256.0, points=5):
    """Per drawing and part: Euclidean part-centre error in pixels at `side` (the first `points` points)."""
    p = pred[:, 5:5 + 2 * points].reshape(-1, points, 2)
    t = target[:, 5:5 + 2 * points].reshape(-1, points, 2)
    return (p - t).norm(dim=2) * side


def predict(model, sketches, idx, batch=256):
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(idx), batch):
            out.append(model(batch_images(sketches, idx[s:s + batch])))
    model.train()
    if getattr(model, "frozen_batchnorm", False):
        keep_batchnorm_frozen(model)
    return torch.cat(out) if out else torch.zeros(0, OUTPUTS)


def main():
    ap = argparse.ArgumentParser(description="Train Sumi's face locator.")
    ap.add_argument("--data", required=True, help=".npz from models/locate/prepare.py (several: comma-separated)")
    ap.add_argument("--out", required=True, help="folder for the checkpoint (outside the source tree)")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--widths", default="16,24,48,64,96")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--heat-stride", type=int, default=8, choices=(4, 8),
                    help="heatmap grid: R/8 (the shipped v1 model) or R/4 (finer part centres)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", help="start from these weights (a checkpoint.pt of this script, or an exported "
                    "TorchScript locator of the same architecture)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    parts = [np.load(pathlib.Path(p).expanduser()) for p in args.data.split(",")]
    res = int(parts[0]["resolution"])
    if any(int(d["resolution"]) != res for d in parts):
        sys.exit("train: error: the data files have different resolutions")
    sketches = np.concatenate([d["sketches"] for d in parts])
    targets = torch.from_numpy(np.concatenate([d["targets"] for d in parts]))
    split = np.concatenate([d["split"] for d in parts])
    styles = sorted({str(s) for d in parts for s in d["styles"]})
    # The part refiner's data (prepare_refine.py) says which outputs it trains and how errors scale.
    weights = torch.from_numpy(parts[0]["loss_weights"]) if "loss_weights" in parts[0] else WEIGHTS
    points = int(parts[0]["points"]) if "points" in parts[0] else 5
    error_side = float(parts[0]["error_side"]) if "error_side" in parts[0] else 256.0
    train_idx = np.flatnonzero(split == 0)
    val_idx = np.flatnonzero(split == 1)[:1024]
    if len(train_idx) == 0:
        sys.exit("train: error: the data has no training drawings")
    widths = tuple(int(w) for w in args.widths.split(","))
    model = FaceLocator(res, widths, args.hidden, args.heat_stride)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = max(1, len(train_idx) // args.batch)
    total = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(1.0, s / total))))

    out = pathlib.Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    ck_path = out / "checkpoint.pt"
    start_epoch, wall, history = 0, 0.0, []
    if ck_path.exists():
        ck = torch.load(ck_path)
        model.load_state_dict(ck["model"])
        model.frozen_batchnorm = bool(ck.get("frozen_batchnorm"))
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        start_epoch, wall, history = ck["epoch"], ck["wall_s"], ck["history"]
        print(f"train: resuming after epoch {start_epoch}", file=sys.stderr)
    elif args.init:
        init = pathlib.Path(args.init).expanduser()
        if not init.is_file():
            sys.exit(f"train: error: --init {init}: no such file")
        try:
            ck = torch.load(init)
        except (RuntimeError, ValueError):
            ck = None
        if isinstance(ck, dict) and "model" in ck:  # a checkpoint: of this architecture?
            try:
                model.load_state_dict(ck["model"])
            except RuntimeError as e:
                a = ck.get("args", {})
                sys.exit(f"train: error: --init {init}: a checkpoint of another architecture (it was trained with "
                         f"--widths {a.get('widths')} --hidden {a.get('hidden')} --heat-stride {a.get('heat_stride')}): "
                         f"{str(e).splitlines()[0]}")
            model.frozen_batchnorm = bool(ck.get("frozen_batchnorm"))
        else:  # not a checkpoint: an export?
            try:
                load_exported(init, model)
            except (RuntimeError, ValueError) as e:
                sys.exit(f"train: error: --init {init}: neither a checkpoint of this script nor an exported locator "
                         f"of this architecture ({str(e).splitlines()[0]})")
            model.frozen_batchnorm = True
        print(f"train: starting from {args.init}" + (" (BatchNorms frozen: an export)" if model.frozen_batchnorm else ""),
              file=sys.stderr)
    model.train()
    if getattr(model, "frozen_batchnorm", False):
        keep_batchnorm_frozen(model)

    step = 0
    for epoch in range(start_epoch, args.epochs):
        t0 = time.time()
        order = rng.permutation(train_idx)
        running = 0.0
        for b in range(steps_per_epoch):
            idx = np.sort(order[b * args.batch:(b + 1) * args.batch])
            x, y = batch_images(sketches, idx), targets[idx]
            loss = (F.smooth_l1_loss(model(x), y, reduction="none", beta=0.01) * weights).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            running = 0.98 * running + 0.02 * loss.item() if b else loss.item()
            step += 1
            if b % 50 == 0 or b + 1 == steps_per_epoch:
                rate = (b + 1) * args.batch / (time.time() - t0)
                eta = (steps_per_epoch - b - 1) * args.batch / rate + (args.epochs - epoch - 1) * steps_per_epoch * args.batch / rate
                print(f"\rtrain: epoch {epoch + 1}/{args.epochs} step {b + 1}/{steps_per_epoch} loss {running:.5f} "
                      f"{rate:.0f} drawings/s ETA {eta / 60:.1f} min", end="", file=sys.stderr, flush=True)
            if args.max_steps and step >= args.max_steps:
                break
        err = point_errors(predict(model, sketches, val_idx), targets[val_idx], error_side, points)
        med, p90 = (float(err.median()), float(err.flatten().quantile(0.9))) if err.numel() else (0.0, 0.0)
        wall += time.time() - t0
        history.append({"epoch": epoch + 1, "loss": running, "val_median_px": med, "val_p90_px": p90})
        print(f"\ntrain: epoch {epoch + 1}: val part-centre error median {med:.2f} px, p90 {p90:.2f} px (at 256)",
              file=sys.stderr)
        ck = {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch + 1,
              "wall_s": wall, "history": history, "args": vars(args), "resolution": res,
              "styles": styles, "refiner": "loss_weights" in parts[0],
              "frozen_batchnorm": bool(getattr(model, "frozen_batchnorm", False))}
        torch.save(ck, out / "checkpoint.tmp")
        (out / "checkpoint.tmp").replace(ck_path)
        if args.max_steps and step >= args.max_steps:
            break
    print(f"train: done, {wall / 60:.1f} min of training", file=sys.stderr)


if __name__ == "__main__":
    main()
