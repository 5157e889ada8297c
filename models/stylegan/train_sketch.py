#!/usr/bin/python3
"""Stage 2 of AniFaceDrawing: trains the sketch encoder (sketch -> W+) on
simulated progressive and incomplete drawings to land on the frozen teacher's
code of the finished face. Resumable like the other training scripts.

    /usr/bin/python3 models/stylegan/train_sketch.py --sketches ~/sumi-data/sketches256.npz \\
        --colours ~/sumi-data/colours128.npz --teacher ~/sumi-work/stylegan/teacher.pt \\
        --out ~/sumi-work/stylegan --epochs 6

    /usr/bin/python3 models/stylegan/train_sketch.py ... --teacher ~/sumi-work/stylegan-ft/teacher.pt \\
        --init models/stylegan --edge 10 --out ~/sumi-work/stylegan-ft --epochs 5

(the second form starts from the shipped sketch encoder, read from its
TorchScript file, instead of random weights.) The teacher may be an exported
folder too - the shipped teacher, to teach only the sketch encoder new
drawings (e.g. a canonical-frame pack of many styles from
models/synth/prepare_canonical.py, given as both --sketches and --colours):

    /usr/bin/python3 models/stylegan/train_sketch.py --sketches ~/sumi-data/canonical_afd.npz \
        --colours ~/sumi-data/canonical_afd.npz --teacher models/stylegan --init models/stylegan \
        --edge 10 --out ~/sumi-work/afd-sketch --epochs 3

Losses: mean squared error to the teacher's W+ code (x100: the teacher's
codes differ from face to face by a few hundredths per dimension, so a weight
of 1 left the code term a hundredth of the image term), and L1 between the
face synthesised from the predicted code and the true image (x1, on a quarter
of each batch: it is the costly part), plus, with --edge, L1 between the
luminance gradients of that face and the true image (the lines).
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from progressive import progressive, window_masks  # noqa: E402
from stylegan_model import (GuidedSynthesis, SketchEncoder, StepBookkeeping, Synthesis, edge_loss,  # noqa: E402
                            image_encoder_for, load_teacher, save_checkpoint, smooth, start_from_export)


def main():
    ap = argparse.ArgumentParser(description="Train AniFaceDrawing's sketch encoder against the teacher.")
    ap.add_argument("--sketches", required=True)
    ap.add_argument("--colours", required=True)
    ap.add_argument("--teacher", required=True, help="teacher.pt from train_teacher.py, or an exported model folder "
                    "(models/stylegan: retrain only the sketch encoder against the shipped teacher)")
    ap.add_argument("--parts", default=str(HERE.parent / "parts" / "manifest.json"), help="part windows")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--code-weight", type=float, default=100.0)
    ap.add_argument("--image-weight", type=float, default=1.0)
    ap.add_argument("--edge", type=float, default=0.0, help="weight of the luminance-gradient L1 (0 = off)")
    ap.add_argument("--init", default="", help="start from the sketch encoder of an exported model folder "
                    "(models/stylegan); ignored when --out already holds a checkpoint")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save-minutes", type=float, default=10.0)
    ap.add_argument("--max-steps", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    sk, co = np.load(pathlib.Path(args.sketches).expanduser()), np.load(pathlib.Path(args.colours).expanduser())
    if not np.array_equal(sk["ids"], co["ids"]):
        sys.exit("train: error: the sketch and colour files hold different faces")
    sketches, colours, split = torch.from_numpy(sk["sketches"]), torch.from_numpy(co["colours"]), sk["split"]
    size = colours.shape[1]
    teacher = load_teacher(args.teacher)
    w_dim = teacher["args"]["w_dim"]
    guided = any(k.startswith("guides.") for k in teacher["synthesis"])  # a synthesis that follows the sketch
    enc, syn = image_encoder_for(teacher["encoder"], size, w_dim), (GuidedSynthesis if guided else Synthesis)(size, w_dim)
    enc.load_state_dict(teacher["encoder"])
    syn.load_state_dict(teacher["synthesis"])
    enc.eval()
    syn.eval()
    for q in list(enc.parameters()) + list(syn.parameters()):
        q.requires_grad_(False)
    parts = json.loads(pathlib.Path(args.parts).read_text())
    masks = window_masks([parts["parts"][p]["window"] for p in ("left_eye", "right_eye", "nose", "mouth")],
                         parts["canvas"], size)
    out = pathlib.Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    codes_path = out / "teacher_codes.pt"
    if codes_path.exists() and torch.load(codes_path)["teacher_epoch"] == teacher["epoch"]:
        codes = torch.load(codes_path)["codes"]
    else:
        print("train: encoding every face with the teacher ...", flush=True)
        with torch.no_grad():
            codes = torch.cat([enc(colours[i:i + 256].permute(0, 3, 1, 2).float() / 255.0)
                               for i in range(0, len(colours), 256)])
        torch.save({"codes": codes, "teacher_epoch": teacher["epoch"]}, codes_path)
    train_idx, val_idx = np.flatnonzero(split == 0), np.flatnonzero(split == 1)[:128]
    model = SketchEncoder(size, w_dim)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    ckpt_path = out / "sketch.pt"
    epoch, start_step, wall, val_history, started_from = 0, 0, 0.0, [], None
    if args.init and not ckpt_path.exists():
        nets, started_from = start_from_export(args.init, "sketch_encoder", size, w_dim)
        model.load_state_dict(nets["sketch_encoder"].state_dict())
    if ckpt_path.exists():
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        # --lr wins over the checkpoint's, so a run can be resumed as a lower-rate fine-tune
        for group in opt.param_groups:
            if group["lr"] != args.lr:
                print(f"train: learning rate {group['lr']:g} -> {args.lr:g}", flush=True)
                group["lr"] = args.lr
        epoch, start_step, wall, val_history = ck["epoch"], ck["step"], ck["wall_seconds"], ck["val"]
        started_from = ck.get("started_from")
        print(f"train: resuming at epoch {epoch + 1} step {start_step} ({wall / 60:.1f} min so far)", flush=True)
    steps_per_epoch = len(train_idx) // args.batch
    print(f"train: {len(train_idx)} faces, sketches at {size} px, {steps_per_epoch} steps per epoch", flush=True)

    def inputs(idx, g):
        clean = F.interpolate(sketches[idx].unsqueeze(1).float() / 255.0, size=(size, size), mode="area")
        return progressive(clean, masks, g)

    def save(ep, st):
        state = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": ep, "step": st, "wall_seconds": wall,
                 "args": vars(args), "size": size, "w_dim": w_dim, "teacher_epoch": teacher["epoch"], "val": val_history,
                 "started_from": started_from}
        save_checkpoint(state, ckpt_path)

    book = StepBookkeeping(args.epochs, steps_per_epoch, save, args.save_minutes, args.max_steps)
    while epoch < args.epochs:
        model.train()
        perm = torch.from_numpy(np.random.default_rng(args.seed + epoch).permutation(train_idx))
        g = torch.Generator().manual_seed(args.seed * 100003 + epoch * 1009 + start_step)
        run = {}
        book.start_epoch(start_step)
        for step in range(start_step, steps_per_epoch):
            t_step = time.time()
            idx = perm[step * args.batch:(step + 1) * args.batch]
            drawn = inputs(idx, g)
            ws = model(drawn)
            code_loss = (ws - codes[idx]).pow(2).mean()
            q = max(1, len(idx) // 4)
            x = colours[idx[:q]].permute(0, 3, 1, 2).float() / 255.0
            face = syn(ws[:q], drawn[:q]) if guided else syn(ws[:q])
            image_loss = (face - x).abs().mean()
            edge = edge_loss(face, x) if args.edge > 0 else torch.zeros(())
            loss = args.code_weight * code_loss + args.image_weight * image_loss + args.edge * edge
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            wall += time.time() - t_step
            smooth(run, (("code", code_loss.item()), ("image", image_loss.item()), ("edge", edge.item())))
            if book.step_done(run, epoch, step):
                return
        epoch, start_step = epoch + 1, 0
        with torch.no_grad():
            model.eval()
            gv = torch.Generator().manual_seed(12345)
            vidx = torch.from_numpy(val_idx)
            drawn = inputs(vidx, gv)
            ws = model(drawn)
            x = colours[vidx].permute(0, 3, 1, 2).float() / 255.0
            face = syn(ws, drawn) if guided else syn(ws)
            val = {"epoch": epoch, "code_mse": (ws - codes[vidx]).pow(2).mean().item(),
                   "image_l1": (face - x).abs().mean().item(), "edge": edge_loss(face, x).item()}
        val_history.append(val)
        print(f"\ntrain: epoch {epoch} done in {time.time() - book.t_epoch:.0f} s; val code MSE {val['code_mse']:.4f}, "
              f"image L1 {val['image_l1']:.4f}, edge {val['edge']:.4f}", flush=True)
        save(epoch, 0)
    print(f"train: finished; {wall / 60:.1f} min of training in all", flush=True)


if __name__ == "__main__":
    main()
