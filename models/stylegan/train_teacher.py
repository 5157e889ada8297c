#!/usr/bin/python3
"""Stage 1 of AniFaceDrawing: trains the StyleGAN2-style synthesis network
together with the image encoder into W+ (the teacher) as an autoencoder on the
faces' colour images, plus the mapping network. Resumable: the checkpoint is
rewritten every few minutes and after every epoch; a re-run continues from it.

    /usr/bin/python3 models/stylegan/train_teacher.py --colours ~/sumi-data/colours128.npz \\
        --out ~/sumi-work/stylegan --epochs 8

    /usr/bin/python3 models/stylegan/train_teacher.py --colours ~/sumi-data/colours128.npz \\
        --out ~/sumi-work/stylegan-ft --init models/stylegan --edge 100 --part-weight 3 --epochs 4

(the second form fine-tunes the shipped networks, read from their TorchScript
files, when the training checkpoints are gone.)

Losses: L1 reconstruction (x50), L1 between the luminance gradients of the
reconstruction and the image (--edge, 0 = off: outlines, eyes and mouths are a
few percent of the pixels and plain L1 learnt them last), the L1 weighted up
inside the eye, nose and mouth windows (--part-weight), optionally a
least-squares patch GAN on the reconstructions (--gan, off by default: in the first runs the discriminator
won outright and only cost time), a small penalty keeping codes near their
per-layer mean (x0.01; W+ codes that wander far synthesise badly when mixed),
and for the mapping network a sliced Wasserstein distance between its samples
and the teacher's per-layer codes. Adam with beta1 0.9 for the autoencoder:
with StyleGAN's beta1 0 (and a sigmoid output, since replaced by a clamp) the
first run stalled on the mean face.
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "synth"))
from progressive import window_masks  # noqa: E402
from stylegan_model import (GuidedSynthesis, ImageEncoder, Mapping, Synthesis, edge_loss,  # noqa: E402
                            StepBookkeeping, save_checkpoint, smooth, start_from_export)
from synth_model import PatchDiscriminator  # noqa: E402


def sliced_wasserstein(a, b, g, projections=64):
    """Sliced Wasserstein-2 between two sample sets (N x D, M x D), by sorting random 1-D projections."""
    dirs = torch.randn(a.shape[1], projections, generator=g)
    dirs = dirs / dirs.norm(dim=0, keepdim=True)
    pa, pb = (a @ dirs).sort(0).values, (b @ dirs).sort(0).values
    if pa.shape[0] != pb.shape[0]:  # compare quantiles
        q = torch.linspace(0, 1, min(pa.shape[0], pb.shape[0]))
        pa = pa[(q * (pa.shape[0] - 1)).round().long()]
        pb = pb[(q * (pb.shape[0] - 1)).round().long()]
    return ((pa - pb) ** 2).mean()


def main():
    ap = argparse.ArgumentParser(description="Train AniFaceDrawing's teacher: synthesis + image encoder (+ mapping).")
    ap.add_argument("--colours", required=True, help=".npz from models/parts/prepare.py --colours N")
    ap.add_argument("--out", required=True, help="folder for the checkpoint (outside the source tree)")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-3, help="mapping lr; encoder + synthesis use 0.2 x")
    ap.add_argument("--w-dim", type=int, default=256)
    ap.add_argument("--l1", type=float, default=50.0)
    ap.add_argument("--edge", type=float, default=0.0, help="weight of the luminance-gradient L1 (0 = off)")
    ap.add_argument("--part-weight", type=float, default=0.0, help="extra L1 weight inside the eye, nose and mouth "
                    "windows (0 = none; 3 = those pixels count 4 times)")
    ap.add_argument("--parts", default=str(HERE.parent / "parts" / "manifest.json"), help="part windows")
    ap.add_argument("--init", default="", help="start from an exported model folder (models/stylegan) instead of "
                    "random weights; ignored when --out already holds a checkpoint")
    ap.add_argument("--gan", type=float, default=0.0, help="weight of the patch GAN (0 = none: the first runs' D "
                    "won outright and added nothing but time)")
    ap.add_argument("--beta1", type=float, default=0.9, help="Adam's beta1 for encoder + synthesis (0 stalled the "
                    "autoencoder on the mean face)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save-minutes", type=float, default=10.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    co = np.load(pathlib.Path(args.colours).expanduser())
    colours, split = torch.from_numpy(co["colours"]), co["split"]
    size = colours.shape[1]
    train_idx, val_idx = np.flatnonzero(split == 0), np.flatnonzero(split == 1)[:128]
    pixel_weight = torch.ones(1, 1, size, size)
    if args.part_weight > 0:
        parts = json.loads(pathlib.Path(args.parts).read_text())
        masks = window_masks([parts["parts"][p]["window"] for p in ("left_eye", "right_eye", "nose", "mouth")],
                             parts["canvas"], size)
        pixel_weight += args.part_weight * masks[:4].amax(0, keepdim=True)
        pixel_weight /= pixel_weight.mean()  # the same overall scale as plain L1
    out = pathlib.Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "teacher.pt"
    epoch, start_step, wall, val_history, started_from = 0, 0, 0.0, [], None
    if args.init and not ckpt_path.exists():
        nets, started_from = start_from_export(args.init, "teacher", size, args.w_dim)
        enc, syn, mapping = nets["image_encoder"], nets["synthesis"], nets["mapping"]
        if isinstance(syn, GuidedSynthesis):  # the teacher trains the plain synthesis: leave the sketch branches out
            plain = Synthesis(size, args.w_dim)
            plain.load_state_dict({k: v for k, v in syn.state_dict().items() if not k.startswith("guides.")})
            syn = plain
            print("train: the exported synthesis follows the sketch; the teacher trains it without its sketch "
                  "branches (run train_guided.py on the new teacher's export afterwards)", flush=True)
    else:
        enc, syn, mapping = ImageEncoder(size, args.w_dim), Synthesis(size, args.w_dim), Mapping(128, args.w_dim)
    disc = PatchDiscriminator(cin=3)
    opt_g = torch.optim.Adam(list(enc.parameters()) + list(syn.parameters()), lr=args.lr * 0.2, betas=(args.beta1, 0.99))
    opt_m = torch.optim.Adam(mapping.parameters(), lr=args.lr, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr * 0.2, betas=(0.0, 0.99))
    if ckpt_path.exists():
        ck = torch.load(ckpt_path)
        for m, k in ((enc, "encoder"), (syn, "synthesis"), (mapping, "mapping"), (disc, "disc"), (opt_g, "opt_g"),
                     (opt_m, "opt_m"), (opt_d, "opt_d")):
            m.load_state_dict(ck[k])
        epoch, start_step, wall, val_history = ck["epoch"], ck["step"], ck["wall_seconds"], ck["val"]
        started_from = ck.get("started_from")
        for opt, lr in ((opt_g, args.lr * 0.2), (opt_m, args.lr), (opt_d, args.lr * 0.2)):  # --lr wins on resume
            for group in opt.param_groups:
                group["lr"] = lr
        print(f"train: resuming at epoch {epoch + 1} step {start_step} ({wall / 60:.1f} min so far)", flush=True)
    steps_per_epoch = len(train_idx) // args.batch
    n_params = sum(q.numel() for m in (enc, syn, mapping) for q in m.parameters())
    print(f"train: {len(train_idx)} train faces at {size} px, W+ {syn.num_ws} x {args.w_dim}, "
          f"{n_params / 1e6:.2f} M parameters, {steps_per_epoch} steps per epoch", flush=True)

    def save(ep, st):
        state = {"encoder": enc.state_dict(), "synthesis": syn.state_dict(), "mapping": mapping.state_dict(),
                 "disc": disc.state_dict(), "opt_g": opt_g.state_dict(), "opt_m": opt_m.state_dict(),
                 "opt_d": opt_d.state_dict(), "epoch": ep, "step": st, "wall_seconds": wall, "args": vars(args),
                 "size": size, "val": val_history,
                 "started_from": started_from}
        save_checkpoint(state, ckpt_path)

    book = StepBookkeeping(args.epochs, steps_per_epoch, save, args.save_minutes, args.max_steps, digits=3)
    while epoch < args.epochs:
        for m in (enc, syn, mapping, disc):
            m.train()
        perm = torch.from_numpy(np.random.default_rng(args.seed + epoch).permutation(train_idx))
        g = torch.Generator().manual_seed(args.seed * 100003 + epoch * 1009 + start_step)
        run = {}
        book.start_epoch(start_step)
        for step in range(start_step, steps_per_epoch):
            t_step = time.time()
            x = colours[perm[step * args.batch:(step + 1) * args.batch]].permute(0, 3, 1, 2).float() / 255.0
            ws = enc(x)
            fake = syn(ws)
            l1 = ((fake - x).abs() * pixel_weight).mean()
            edge = edge_loss(fake, x) if args.edge > 0 else torch.zeros(())
            if args.gan > 0:
                d_loss = 0.5 * ((disc(x) - 1) ** 2).mean() + 0.5 * (disc(fake.detach()) ** 2).mean()
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                adv = ((disc(fake) - 1) ** 2).mean()
            else:  # no discriminator: about a third less time per step
                d_loss = adv = torch.zeros(())
            spread = (ws - ws.mean(0, keepdim=True).detach()).pow(2).mean()
            g_loss = args.l1 * l1 + args.edge * edge + args.gan * adv + 0.01 * spread
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            codes = ws.detach().reshape(-1, args.w_dim)
            m_loss = sliced_wasserstein(mapping(torch.randn(codes.shape[0], 128, generator=g)), codes, g)
            opt_m.zero_grad(set_to_none=True)
            m_loss.backward()
            opt_m.step()
            wall += time.time() - t_step
            smooth(run, (("l1", l1.item()), ("edge", edge.item()), ("adv", adv.item()), ("d", d_loss.item()),
                         ("map", m_loss.item())))
            if book.step_done(run, epoch, step):
                return
        epoch, start_step = epoch + 1, 0
        with torch.no_grad():
            enc.eval()
            syn.eval()
            x = colours[torch.from_numpy(val_idx)].permute(0, 3, 1, 2).float() / 255.0
            rec = syn(enc(x))
            val = {"epoch": epoch, "l1": (rec - x).abs().mean().item(), "edge": edge_loss(rec, x).item()}
        val_history.append(val)
        print(f"\ntrain: epoch {epoch} done in {time.time() - book.t_epoch:.0f} s; val reconstruction L1 {val['l1']:.4f}, "
              f"edge {val['edge']:.4f}",
              flush=True)
        save(epoch, 0)
    print(f"train: finished; {wall / 60:.1f} min of training in all", flush=True)


if __name__ == "__main__":
    main()
