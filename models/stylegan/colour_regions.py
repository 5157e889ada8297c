"""Where does a reference's colour go wrong? For every face of some splits of a canonical pack, the portrait from
the graph's mixed code (the face's drawing for layers 0..N-1, its colour image for N on, as
graphs/anifacedrawing.sumi.json runs it with the face as its own reference), per model folder: the error of its
hair colour and of its skin colour (mean |RGB - the manifest's colour| over the true image's pixels within 0.12
of it, as invert_colour.py), the skin's error again over dark skins alone (the manifest's skin luminance below
0.45: a wrong hue there, olive or grey, is lost in the median over every skin), and the L1 of everything else
(clothes, eyes, mouth, background). A change that fixes one region's colour at another's cost shows here.

    PYTHONPATH=build/python /usr/bin/python3 models/stylegan/colour_regions.py \\
        --pack ~/sumi-data/canonical_afd.npz --data ~/sumi-data/styles256_v2 --models models/stylegan,/tmp/other

Prints a markdown table: each folder's median and mean per region over the faces that show it, then the same for
the held-out style alone (split 3). --picture PNG draws the dark-skinned faces among them (the first
--picture-faces, held-out style first): per face the true image, then each folder's portrait.
"""
import argparse
import pathlib
import sys

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from hair_hue import DARK_SKIN, hair_colours, hair_mask, luminance  # noqa: E402
from invert_colour import encoded_portraits, load_folders, rgb_tensor, write_picture  # noqa: E402

REGIONS = ("hair", "skin", "dark skin", "rest")


def region_errors(image, target, hair, skin):
    """{region: error or None}: hair and skin as |image - colour| over their pixels, the rest as L1 elsewhere."""
    out, covered = {}, torch.zeros_like(target[:, :1], dtype=torch.bool)
    for region, colour in (("hair", hair), ("skin", skin)):
        if colour is None:
            out[region] = None
            continue
        c = rgb_tensor(colour)
        mask = hair_mask(target, c)
        covered |= mask
        out[region] = float((image - c).abs().mean(1, keepdim=True)[mask].mean()) if mask.any() else None
    rest = ~covered
    # The skin again for dark skins alone: their errors are hue errors (olive, grey) that a median over every
    # skin hides.
    out["dark skin"] = out["skin"] if skin is not None and luminance(skin) < DARK_SKIN else None
    out["rest"] = float((image - target).abs().mean(1, keepdim=True)[rest].mean()) if rest.any() else None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", required=True, help="canonical pack (models/synth/prepare_canonical.py)")
    ap.add_argument("--data", required=True, help="the data set folder whose manifest.jsonl the pack's ids index")
    ap.add_argument("--models", default=str(HERE), help="model folders, comma-separated")
    ap.add_argument("--mix-from", type=int, default=4, help="the graph's latent.mix_layers (0: the image code alone)")
    ap.add_argument("--splits", default="1,2,3", help="pack splits (1 validation, 2 test, 3 the held-out style)")
    ap.add_argument("--faces", type=int, default=0, help="at most this many faces (0: all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--picture", help="PNG: a row per dark-skinned face - the true image, then each folder's portrait")
    ap.add_argument("--picture-faces", type=int, default=8, help="rows of --picture (held-out style first)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with np.load(pathlib.Path(args.pack).expanduser()) as npz:  # read once: an NpzFile reads an array per access
        pack = dict(npz)
    hair_of, skin_of = hair_colours(args.data), hair_colours(args.data, "skin_color")
    folders = [pathlib.Path(f).expanduser() for f in args.models.split(",")]
    nets = load_folders(folders, args.mix_from)
    kind = "mixed" if args.mix_from else "encoder"
    errors = {(i, r, held): [] for i in range(len(nets)) for r in REGIONS for held in (False, True)}
    rows = np.where(np.isin(pack["split"], [int(v) for v in args.splits.split(",")]))[0]
    if args.faces:
        rows = rows[:args.faces]
    unknown = [int(pack["ids"][r]) for r in rows if int(pack["ids"][r]) not in hair_of]
    if unknown:
        raise SystemExit(f"colour_regions: --data {args.data}: no face {unknown[0]} in its manifest "
                         "(not the data set this pack was made from?)")
    pictured = {}  # (held-out, n): a row of the picture
    for n, row in enumerate(rows):
        face = int(pack["ids"][row])
        target = torch.from_numpy(pack["colours"][row].astype(np.float32) / 255).permute(2, 0, 1)[None]
        sketch = torch.from_numpy(pack["sketches"][row].astype(np.float32) / 255)[None, None]
        images = []
        for i, (size, net) in enumerate(nets):
            image = encoded_portraits(net, size, target, sketch, args.mix_from, kind == "encoder")[0][kind]
            images.append(image)
            for region, e in region_errors(image, target, hair_of.get(face), skin_of.get(face)).items():
                if e is not None:
                    errors[(i, region, False)].append(e)
                    if int(pack["split"][row]) == 3:
                        errors[(i, region, True)].append(e)
        if args.picture and skin_of.get(face) and luminance(skin_of[face]) < DARK_SKIN:
            pictured[(int(pack["split"][row]) != 3, n)] = torch.cat([target] + images, 3)
        if (n + 1) % 100 == 0:
            print(f"colour_regions: {n + 1}/{len(rows)} faces", flush=True)
    print(f"\n| model | faces | {' | '.join(f'{r} median (mean)' for r in REGIONS)} |")
    print("|---|---|" + "---|" * len(REGIONS))
    for held in (False, True):
        for i, folder in enumerate(folders):
            cells = []
            for r in REGIONS:
                v = errors[(i, r, held)]
                cells.append(f"{np.median(v):.4f} ({np.mean(v):.4f})" if v else "-")
            faces = len(errors[(i, "rest", held)])
            print(f"| {folder.name}{' (held-out style)' if held else ''} | {faces} | {' | '.join(cells)} |")
    if args.picture:
        if not pictured:
            raise SystemExit("colour_regions: --picture: no dark-skinned face among these faces")
        rows = [pictured[k] for k in sorted(pictured)[:args.picture_faces]]
        write_picture(rows, args.picture)
        print(f"colour_regions: wrote {args.picture} ({len(rows)} dark-skinned faces)")


if __name__ == "__main__":
    main()
