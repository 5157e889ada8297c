#!/usr/bin/python3
"""Trains the synthesis model: five feature decoders + the hint-aware generator
(DeepFaceDrawing's feature mapping and image synthesis, Sketch2Anime's colour
hints), against the faces' true colour images. Resumable: the checkpoint is
rewritten every few minutes and after every epoch; a re-run continues from it.

    /usr/bin/python3 models/synth/train.py --sketches ~/sumi-data/sketches256.npz \\
        --colours ~/sumi-data/colours128.npz --out ~/sumi-work/synth --epochs 8

Inputs per face: the shipped part encoders' latents of its sketch (clean, or
degraded as the part models were trained) - the generator learns from what the
engine will hand it. Simulated colour hints on 70 % of the samples.
Losses: L1 to the true image (x50), L1 inside hinted pixels (x50, so hints are
obeyed), and a least-squares patch GAN conditioned on the sketch (x1).

A smaller generator for a finished model (`--student-of`): the finished
model's feature decoders are kept as they are (frozen), and its generator's
output is one more L1 target (`--distil`) beside the true image - the new
generator learns from both, so it needs far fewer epochs than the first one.

    /usr/bin/python3 models/synth/train.py ... --out ~/sumi-work/synth-small \
        --student-of ~/sumi-work/synth/checkpoint.pt --generator-widths 32,64,32,16 --epochs 4

Many styles, any framing (issue 18): `--canonical` trains on the arrays of
prepare_canonical.py (canonical-frame sketches, colours and the latents the
nodes computed; a random projection blend per sample), and `--guide 1` gives
the generator the canonical sketch itself. `--init models/synth` starts from
the shipped TorchScript files (a new guide channel starts at zero weights).

    /usr/bin/python3 models/synth/train.py --canonical ~/sumi-data/canonical_v2.npz --guide 1 \
        --init models/synth --generator-widths 32,64,32,16 --out ~/sumi-work/synth-guided --epochs 2
"""
import argparse
import concurrent.futures
import json
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "parts"))
from degrade import degrade  # noqa: E402
from hints import simulate  # noqa: E402
from canonical_data import CanonicalData  # noqa: E402
from synth_model import PARTS, PatchDiscriminator, Synthesis, load_line_decoders, scaled_window, upgrade_state  # noqa: E402
from train import crops  # noqa: E402  (models/parts/train.py: the part crops exactly as the part models saw them)


def load_encoders(manifest_path):
    manifest = json.loads(manifest_path.read_text())
    encoders = {p: torch.jit.load(str(manifest_path.parent / manifest["parts"][p]["encoder"])).eval() for p in PARTS}
    sizes = [manifest["parts"][p]["input_size"] for p in PARTS]
    windows = torch.tensor([manifest["parts"][p]["window"] for p in PARTS]).long()
    return manifest, encoders, sizes, windows


@torch.no_grad()
def encode(encoders, sketches, windows, sizes):
    cut = crops(sketches, windows, sizes)
    return {p: encoders[p](cut[p]) for p in PARTS}


def batch(sketches, colours, idx, encoders, windows, sizes, g, hint_size, p_degrade=0.5, p_none=0.3):
    clean = sketches[idx].unsqueeze(1).float() / 255.0
    rough = degrade(clean, g)
    pick = (torch.rand(clean.shape[0], 1, 1, 1, generator=g) < p_degrade).float()
    latents = encode(encoders, pick * rough + (1 - pick) * clean, windows, sizes)
    target = colours[idx].permute(0, 3, 1, 2).float() / 255.0
    small = F.interpolate(target, size=(hint_size, hint_size), mode="area")
    hint, mask = simulate(small, g, p_none=p_none)
    sketch = F.interpolate(clean, size=target.shape[-2:], mode="area")
    return latents, hint, mask, target, sketch


def hinted_l1(image, hint, mask):
    """Mean absolute colour error inside (fully) hinted pixels, at the hint resolution."""
    small = F.interpolate(image, size=mask.shape[-2:], mode="area")
    inside = (mask > 0.99).float()
    return ((small - hint).abs() * inside).sum() / (3 * inside.sum()).clamp(min=1.0)


