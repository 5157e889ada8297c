#!/usr/bin/python3
"""AniFaceDrawing's synthesis, taught to follow the drawn lines (issue 18): fine-tunes the shipped synthesis
network into a GuidedSynthesis (stylegan_model.py) that reads the canonical-frame sketch at 32, 64 and 128 px
besides its W+ code, on a multi-style canonical pack (models/synth/prepare_canonical.py). The encoders stay
as shipped (frozen), so the codes mean what they meant: each batch is half the teacher's path (the image
encoder's code of the colour face, the finished sketch as the guide) and half the graph's path (the sketch
encoder's code of a simulated drawing in progress, that same drawing as the guide), both against the colour
face. Resumable like the other training scripts.

    /usr/bin/python3 models/stylegan/train_guided.py --data ~/sumi-data/canonical_afd.npz --init models/stylegan \\
        --out ~/sumi-work/afd-guided --epochs 3
    /usr/bin/python3 models/stylegan/export.py --teacher models/stylegan --guided ~/sumi-work/afd-guided/guided.pt \\
        --out models/stylegan

Losses as the teacher's: L1 (x50) weighted up inside the part windows (--part-weight), and the L1 of the
luminance gradients (--edge: the lines).

With --encoders-lr the two encoders learn too (the shipped ones saw adventurer faces only: their codes do not say
pink or purple hair), and with --mix-from N the batch is split in three: the teacher's path (a quarter), the
graph's reference mixing (layers 0..N-1 from the sketch encoder's code of the drawing in progress, N.. from the
image encoder's code of the colour face, the drawing as the guide: colour must come from the image code's layers)
and the sketch path; the sketch encoder's code is also pulled towards the image encoder's (--code-weight, the
original AniFaceDrawing objective) so the two codes stay one space and can be mixed.

--balance-hue DATA draws the training faces so that every hair hue is seen alike (hair_hue.py): the image
encoder turned the hues it saw least (pink, purple: 2.5 % of the faces) grey (invert_colour.py). --hair-weight W
adds W to the L1 weight of each face's hair pixels (where the true image is within 0.12 of the face's hair colour,
invert_colour.py's measure), since a whole-image L1 hardly sees the hair's colour; --skin-weight the same for the
skin; both move those colours at the cost of the rest of the face. --hair-mean-weight / --skin-mean-weight ask for
the region's mean colour alone (the portrait's mean over the face's hair pixels against the true image's; in
session 31 it made every region worse on faces it did not train on). --hold-rest H holds the pixels that are
neither hair nor skin to what the starting image encoder's code gives there (its frozen copy, run beside), so
that the rest of the face keeps its colours while the hair's and skin's move (docs/portraits.md). Dark skins
(manifest luminance under 0.45, a quarter of the faces) turned olive under --skin-weight in session 31:
--dark-skin-weight gives them their own weight, --hold-dark-skin holds them with the rest instead.

--colour-grid G gives the image encoder its colour path (stylegan_model.ImageEncoder: the mean colour of each cell
of a G x G grid straight to the code, past the GroupNorms; it starts at zero, or - from an encoder with a coarser
path whose grid divides G - as that path spread over the finer cells, computing the same codes). --image-encoder-only trains that
encoder alone (at --encoders-lr) through the frozen synthesis: the batch is the teacher's path and, with
--mix-from, the graph's reference mixing; the synthesis and the sketch encoder keep their weights, and export.py
writes image_encoder.pt alone.
"""
import argparse
import copy
import json
import pathlib
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from hair_hue import DARK_SKIN, HUES, balanced_weights, hair_colours, hair_mask, hue_bins, luminance, rgb  # noqa: E402
from progressive import progressive, window_masks  # noqa: E402
from stylegan_model import (GuidedSynthesis, ImageEncoder, StepBookkeeping, edge_loss, save_checkpoint,  # noqa: E402
                            smooth, start_from_export)


MIN_REGION_PIXELS = 16  # fewer matching pixels: the face shows too little of that colour to judge its mean


def mean_colour_error(fake, target, colour):
    """Mean over faces and channels of |fake's mean - target's mean| over each face's pixels of `colour` (hair_mask);
    faces with under MIN_REGION_PIXELS such pixels count not at all (None: no face has enough)."""
    region = hair_mask(target, colour).float()
    n = region.sum((2, 3))
    ok = n[:, 0] >= MIN_REGION_PIXELS
    if not ok.any():
        return None
    diff = ((fake - target) * region).sum((2, 3)) / n.clamp(min=1)
    return diff[ok].abs().mean()


