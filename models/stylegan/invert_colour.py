"""Can the synthesis draw this face's colours, or does the image encoder lose
them? For test faces of a canonical pack whose hair is strongly coloured (a
hue range, e.g. pink and purple), compares the portrait from the image
encoder's W+ code with one from a code optimised for the face itself (Adam on
the W+ code, L1 to the colour image, the synthesis frozen and guided by the
face's own canonical sketch, as graphs/anifacedrawing.sumi.json runs it): the
error in the hair's colour (mean |RGB - hair colour| over the pixels of the
true image within 0.12 of it) and the L1 of the whole image.

    PYTHONPATH=build/python /usr/bin/python3 models/stylegan/invert_colour.py \\
        --pack ~/sumi-data/canonical_afd.npz --data ~/sumi-data/styles256_v2 --faces 4 --picture /tmp/invert.png

--pack: models/synth/prepare_canonical.py's output; --data: the generated data set its `ids` index (for each
face's hair colour). --steps 0 measures the encoder alone; --mix-from N (4: the graph's latent.mix_layers, layers
4-11 from the reference) also measures the graph's path: the face's sketch code for layers 0..N-1, its image
code from N on. --splits picks the faces (2 test; 1 validation and 3 the held-out style are never trained on
either); --faces 0 takes every face with such hair. If the optimised code gets the colour and the encoder's does not, the synthesis can
render it and the encoder is what turns it grey (session 28: see docs/portraits.md).
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
from hair_hue import SATURATED, hair_colours, hair_mask, hsv, rgb  # noqa: E402


def rgb_tensor(hex_colour):
    return torch.tensor(rgb(hex_colour)).view(1, 3, 1, 1)


def optimise_code(synthesis, start, target, guide, steps=150, lr=0.01):
    """W+ code (1 x num_ws x w_dim) from `start` that minimises L1(synthesis(code, guide), target)."""
    code = start.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([code], lr=lr)
    for _ in range(steps):
        loss = (synthesis(code, guide) - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return code.detach()


def load_folders(folders, mix_from=0):
    """[(size, {synthesis, image_encoder, sketch_encoder})] of exported model folders (TorchScript, as the engine
    runs them; the synthesis frozen)."""
    nets = []
    for folder in folders:
        m = json.loads((pathlib.Path(folder) / "manifest.json").read_text())
        if mix_from and not 0 < mix_from < int(m["num_ws"]):
            raise SystemExit(f"{pathlib.Path(sys.argv[0]).stem}: --mix-from {mix_from}: the codes have layers "
                             f"0-{int(m['num_ws']) - 1}")
        net = {role: torch.jit.load(str(pathlib.Path(folder) / m[role])).eval()
               for role in ("synthesis", "image_encoder", "sketch_encoder")}
        for p in net["synthesis"].parameters():
            p.requires_grad_(False)
        nets.append((int(m["size"]), net))
    return nets


def encoded_portraits(net, size, target, sketch, mix_from=0, image_code_portrait=True):
    """({"encoder": portrait from the colour image's code (unless image_code_portrait is False), "mixed": from the
    graph's mixing (the sketch's code for layers 0..mix_from-1, the image's from mix_from on), when mix_from}, the
    image code, the synthesis's guide)."""
    guide = F.adaptive_avg_pool2d(sketch, (size, size))  # synth.stylegan's sketch input
    images = {}
    with torch.no_grad():
        code = net["image_encoder"](target)
        if image_code_portrait:
            images["encoder"] = net["synthesis"](code, guide)
        if mix_from:
            drawn = net["sketch_encoder"](guide)  # the graph's encode_sketch: the canonical sketch, model size
            images["mixed"] = net["synthesis"](torch.cat([drawn[:, :mix_from], code[:, mix_from:]], 1), guide)
    return images, code, guide


def colour_error(image, target, hair):
    """Mean |RGB - hair| over the target's pixels within 0.12 of the hair colour (None when it shows none)."""
    mask = hair_mask(target, hair)
    if int(mask.sum()) == 0:
        return None
    return float((image - hair).abs().mean(1, keepdim=True)[mask].mean())


def write_picture(rows, path):
    """One PNG of picture rows (each 1 x 3 x H x W, 0..1, the same width), top to bottom."""
    import cv2
    image = (torch.cat(rows, 2)[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255).round().astype(np.uint8)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", required=True, help="canonical pack (models/synth/prepare_canonical.py)")
    ap.add_argument("--data", required=True, help="the data set folder whose manifest.jsonl the pack's ids index")
    ap.add_argument("--models", default=str(HERE),
                    help="AniFaceDrawing model folder (models/stylegan), or several, comma-separated, side by side")
    ap.add_argument("--hue", default="0.75,0.95", help="LO,HI hue of the hair colours to try (0-1; pink/purple)")
    ap.add_argument("--faces", type=int, default=4, help="at most this many faces (0: all)")
    ap.add_argument("--steps", type=int, default=150, help="Adam steps of the optimised code (0: none)")
    ap.add_argument("--mix-from", type=int, default=0,
                    help="also the graph's mixed code: sketch code below this layer, image code from it (0: off)")
    ap.add_argument("--splits", default="2", help="pack splits to take faces from (comma-separated)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--picture", help="PNG: per face, the true image, then each folder's encoder, mixed and optimised "
                                      "portraits")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lo, hi = (float(v) for v in args.hue.split(","))
    with np.load(pathlib.Path(args.pack).expanduser()) as npz:  # read once: an NpzFile reads an array per access
        pack = dict(npz)
    hair_of = hair_colours(args.data)
    folders = [pathlib.Path(f).expanduser() for f in args.models.split(",")]
    nets = load_folders(folders, args.mix_from)
    # one column per model folder and kind (the folder's name first when there are several)
    kinds = ["encoder"] + (["mixed"] if args.mix_from else []) + (["optimised"] if args.steps else [])
    columns = [(i, k) for i in range(len(nets)) for k in kinds]
    name = {c: (f"{folders[c[0]].name}:" if len(nets) > 1 else "") + c[1] for c in columns}
    rows, errors = [], {c: [] for c in columns}
    splits = [int(v) for v in args.splits.split(",")]
    for row in np.where(np.isin(pack["split"], splits))[0]:
        hair = hair_of.get(int(pack["ids"][row]))
        if not hair:
            continue
        h, s, v = hsv(hair)
        if not (lo <= h <= hi and s > SATURATED and v > SATURATED):
            continue
        target = torch.from_numpy(pack["colours"][row].astype(np.float32) / 255).permute(2, 0, 1)[None]
        if colour_error(target, target, rgb_tensor(hair)) is None:
            continue  # hair hidden (a hat, a bald head)
        sketch = torch.from_numpy(pack["sketches"][row].astype(np.float32) / 255)[None, None]
        t0 = time.perf_counter()
        images = {}
        for i, (size, net) in enumerate(nets):
            portraits, code, guide = encoded_portraits(net, size, target, sketch, args.mix_from)
            images.update({(i, kind): image for kind, image in portraits.items()})
            if args.steps:
                optimised_code = optimise_code(net["synthesis"], code, target, guide, args.steps)
                with torch.no_grad():
                    images[(i, "optimised")] = net["synthesis"](optimised_code, guide)
        e = {c: colour_error(img, target, rgb_tensor(hair)) for c, img in images.items()}
        l1 = {c: float((img - target).abs().mean()) for c, img in images.items()}
        for c in columns:
            errors[c].append(e[c])
        print(f"face {int(pack['ids'][row])} ({pack['styles'][pack['style'][row]]}, split {int(pack['split'][row])}, "
              f"hair {hair}): hair colour error " + ", ".join(f"{name[c]} {e[c]:.3f}" for c in columns)
              + "; L1 " + ", ".join(f"{name[c]} {l1[c]:.4f}" for c in columns)
              + f" ({time.perf_counter() - t0:.1f} s)", flush=True)
        rows.append(torch.cat([target] + [images[c] for c in columns], 3))
        if len(rows) == args.faces:
            break
    if not rows:
        raise SystemExit("invert_colour: no test face with such a hair colour in the pack")
    print(f"median hair colour error over {len(rows)} faces: "
          + ", ".join(f"{name[c]} {np.median(errors[c]):.3f} (mean {np.mean(errors[c]):.3f})" for c in columns),
          flush=True)
    if args.picture:
        write_picture(rows, args.picture)
        print(f"invert_colour: wrote {args.picture}")


if __name__ == "__main__":
    main()