def main():
    ap = argparse.ArgumentParser(description="Train Sumi's synthesis model (feature decoders + generator with hints).")
    ap.add_argument("--sketches", default="", help=".npz from models/parts/prepare.py")
    ap.add_argument("--colours", default="", help=".npz from models/parts/prepare.py --colours N")
    ap.add_argument("--canonical", default="", help=".npz from models/synth/prepare_canonical.py (instead of the two)")
    ap.add_argument("--guide", type=int, default=0, help="1: the generator also sees the canonical sketch")
    ap.add_argument("--init", default="", help="start from an exported model folder (e.g. models/synth)")
    ap.add_argument("--parts", default=str(HERE.parent / "parts" / "manifest.json"),
                    help="part models manifest (or a synth_portable.py pack's parts.npz)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (batches are made on the CPU, a step ahead)")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (checkpointed) after this much training time")
    ap.add_argument("--out", required=True, help="folder for the checkpoint (outside the source tree)")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--l1", type=float, default=50.0)
    ap.add_argument("--hint-weight", type=float, default=50.0)
    ap.add_argument("--gan", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save-minutes", type=float, default=10.0, help="also checkpoint mid-epoch this often")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    ap.add_argument("--line-channel", type=int, default=1,
                    help="1: add the part decoders' line map to the feature maps (a checkpoint without it is upgraded)")
    ap.add_argument("--generator-widths", default="48,96,48,16",
                    help="the generator's four widths: first down, second down and residual blocks, up, last up")
    ap.add_argument("--generator-blocks", type=int, default=3, help="residual blocks in the generator")
    ap.add_argument("--student-of", default="",
                    help="a finished checkpoint: keep its feature decoders (frozen) and learn from its generator too")
    ap.add_argument("--distil", type=float, default=50.0, help="with --student-of: weight of L1 to its generator")
    args = ap.parse_args()
    widths = generator_widths(args.generator_widths)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    device = torch.device(args.device)
    if args.parts.endswith(".npz"):  # a synth_portable.py pack (another machine): the part models as weights
        from synth_portable import part_models_from_npz
        encoders, line_decoders, windows, sizes, _, pmeta = part_models_from_npz(args.parts)
        manifest = {"canvas": pmeta["canvas"], "parts": {p: {"window": w} for p, w in zip(PARTS, pmeta["windows"])}}
    else:
        manifest, encoders, sizes, windows = load_encoders(pathlib.Path(args.parts))
        line_decoders = None
    canvas = int(manifest["canvas"])
    heldout_idx = np.zeros(0, dtype=np.int64)
    if args.canonical:
        data = CanonicalData(args.canonical, parts=args.parts)
        if data.parts != PARTS:
            sys.exit(f"train: error: {args.canonical} holds parts {data.parts}, expected {PARTS}")
        size = data.size
        train_idx, val_idx, heldout_idx = data.indices("train"), data.indices("val")[:128], data.indices("heldout")[:128]

        def get_batch(idx, g, **kw):
            return to_device(data.batch(idx, g, size // 2, **kw), device)
    else:
        if not (args.sketches and args.colours):
            sys.exit("train: error: give --canonical, or --sketches and --colours")
        if args.guide:
            sys.exit("train: error: --guide needs --canonical data (the canonical-frame sketches)")
        sk = np.load(pathlib.Path(args.sketches).expanduser())
        co = np.load(pathlib.Path(args.colours).expanduser())
        if not np.array_equal(sk["ids"], co["ids"]):
            sys.exit("train: error: the sketch and colour files hold different faces")
        sketches, colours = torch.from_numpy(sk["sketches"]), torch.from_numpy(co["colours"])
        split = sk["split"]
        size = colours.shape[1]
        train_idx, val_idx = np.flatnonzero(split == 0), np.flatnonzero(split == 1)[:128]

        def get_batch(idx, g, p_degrade=0.5, p_none=0.3, blend=None):
            return batch(sketches, colours, idx, encoders, windows, sizes, g, size // 2, p_degrade, p_none) + (None,)
    out_windows = {p: scaled_window(manifest["parts"][p]["window"], canvas, size) for p in PARTS}

    lines = (line_decoders or load_line_decoders(args.parts)) if args.line_channel else None
    model = Synthesis(out_windows, size=size, line_decoders=lines, generator_widths=widths,
                      generator_blocks=args.generator_blocks, guide=bool(args.guide))
    if args.init.endswith(".npz"):  # synth_portable.py pack --init: float16 weights, line decoders left out
        z = np.load(args.init)
        state = model.state_dict()
        state.update({k: torch.from_numpy(z[k].astype(state[k].numpy().dtype)) for k in z.files})
        model.load_state_dict(state)
        print(f"train: started from {args.init}", flush=True)
    elif args.init:
        init_from_export(model, pathlib.Path(args.init))
    teacher = None
    if args.student_of:
        teacher, features = finished_model(pathlib.Path(args.student_of).expanduser(), out_windows, size, lines)
        model.decoders.load_state_dict(features)
        model.decoders.requires_grad_(False)
    model.to(device)
    disc = PatchDiscriminator().to(device)
    opt_g = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.999))
    out = pathlib.Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    epoch, start_step, wall = 0, 0, 0.0
    line_history = []
    if ckpt_path.exists():
        ck = torch.load(ckpt_path, map_location=device)
        upgraded = ck.get("line_channel", 0) != args.line_channel
        model.load_state_dict(upgrade_state(ck["model"], model) if upgraded else ck["model"])
        disc.load_state_dict(ck["disc"])
        if upgraded:  # the optimiser's moments no longer fit the widened weights: start it afresh
            print(f"train: upgraded the checkpoint to --line-channel {args.line_channel} "
                  f"(epoch {ck['epoch']} step {ck['step']})", flush=True)
            line_history.append({"epoch": ck["epoch"], "step": ck["step"], "line_channel": args.line_channel})
        else:
            opt_g.load_state_dict(ck["opt_g"])
        opt_d.load_state_dict(ck["opt_d"])
        epoch, start_step, wall = ck["epoch"], ck["step"], ck["wall_seconds"]
        line_history = ck.get("line_history", []) + line_history
        print(f"train: resuming at epoch {epoch + 1} step {start_step} ({wall / 60:.1f} min so far)", flush=True)
    steps_per_epoch = len(train_idx) // args.batch
    n_g = sum(q.numel() for q in model.parameters() if q.requires_grad)
    print(f"train: {len(train_idx)} train faces at {size} px, {n_g / 1e6:.2f} M trained parameters, "
          f"{steps_per_epoch} steps per epoch, windows {out_windows}", flush=True)

    def save(ep, st):
        state = {"model": model.state_dict(), "disc": disc.state_dict(), "opt_g": opt_g.state_dict(),
                 "opt_d": opt_d.state_dict(), "epoch": ep, "step": st, "wall_seconds": wall, "args": vars(args),
                 "size": size, "windows": out_windows, "canvas": canvas, "val": val_history,
                 "line_channel": args.line_channel, "line_history": line_history}
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(ckpt_path)

    val_history = ck.get("val", []) if ckpt_path.exists() else []
    total = 0  # steps run by this process
    t_run = time.time()
    prefetch = concurrent.futures.ThreadPoolExecutor(1)  # the next batch is made while this one trains
    while epoch < args.epochs:
        model.train()
        if teacher is not None:
            model.decoders.eval()  # frozen, as the engine runs them
        disc.train()
        perm = torch.from_numpy(np.random.default_rng(args.seed + epoch).permutation(train_idx))
        g = torch.Generator().manual_seed(args.seed * 100003 + epoch * 1009 + start_step)
        t_epoch, t_save = time.time(), time.time()
        run = {}
        first_step = start_step

        def fetch(step):
            return prefetch.submit(get_batch, perm[step * args.batch:(step + 1) * args.batch], g) \
                if step < steps_per_epoch else None
        upcoming = fetch(start_step)
        for step in range(start_step, steps_per_epoch):
            t_step = time.time()
            current, upcoming = upcoming, None
            latents, hint, mask, target, sketch, guide = current.result()
            upcoming = fetch(step + 1)
            if teacher is None:
                fake = model(latents, hint, mask, guide)
                distil = torch.zeros(())
            else:
                with torch.no_grad():
                    features = model.features(latents)
                    taught = teacher(features, hint, mask)
                fake = model.generator(features, hint, mask, guide)
                distil = (fake - taught).abs().mean()
            # Discriminator: least squares, real -> 1, fake -> 0.
            d_loss = 0.5 * ((disc(target, sketch) - 1) ** 2).mean() + 0.5 * (disc(fake.detach(), sketch) ** 2).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            l1 = (fake - target).abs().mean()
            lh = hinted_l1(fake, hint, mask)
            adv = ((disc(fake, sketch) - 1) ** 2).mean()
            g_loss = args.l1 * l1 + args.hint_weight * lh + args.gan * adv + args.distil * distil
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            wall += time.time() - t_step
            for k, v in (("l1", l1.item()), ("hint", lh.item()), ("adv", adv.item()), ("d", d_loss.item()))\
                    + ((("distil", distil.item()),) if teacher is not None else ()):
                run[k] = 0.98 * run[k] + 0.02 * v if k in run else v
            total += 1
            if step % 10 == 0 or step + 1 == steps_per_epoch:
                rate = (step + 1 - first_step) / max(time.time() - t_epoch, 1e-9)
                left = (args.epochs - epoch) * steps_per_epoch - step - 1
                print(f"\rtrain: epoch {epoch + 1}/{args.epochs} step {step + 1}/{steps_per_epoch} "
                      + " ".join(f"{k} {v:.3f}" for k, v in run.items())
                      + f" {rate:.2f} steps/s ETA {left / max(rate, 1e-9) / 60:.0f} min", end="", flush=True)
            if time.time() - t_save > args.save_minutes * 60:
                save(epoch, step + 1)
                t_save = time.time()
            if args.max_steps and total >= args.max_steps:
                save(epoch, step + 1)
                print("\ntrain: stopped at --max-steps", flush=True)
                return
            if args.max_minutes and time.time() - t_run > args.max_minutes * 60:
                if upcoming is not None:
                    upcoming.result()
                save(epoch, step + 1)
                print(f"\ntrain: stopped at --max-minutes {args.max_minutes} (epoch {epoch + 1} step {step + 1}); "
                      "val " + " ".join(f"{k} {v:.4f}" for k, v in evaluate(model, get_batch, val_idx, heldout_idx).items()),
                      flush=True)
                return
        epoch, start_step = epoch + 1, 0
        val = evaluate(model, get_batch, val_idx, heldout_idx)
        val_history.append({"epoch": epoch, **val})
        print(f"\ntrain: epoch {epoch} done in {time.time() - t_epoch:.0f} s; val " +
              " ".join(f"{k} {v:.4f}" for k, v in val.items()), flush=True)
        save(epoch, 0)
    print(f"train: finished; {wall / 60:.1f} min of training in all", flush=True)


def to_device(batch, device):
    latents, *rest = batch
    return ({p: v.to(device) for p, v in latents.items()},) + tuple(None if t is None else t.to(device) for t in rest)


def generator_widths(text):
    widths = tuple(int(v) for v in text.split(","))
    if len(widths) != 4 or min(widths) < 1:
        sys.exit(f"train: error: --generator-widths needs four positive widths, got {text!r}")
    return widths


def finished_model(path, windows, size, lines):
    """A finished checkpoint -> (its generator, frozen, in eval mode; its feature decoders' state)."""
    if not path.exists():
        sys.exit(f"train: error: --student-of {path}: no such checkpoint")
    ck = torch.load(path)
    a = ck["args"]
    if bool(ck.get("line_channel")) != (lines is not None):
        sys.exit(f"train: error: --student-of {path} has line channel {ck.get('line_channel')}, "
                 "this run has not; give the same --line-channel")
    done = Synthesis(windows, size=size, line_decoders=lines,
                     generator_widths=generator_widths(a.get("generator_widths", "48,96,48,16")),
                     generator_blocks=a.get("generator_blocks", 3))
    done.load_state_dict(ck["model"])
    done.eval().requires_grad_(False)
    print(f"train: learning from {path} (epoch {ck['epoch']}): its feature decoders stay as they are", flush=True)
    return done.generator, done.decoders.state_dict()


@torch.no_grad()
def evaluate(model, get_batch, idx, heldout_idx):
    """Clean sketches of validation faces (projection blend 0 where the data has a blend): L1 without hints;
    hinted-pixel error with vs without hints; L1 on the held-out style when the data has one."""
    model.eval()
    g = torch.Generator().manual_seed(12345)
    latents, hint, mask, target, _, guide = get_batch(torch.from_numpy(idx), g, p_degrade=0.0, p_none=0.0, blend=0.0)
    plain = model(latents, torch.zeros_like(hint), torch.zeros_like(mask), guide)
    hinted = model(latents, hint, mask, guide)
    out = {"l1": (plain - target).abs().mean().item(), "l1_hinted": (hinted - target).abs().mean().item(),
           "hint_err_without": hinted_l1(plain, hint, mask).item(), "hint_err_with": hinted_l1(hinted, hint, mask).item()}
    if len(heldout_idx):
        latents, hint, mask, target, _, guide = get_batch(torch.from_numpy(heldout_idx), g, p_degrade=0.0, p_none=1.0,
                                                          blend=0.0)
        out["l1_heldout"] = (model(latents, hint, mask, guide) - target).abs().mean().item()
    model.train()
    return out


def init_from_export(model, folder):
    """Loads an exported model folder's TorchScript feature decoders and generator into `model`; weights that
    take one more input channel here (the guide) get zeros for it, so training starts where the export was."""
    m = json.loads((folder / "manifest.json").read_text())
    for p in PARTS:
        state = torch.jit.load(str(folder / m["parts"][p]["feature_decoder"])).state_dict()
        model.decoders[p].load_state_dict(upgrade_state(state, model.decoders[p]))
    state = torch.jit.load(str(folder / m["generator"])).state_dict()
    model.generator.load_state_dict(upgrade_state(state, model.generator))
    print(f"train: started from {folder} (its generator {m['sha256'][m['generator']][:12]})", flush=True)


if __name__ == "__main__":
    main()
