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
face's hair colour). If the optimised code gets the colour and the encoder's does not, the synthesis can
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
from hair_hue import SATURATED, hair_colours, hsv, rgb  # noqa: E402


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


def colour_error(image, target, hair):
    """Mean |RGB - hair| over the target's pixels within 0.12 of the hair colour (None when it shows none)."""
    mask = (target - hair).abs().amax(1, keepdim=True) < 0.12
    if int(mask.sum()) == 0:
        return None
    return float((image - hair).abs().mean(1, keepdim=True)[mask].mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", required=True, help="canonical pack (models/synth/prepare_canonical.py)")
    ap.add_argument("--data", required=True, help="the data set folder whose manifest.jsonl the pack's ids index")
    ap.add_argument("--models", default=str(HERE), help="AniFaceDrawing model folder (models/stylegan)")
    ap.add_argument("--hue", default="0.75,0.95", help="LO,HI hue of the hair colours to try (0-1; pink/purple)")
    ap.add_argument("--faces", type=int, default=4)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--picture", help="PNG: per face, the true image, the encoder's portrait, the optimised one")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lo, hi = (float(v) for v in args.hue.split(","))
    pack = np.load(pathlib.Path(args.pack).expanduser())
    hair_of = hair_colours(args.data)
    m = json.loads((pathlib.Path(args.models) / "manifest.json").read_text())
    synthesis = torch.jit.load(str(pathlib.Path(args.models) / m["synthesis"])).eval()
    encoder = torch.jit.load(str(pathlib.Path(args.models) / m["image_encoder"])).eval()
    for p in synthesis.parameters():
        p.requires_grad_(False)
    size = int(m["size"])
    rows, errors = [], {"encoder": [], "optimised": []}
    for row in np.where(pack["split"] == 2)[0]:  # the test split
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
        guide = F.adaptive_avg_pool2d(sketch, (size, size))  # synth.stylegan's sketch input
        t0 = time.perf_counter()
        with torch.no_grad():
            code = encoder(target)
            encoded = synthesis(code, guide)
        optimised_code = optimise_code(synthesis, code, target, guide, args.steps)
        with torch.no_grad():
            optimised = synthesis(optimised_code, guide)
        e = {k: colour_error(img, target, rgb_tensor(hair)) for k, img in (("encoder", encoded), ("optimised", optimised))}
        l1 = {k: float((img - target).abs().mean()) for k, img in (("encoder", encoded), ("optimised", optimised))}
        for k in errors:
            errors[k].append(e[k])
        print(f"face {int(pack['ids'][row])} ({pack['styles'][pack['style'][row]]}, hair {hair}): hair colour error "
              f"{e['encoder']:.3f} from the encoder's code, {e['optimised']:.3f} optimised; L1 {l1['encoder']:.4f} "
              f"-> {l1['optimised']:.4f} ({time.perf_counter() - t0:.0f} s)", flush=True)
        rows.append(torch.cat([target, encoded, optimised], 3))
        if len(rows) == args.faces:
            break
    if not rows:
        raise SystemExit("invert_colour: no test face with such a hair colour in the pack")
    print(f"median hair colour error over {len(rows)} faces: encoder {np.median(errors['encoder']):.3f}, "
          f"optimised {np.median(errors['optimised']):.3f}")
    if args.picture:
        import cv2
        image = (torch.cat(rows, 2)[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255).round().astype(np.uint8)
        cv2.imwrite(args.picture, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        print(f"invert_colour: wrote {args.picture}")


if __name__ == "__main__":
    main()