def main():
    ap = argparse.ArgumentParser(description="Teach AniFaceDrawing's synthesis to follow the drawn lines.")
    ap.add_argument("--data", required=True, help="canonical pack (sketches + colours) from prepare_canonical.py")
    ap.add_argument("--init", default=str(HERE), help="the exported models to start from (their encoders stay)")
    ap.add_argument("--out", required=True, help="folder for the checkpoint (outside the source tree)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3, help="synthesis learning rate")
    ap.add_argument("--guide-lr", type=float, default=3e-3, help="learning rate of the new sketch branches")
    ap.add_argument("--l1", type=float, default=50.0)
    ap.add_argument("--edge", type=float, default=100.0)
    ap.add_argument("--part-weight", type=float, default=3.0)
    ap.add_argument("--parts", default=str(HERE.parent / "parts" / "manifest.json"), help="part windows")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save-minutes", type=float, default=5.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke tests)")
    ap.add_argument("--encoders-lr", type=float, default=0.0,
                    help="learning rate of the image and sketch encoders (0: frozen, as shipped)")
    ap.add_argument("--mix-from", type=int, default=0,
                    help="train the graph's reference mixing too: image-code layers from this one on (0: off)")
    ap.add_argument("--keep-epochs", action="store_true",
                    help="also keep each finished epoch's checkpoint as guided_epochN.pt (export any of them)")
    ap.add_argument("--balance-hue", metavar="DATA", default="",
                    help="draw the training faces so that every hair hue is seen alike (grey, dark or pale hair keeps "
                         "its share; each face at most --balance-cap times as often as uniform); DATA = the generated data set whose manifest "
                         "the pack's ids index (e.g. ~/sumi-data/styles256_v2)")
    ap.add_argument("--balance-cap", type=float, default=4.0)
    ap.add_argument("--hair-weight", type=float, default=0.0,
                    help="extra L1 weight on each face's hair (the true image's pixels within 0.12 of its hair "
                         "colour, from --hair-data's manifest); 0: off")
    ap.add_argument("--skin-weight", type=float, default=0.0,
                    help="the same for each face's skin (its manifest's skin colour); 0: off")
    ap.add_argument("--hair-mean-weight", type=float, default=0.0,
                    help="weight (times --l1) of the error of each face's mean hair colour - the mean of the "
                         "portrait over the hair pixels against the true image's - which asks for the colour, not "
                         "the texture; 0: off")
    ap.add_argument("--skin-mean-weight", type=float, default=0.0, help="the same for each face's skin")
    ap.add_argument("--hold-rest", type=float, default=0.0,
                    help="L1 weight (times --l1) holding every pixel that is neither hair nor skin to the portrait "
                         "of the image encoder this run started from (--image-encoder-only): the colour weights then "
                         "move hair and skin without spending the rest of the face; 0: off")
    ap.add_argument("--dark-skin-weight", type=float, default=None,
                    help="the skin weight for faces whose skin is dark (manifest luminance under "
                         f"{DARK_SKIN}) instead of --skin-weight (default: --skin-weight)")
    ap.add_argument("--hold-dark-skin", action="store_true",
                    help="with --hold-rest: dark skins (as --dark-skin-weight) are held to the starting encoder's "
                         "portrait with the rest, and get no skin weight")
    ap.add_argument("--hair-data", metavar="DATA", default="",
                    help="the generated data set whose manifest gives the faces' hair and skin colours "
                         "(default: --balance-hue's)")
    ap.add_argument("--code-weight", type=float, default=100.0,
                    help="sketch code MSE to the image code, when the encoders learn")
    ap.add_argument("--colour-grid", type=int, default=0,
                    help="give the image encoder a colour path from a G x G grid of mean colours, or make its path "
                         "finer (a multiple of its grid; 0: as loaded)")
    ap.add_argument("--colour-lr-scale", type=float, default=0.0,
                    help="the colour path's weights learn at this times --encoders-lr (0: 1/k^2 when this run makes "
                         "the path k times finer, else 1; pass it again to continue a path made finer earlier)")
    ap.add_argument("--image-encoder-only", action="store_true",
                    help="train the image encoder alone (--encoders-lr); synthesis and sketch encoder frozen")
    args = ap.parse_args()
    if args.image_encoder_only and args.encoders_lr <= 0:
        sys.exit("train: error: --image-encoder-only needs --encoders-lr above 0")
    if args.colour_grid < 0:
        sys.exit("train: error: --colour-grid must be 0 (off) or a grid size")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    path = pathlib.Path(args.data).expanduser()
    try:
        d = np.load(path)
        sketches, colours, split = torch.from_numpy(d["sketches"]), torch.from_numpy(d["colours"]), d["split"]
    except (OSError, KeyError, ValueError) as e:
        sys.exit(f"train: error: --data {path}: not a canonical pack with sketches, colours and split ({e})")
    size = colours.shape[1]
    train_idx, val_idx = np.flatnonzero(split == 0), np.flatnonzero(split == 1)[:128]
    if not len(train_idx):
        sys.exit(f"train: error: --data {path} has no training faces (split 0)")
    sample_p = None
    if args.balance_cap < 1:
        sys.exit("train: error: --balance-cap must be at least 1 (uniform sampling)")

    def manifest_colours(flag, data, key, rows):
        """{face id: '#rrggbb' or None} of `key` from DATA's manifest; exits unless it has every face of `rows`."""
        if "ids" not in d.files:
            sys.exit(f"train: error: {flag} needs the pack's face ids; {path} has none")
        known = hair_colours(data, key)
        missing = [int(i) for i in d["ids"][rows] if int(i) not in known]
        if missing:
            sys.exit(f"train: error: {flag} {data}: no face {missing[0]} in its manifest "
                     "(not the data set this pack was made from?)")
        return known

    if args.balance_hue:
        hair = manifest_colours("--balance-hue", args.balance_hue, "hair_color", train_idx)
        bins = hue_bins([hair[int(i)] for i in d["ids"][train_idx]])
        sample_p = balanced_weights(bins, args.balance_cap)
        share = np.bincount(bins, weights=sample_p, minlength=HUES + 1)
        print(f"train: hue-balanced sampling, share per hue bin ({HUES} hues, then neutral): "
              + " ".join(f"{v:.2f}" for v in share), flush=True)
    # Each face's hair and skin colour, for --hair-weight / --skin-weight and the validation's colour errors (a
    # colour no pixel matches where a face has none).
    flat_rgb = {}
    hair_data = args.hair_data or args.balance_hue
    weights = {"hair": args.hair_weight, "skin": args.skin_weight}
    mean_weights = {"hair": args.hair_mean_weight, "skin": args.skin_mean_weight}
    for flag, w in [(f"--{part}-weight", w) for part, w in weights.items()] + \
            [(f"--{part}-mean-weight", w) for part, w in mean_weights.items()]:
        if w < 0:
            sys.exit(f"train: error: {flag} must be 0 (off) or more")
        if w and not hair_data:
            sys.exit(f"train: error: {flag} needs the faces' colours: --hair-data DATA (or --balance-hue DATA)")
    if args.hold_rest < 0:
        sys.exit("train: error: --hold-rest must be 0 (off) or more")
    if args.hold_rest and not (hair_data and args.image_encoder_only):
        sys.exit("train: error: --hold-rest needs --image-encoder-only and the faces' colours (--hair-data DATA)")
    if args.hold_dark_skin and not args.hold_rest:
        sys.exit("train: error: --hold-dark-skin needs --hold-rest H (the weight it holds them with)")
    if args.hold_dark_skin and args.dark_skin_weight is not None:
        sys.exit("train: error: --hold-dark-skin and --dark-skin-weight: a held dark skin gets no skin weight")
    if args.dark_skin_weight is not None and (args.dark_skin_weight < 0 or not hair_data):
        sys.exit("train: error: --dark-skin-weight must be 0 or more and needs the faces' colours (--hair-data DATA)")
    dark_skin_weight = 0.0 if args.hold_dark_skin else \
        args.skin_weight if args.dark_skin_weight is None else args.dark_skin_weight
    dark = torch.zeros(len(d["ids"]), dtype=torch.bool)  # per face of the pack: its skin is dark
    for part in weights if hair_data else ():
        known = manifest_colours("--hair-data", hair_data, f"{part}_color", np.concatenate([train_idx, val_idx]))
        flat_rgb[part] = torch.tensor([rgb(known[int(i)]) if known.get(int(i)) else (9.0, 9.0, 9.0)
                                       for i in d["ids"]], dtype=torch.float32).view(-1, 3, 1, 1)
        if part == "skin":
            dark = torch.tensor([bool(known.get(int(i))) and luminance(known[int(i)]) < DARK_SKIN for i in d["ids"]])
    # Per face: the L1 weight added on its hair / skin pixels.
    face_weight = {part: torch.full((len(d["ids"]), 1, 1, 1), w)
                   for part, w in (("hair", args.hair_weight), ("skin", args.skin_weight))}
    face_weight["skin"][dark] = dark_skin_weight
    weighted = [part for part, w in face_weight.items() if w.any()]
    # The record of how the networks this run continues were last trained: an image-encoder-only run continues
    # the image encoder (its own record, else the guided run that trained it, else the teacher's).
    stage = "teacher"
    if args.image_encoder_only:
        try:
            done = json.loads((pathlib.Path(args.init).expanduser() / "manifest.json").read_text()).get("training", {})
        except (OSError, ValueError):
            done = {}  # start_from_export says what is wrong with the folder
        stage = next((k for k in ("image_encoder", "guided") if "image_encoder" in done.get(k, {}).get("trained", [])),
                     "teacher")
    nets, started_from = start_from_export(args.init, stage, size, 256)
    w_dim = int(nets["manifest"]["w_dim"])
    enc, sk_enc = nets["image_encoder"].eval(), nets["sketch_encoder"].eval()
    colour_lr_scale = 1.0
    if args.colour_grid and enc.colour_grid != args.colour_grid:
        if enc.colour_grid:
            # A finer grid starts as the coarse path spread over its cells: the same codes at first.
            try:
                finer = enc.with_finer_colour_grid(args.colour_grid)
            except ValueError as e:
                sys.exit(f"train: error: --colour-grid {args.colour_grid}: the --init image encoder has a "
                         f"{enc.colour_grid} x {enc.colour_grid} colour path; {e}")
            # Adam moves every weight by about the learning rate, and a fine cell's input is one of k^2 that
            # made a coarse cell: at 1/k^2 of it the path's codes move as fast as the coarse path's did.
            colour_lr_scale = (enc.colour_grid / args.colour_grid) ** 2
            print(f"train: the image encoder's {enc.colour_grid} x {enc.colour_grid} colour path becomes "
                  f"{args.colour_grid} x {args.colour_grid} (the same codes at first)", flush=True)
            enc = finer.eval()
        else:
            with_path = ImageEncoder(size, int(nets["manifest"]["w_dim"]), args.colour_grid)
            missing = with_path.load_state_dict(enc.state_dict(), strict=False).missing_keys
            assert all(k.startswith("colour.") for k in missing), missing
            enc = with_path.eval()
            print(f"train: the image encoder gets a {args.colour_grid} x {args.colour_grid} colour path "
                  "(zero at first)", flush=True)
    if args.colour_lr_scale < 0:
        sys.exit("train: error: --colour-lr-scale must be above 0 (0: automatic)")
    colour_lr_scale = args.colour_lr_scale or colour_lr_scale
    if colour_lr_scale != 1 and not enc.colour_grid:
        sys.exit("train: error: --colour-lr-scale: the image encoder has no colour path (--colour-grid)")
    if colour_lr_scale != 1 and args.encoders_lr > 0:
        print(f"train: the colour path's weights learn at {colour_lr_scale:g} x --encoders-lr", flush=True)
    only = args.image_encoder_only
    # The starting encoder, frozen (before a checkpoint is resumed): --hold-rest's reference portrait.
    anchor = copy.deepcopy(enc).eval().requires_grad_(False) if args.hold_rest else None
    trained = ["image_encoder"] if only else ["synthesis"] + (["image_encoder", "sketch_encoder"]
                                                               if args.encoders_lr > 0 else [])
    encoders = list(enc.parameters()) + ([] if only else list(sk_enc.parameters()))
    for q in list(enc.parameters()) + list(sk_enc.parameters()):
        q.requires_grad_(False)
    for q in encoders:
        q.requires_grad_(args.encoders_lr > 0)
    num_ws = int(nets["manifest"]["num_ws"])
    if args.mix_from and not 0 < args.mix_from < num_ws:
        sys.exit(f"train: error: --mix-from {args.mix_from}: the codes have layers 0-{num_ws - 1}")
    syn = nets["synthesis"]
    if not isinstance(syn, GuidedSynthesis):
        syn = GuidedSynthesis.from_synthesis(syn)
    parts = json.loads(pathlib.Path(args.parts).read_text())
    masks = window_masks([parts["parts"][p]["window"] for p in ("left_eye", "right_eye", "nose", "mouth")],
                         parts["canvas"], size)
    pixel_weight = torch.ones(1, 1, size, size) + args.part_weight * masks[:4].amax(0, keepdim=True)
    pixel_weight /= pixel_weight.mean()
    guide_params = list(syn.guides.parameters())
    ids = {id(q) for q in guide_params}
    groups = [] if only else [{"params": [q for q in syn.parameters() if id(q) not in ids], "lr": args.lr},
                              {"params": guide_params, "lr": args.guide_lr}]
    if only:
        for q in syn.parameters():
            q.requires_grad_(False)
    if args.encoders_lr > 0:
        slower = [enc.colour.weight] if colour_lr_scale != 1 else []
        groups.append({"params": [q for q in encoders if all(q is not w for w in slower)], "lr": args.encoders_lr})
        if slower:
            groups.append({"params": slower, "lr": args.encoders_lr * colour_lr_scale})
    opt = torch.optim.Adam(groups, betas=(0.9, 0.99))
    out = pathlib.Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "guided.pt"
    epoch, start_step, wall, val_history = 0, 0, 0.0, []
    if ckpt_path.exists():
        ck = torch.load(ckpt_path)
        syn.load_state_dict(ck["synthesis"])
        if "image_encoder" in ck:
            enc.load_state_dict(ck["image_encoder"])
            sk_enc.load_state_dict(ck["sketch_encoder"])
        opt.load_state_dict(ck["opt"])
        epoch, start_step, wall, val_history = ck["epoch"], ck["step"], ck["wall_seconds"], ck["val"]
        print(f"train: resuming at epoch {epoch + 1} step {start_step} ({wall / 60:.1f} min so far)", flush=True)
    steps_per_epoch = len(train_idx) // args.batch
    print(f"train: {len(train_idx)} faces at {size} px, {steps_per_epoch} steps per epoch", flush=True)

    def small(idx):
        return F.interpolate(sketches[idx].unsqueeze(1).float() / 255.0, size=(size, size), mode="area")

    def save(ep, st):
        state = {"synthesis": syn.state_dict(), "opt": opt.state_dict(),
                 **({"image_encoder": enc.state_dict(), "sketch_encoder": sk_enc.state_dict()}
                    if args.encoders_lr > 0 else {}), "trained": trained, "epoch": ep, "step": st, "wall_seconds": wall,
                 "args": vars(args), "size": size, "w_dim": w_dim, "val": val_history, "started_from": started_from,
                 "data": path.name}
        save_checkpoint(state, ckpt_path)

    def mixed(sketch_code, image_code):  # the graph's latent.mix_layers: layers mix_from.. from the image code
        return torch.cat([sketch_code[:, :args.mix_from], image_code[:, args.mix_from:]], 1)

    book = StepBookkeeping(args.epochs, steps_per_epoch, save, args.save_minutes, args.max_steps)
    while epoch < args.epochs:
        syn.train(not only)  # frozen, it runs as exported (its constant noise): what the engine will run
        if args.encoders_lr > 0:
            enc.train()
            sk_enc.train(not only)
        rng = np.random.default_rng(args.seed + epoch)
        perm = torch.from_numpy(rng.permutation(train_idx) if sample_p is None else
                                rng.choice(train_idx, size=len(train_idx), p=sample_p))
        g = torch.Generator().manual_seed(args.seed * 100003 + epoch * 1009 + start_step)
        run = {}
        book.start_epoch(start_step)
        for step in range(start_step, steps_per_epoch):
            t_step = time.time()
            idx = perm[step * args.batch:(step + 1) * args.batch]
            x = colours[idx].permute(0, 3, 1, 2).float() / 255.0
            clean = small(idx)
            # teacher path [:h], (reference mixing [h:m],) sketch path [m:]
            if only:  # no sketch path: the image encoder plays no part in it
                h, m = (len(idx) // 2 if args.mix_from else len(idx)), len(idx)
            else:
                h = len(idx) // 4 if args.mix_from else len(idx) // 2
                m = (len(idx) + h) // 2 if args.mix_from else h
            drawn = progressive(clean[h:], masks, g)
            with torch.set_grad_enabled(args.encoders_lr > 0):
                wi = enc(x[:m] if args.encoders_lr == 0 else x)
            with torch.set_grad_enabled(args.encoders_lr > 0 and not only):
                wd = sk_enc(drawn)
            ws = torch.cat([wi[:h], mixed(wd[:m - h], wi[h:m]), wd[m - h:]])
            guide = torch.cat([clean[:h], drawn])
            fake = syn(ws, guide)
            weight = pixel_weight
            # each face's hair and skin pixels, once a step, for the pixel weights and the hold
            region = {part: hair_mask(x, flat_rgb[part][idx]) for part in flat_rgb} \
                if weighted or anchor is not None else {}
            for part in weighted:  # where the image code gives the colour: not the sketch path [m:]
                w = face_weight[part][idx].clone()
                w[m:] = 0
                weight = weight + w * region[part]
            l1 = ((fake - x).abs() * weight).mean()
            edge = edge_loss(fake, x)
            loss = args.l1 * l1 + args.edge * edge
            for part, w in mean_weights.items():
                if w:
                    err = mean_colour_error(fake[:m], x[:m], flat_rgb[part][idx[:m]])
                    if err is not None:
                        loss = loss + args.l1 * w * err
                        smooth(run, ((f"{part}_mean", err.item()),))
            if anchor is not None:
                with torch.no_grad():
                    wa = anchor(x[:m])
                    held = syn(torch.cat([wa[:h], mixed(wd[:m - h], wa[h:m])]), guide[:m])
                skin = region["skin"][:m]
                rest = ~(region["hair"][:m] | skin)
                if args.hold_dark_skin:
                    rest |= skin & dark[idx[:m]].view(-1, 1, 1, 1)
                hold = ((fake[:m] - held).abs() * rest).mean()
                loss = loss + args.l1 * args.hold_rest * hold
                smooth(run, (("hold", hold.item()),))
            if args.encoders_lr > 0 and not only:
                code = (wd - wi[h:].detach()).pow(2).mean()
                loss = loss + args.code_weight * code
                smooth(run, (("code", code.item()),))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            wall += time.time() - t_step
            smooth(run, (("l1", l1.item()), ("edge", edge.item())))
            if book.step_done(run, epoch, step):
                return
        epoch, start_step = epoch + 1, 0
        with torch.no_grad():
            for net in (syn, enc, sk_enc):
                net.eval()
            vi = torch.from_numpy(val_idx)
            x = colours[vi].permute(0, 3, 1, 2).float() / 255.0
            clean = small(vi)
            wi, wd = enc(x), sk_enc(clean)
            teacher = syn(wi, clean)
            drawn = syn(wd, clean)
            val = {"epoch": epoch, "teacher_l1": (teacher - x).abs().mean().item(),
                   "sketch_l1": (drawn - x).abs().mean().item(), "sketch_edge": edge_loss(drawn, x).item()}
            if args.mix_from:
                mix = syn(mixed(wd, wi), clean)
                val["mixed_l1"] = (mix - x).abs().mean().item()
                for part, colour in flat_rgb.items():  # |portrait - hair (skin) colour| over those pixels
                    px = hair_mask(x, colour[vi]).expand_as(x)
                    if px.any():
                        val[f"mixed_{part}_error"] = (mix - colour[vi]).abs()[px].mean().item()
                    if part == "skin" and (px := px & dark[vi].view(-1, 1, 1, 1)).any():
                        val["mixed_dark_skin_error"] = (mix - colour[vi]).abs()[px].mean().item()
        val_history.append(val)
        print(f"\ntrain: epoch {epoch} done in {time.time() - book.t_epoch:.0f} s; val L1 from the image code "
              f"{val['teacher_l1']:.4f}, from the sketch code {val['sketch_l1']:.4f} (edge {val['sketch_edge']:.4f})"
              + (f", mixed from layer {args.mix_from} {val['mixed_l1']:.4f}" if args.mix_from else "")
              + "".join(f", {part.replace('_', ' ')} colour error {val[f'mixed_{part}_error']:.4f}"
                        for part in list(flat_rgb) + ["dark_skin"] if f"mixed_{part}_error" in val),
              flush=True)
        save(epoch, 0)
        if args.keep_epochs:  # the checkpoint is rewritten every epoch; a later epoch is not always better
            shutil.copyfile(ckpt_path, out / f"guided_epoch{epoch}.pt")
    print(f"train: finished; {wall / 60:.1f} min of training in all", flush=True)


if __name__ == "__main__":
    main()
