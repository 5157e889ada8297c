#!/usr/bin/python3
"""How good are the portraits? Runs the portrait graph files in graphs/ on the
held-out test split through Sumi itself: each test face's sketch (30 %, 60 %
and 100 % of its strokes kept; roughened; roughened with 60 % kept - made with
sketch.drop_strokes and sketch.roughen) is fed in place of the graph's
rasterised drawing (node `sketch`), and the portrait compared with the face's
true colour image:

  * L1 (mean absolute RGB error, 0..1) and SSIM (luminance, 11 x 11 Gaussian);
  * line fidelity: symmetric chamfer distance in pixels (capped at 8) between
    the input sketch's lines and the portrait's line art (sketch.xdog, the
    node AniFaceDrawing's guidance uses), next to the same distance for the
    true image's line art as a floor;
  * deepfacedrawing: with manifold projection (blend 1) and without (blend 0);
  * sketch2anime: simulated colour hints from the true image
    (colour.simulate_hints, fed in place of node `hints`): the mean colour
    error inside the hinted pixels with hints vs without (target: halved);
  * anifacedrawing: the sketch's own code (mix strength 0) for L1, SSIM and
    lines; and, on complete sketches, colour from a reference (another test
    face's true image fed in place of node `reference`): the colour histogram
    distance of the portrait to the reference vs to the sketch's own face,
    with and without the mixing.

Writes a Markdown table and a picture (input | portraits | truth) to --out.

    PYTHONPATH=build/python /usr/bin/python3 models/synth/evaluate.py \\
        --sketches ~/sumi-data/sketches256.npz --colours ~/sumi-data/colours128.npz --faces 100 --out docs/portraits

With --framing it runs every portrait graph instead under framing jitter (shift, scale, rotation of the
sketch and its truth together) and, with --heldout DIR, on the held-out style of a multi-style data set;
it writes the section --label of framing.md and framing_LABEL.png (models/synth/framing.py):

    PYTHONPATH=build/python /usr/bin/python3 models/synth/evaluate.py --framing \\
        --sketches ~/sumi-data/sketches256.npz --colours ~/sumi-data/colours128.npz --faces 40 \\
        [--heldout ~/sumi-data/styles256] --label after --out docs/portraits
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "parts"))
from evaluate import picture  # noqa: E402  (models/parts/evaluate.py)
from metrics import chamfer, hints_graph, input_ink, line_art, ssim  # noqa: E402  (models/synth/metrics.py)
import framing  # noqa: E402  (models/synth/framing.py)

CONDITIONS = [  # name, drop_strokes keep (None = all), roughen
    ("30% of strokes", 0.3, False),
    ("60% of strokes", 0.6, False),
    ("100% of strokes", None, False),
    ("rough", None, True),
    ("rough, 60% of strokes", 0.6, True),
]
PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]


def degrade_graph(keep, rough, seed):
    g = sumi.Graph(name="degrade")
    g.add_node("sketch", "io.load_image", channels="gray")
    last = "sketch.image"
    if keep is not None:
        g.add_node("drop", "sketch.drop_strokes", keep=keep, seed=seed, piece_length=64)
        g.link(last, "drop.sketch")
        last = "drop.image"
    if rough:
        g.add_node("rough", "sketch.roughen", seed=seed)
        g.link(last, "rough.sketch")
        last = "rough.image"
    g.set_output("sketch", last)
    return g


def colour_histogram(img, bins=8):
    """Joint RGB histogram (bins^3, sums to 1) of a 1 x 3 x H x W image in 0..1."""
    q = (img[0].clamp(0, 1) * (bins - 1e-6)).long()
    idx = (q[0] * bins + q[1]) * bins + q[2]
    h = torch.bincount(idx.flatten(), minlength=bins ** 3).float()
    return h / h.sum()


def histogram_distance(a, b):
    """Total variation between two images' colour histograms: 0 = same colours, 1 = none shared."""
    return 0.5 * (colour_histogram(a) - colour_histogram(b)).abs().sum().item()


def main():
    ap = argparse.ArgumentParser(description="Evaluate the portrait graphs on the held-out test faces.")
    ap.add_argument("--sketches", required=True, help="sketches .npz from models/parts/prepare.py")
    ap.add_argument("--colours", required=True, help="colours .npz from models/parts/prepare.py --colours 128")
    ap.add_argument("--graphs", default=str(ROOT / "graphs"), help="folder with the portrait graph files")
    ap.add_argument("--faces", type=int, default=100, help="test faces to evaluate")
    ap.add_argument("--hint-strokes", type=int, default=8, help="simulated hint strokes per face")
    ap.add_argument("--out", default="docs/portraits", help="folder for evaluation.md and evaluation.png")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--framing", action="store_true",
                    help="instead: every portrait graph under framing jitter; writes framing.md and a picture")
    ap.add_argument("--heldout", metavar="DIR", help="with --framing (implied): also the held-out-split faces of a "
                    "multi-style data set (manifest.jsonl with style, split, files)")
    ap.add_argument("--label", default="latest", help="with --framing: the section of framing.md this run writes "
                    "(e.g. before, after); the picture is framing_LABEL.png")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sk, co = np.load(pathlib.Path(args.sketches).expanduser()), np.load(pathlib.Path(args.colours).expanduser())
    if not np.array_equal(sk["ids"], co["ids"]):
        sys.exit("evaluate: error: the sketch and colour files hold different faces")
    test_idx = np.flatnonzero(sk["split"] == 2)[: args.faces]
    if args.framing or args.heldout:
        return framing.run(args, sk, co, test_idx)
    graphs = pathlib.Path(args.graphs)
    dfd = sumi.Graph.load(str(graphs / "deepfacedrawing.sumi.json"))
    dfd_raw = sumi.Graph.load(str(graphs / "deepfacedrawing.sumi.json"))
    for p in PARTS:
        dfd_raw.set_param(p, "blend", 0.0)  # the part's instance of part_chain.sumi.json
    s2a = sumi.Graph.load(str(graphs / "sketch2anime.sumi.json"))
    runs = {"deepfacedrawing": dfd, "deepfacedrawing, no projection": dfd_raw, "sketch2anime, hints": s2a}
    afd_ref = None
    if (graphs / "anifacedrawing.sumi.json").exists():
        afd = sumi.Graph.load(str(graphs / "anifacedrawing.sumi.json"))
        afd.set_param("mix", "strength", 0.0)  # the sketch's own code
        runs["anifacedrawing"] = afd
        afd_ref = sumi.Graph.load(str(graphs / "anifacedrawing.sumi.json"))
    session = sumi.Session(threads=args.threads)
    stats = {(c[0], r): {"l1": [], "ssim": [], "chamfer": []} for c in CONDITIONS for r in runs}
    truth_chamfer = {c[0]: [] for c in CONDITIONS}
    hint_err = {"with": [], "without": []}
    ref_dist = {"to reference, mixed": [], "to own face, mixed": [], "to reference, unmixed": [],
                "to own face, unmixed": []}
    examples = {}
    t0 = time.time()
    for ci, (cname, keep, rough) in enumerate(CONDITIONS):
        for fi, face in enumerate(test_idx):
            clean = sk["sketches"][face][None, None].astype(np.float32) / 255.0
            sketch = session.run(degrade_graph(keep, rough, int(face)), inputs={"sketch": clean}).outputs["sketch"]
            truth = torch.from_numpy(co["colours"][face].astype(np.float32) / 255.0).permute(2, 0, 1)[None]
            hints = session.run(hints_graph(args.hint_strokes, int(face)), inputs={"truth": truth.numpy()}).outputs
            ink_in = input_ink(sketch, truth.shape[-2:])
            truth_chamfer[cname].append(chamfer(ink_in, line_art(session, truth)))
            out = {}
            for name, g in runs.items():
                feed = {"sketch": sketch}
                if "hints" in name:
                    feed.update({"hints.hints": hints["hints"], "hints.mask": hints["mask"]})
                img = torch.from_numpy(session.run(g, outputs=["portrait"], inputs=feed).outputs["portrait"].copy())
                out[name] = img
                s = stats[(cname, name)]
                s["l1"].append((img - truth).abs().mean().item())
                s["ssim"].append(ssim(img, truth))
                s["chamfer"].append(chamfer(ink_in, line_art(session, img)))
            if cname == "100% of strokes" or keep is not None:  # hint fidelity on every non-rough condition
                mask = torch.from_numpy(hints["mask"].copy())
                inside = (F.interpolate(mask, size=truth.shape[-2:], mode="area") > 0.5).float()
                if inside.sum() > 0:
                    hint_rgb = F.interpolate(torch.from_numpy(hints["hints"][:, :3].copy()), size=truth.shape[-2:], mode="area")
                    for key, img in (("with", out["sketch2anime, hints"]), ("without", out["deepfacedrawing"])):
                        hint_err[key].append(((img - hint_rgb).abs() * inside).sum().item() / (3 * inside.sum().item()))
            mixed = reference = None
            if afd_ref is not None and cname == "100% of strokes":
                other = test_idx[(fi + 1) % len(test_idx)]
                reference = torch.from_numpy(co["colours"][other].astype(np.float32) / 255.0).permute(2, 0, 1)[None]
                r = session.run(afd_ref, outputs=["portrait"], inputs={"sketch": sketch, "reference": reference.numpy()})
                mixed = torch.from_numpy(r.outputs["portrait"].copy())
                for key, img in (("mixed", mixed), ("unmixed", out["anifacedrawing"])):
                    ref_dist[f"to reference, {key}"].append(histogram_distance(img, reference))
                    ref_dist[f"to own face, {key}"].append(histogram_distance(img, truth))
            if fi < 2:
                row = [sketch, out["deepfacedrawing"], out["deepfacedrawing, no projection"], out["sketch2anime, hints"],
                       hints["hints"]]
                if "anifacedrawing" in out:
                    row.append(out["anifacedrawing"])
                    if mixed is not None:
                        row += [mixed, reference.numpy()]
                examples[(cname, fi)] = row + [truth.numpy()]
            done = ci * len(test_idx) + fi + 1
            print(f"\revaluate: {cname:<22} face {fi + 1}/{len(test_idx)}  {done / (time.time() - t0):.2f} faces/s",
                  end="", flush=True)
    print()

    def m(v):
        return float(np.mean(v))

    lines = ["| input | graph | L1 | SSIM | line chamfer px (truth's: floor) |", "|---|---|---|---|---|"]
    for cname, *_ in CONDITIONS:
        for name in runs:
            s = stats[(cname, name)]
            lines.append(f"| {cname} | {name} | {m(s['l1']):.4f} | {m(s['ssim']):.3f} | {m(s['chamfer']):.2f} "
                         f"({m(truth_chamfer[cname]):.2f}) |")
    table = "\n".join(lines)
    hint_line = (f"Colour hints ({args.hint_strokes} simulated strokes per face from the true image, "
                 f"{len(hint_err['with'])} hinted sketches): mean colour error inside the hinted pixels "
                 f"{m(hint_err['without']):.4f} without hints -> {m(hint_err['with']):.4f} with hints "
                 f"({m(hint_err['without']) / max(m(hint_err['with']), 1e-9):.1f}x lower).")
    ref_line = ""
    if ref_dist["to reference, mixed"]:
        d = {k: m(v) for k, v in ref_dist.items()}
        mix = json.loads((graphs / "anifacedrawing.sumi.json").read_text())["nodes"]["mix"]["params"]
        num_ws = json.loads((ROOT / "models" / "stylegan" / "manifest.json").read_text())["num_ws"]
        lo, hi = (int(mix.get(k, d)) % num_ws for k, d in (("from", 8), ("to", -1)))
        ref_line = (f"Reference colour (anifacedrawing as shipped: the reference's W+ layers {lo}-{hi} of {num_ws}; "
                    f"complete sketches, reference = another test face, "
                    f"{len(ref_dist['to reference, mixed'])} faces; colour histogram distance, total variation of "
                    f"8 x 8 x 8 RGB histograms, 0 = same colours): to the reference {d['to reference, unmixed']:.3f} "
                    f"with the sketch's code alone -> {d['to reference, mixed']:.3f} with the reference's colour "
                    f"layers mixed in; to the sketch's own face {d['to own face, unmixed']:.3f} -> "
                    f"{d['to own face, mixed']:.3f}.")
    print(table)
    print(hint_line)
    if ref_line:
        print(ref_line)
    out_dir = pathlib.Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    header = (f"Portrait graphs on {len(test_idx)} held-out test faces (`models/synth/evaluate.py --faces {args.faces}`, "
              f"{time.time() - t0:.0f} s). L1 and SSIM against the face's true 128 x 128 colour image; line chamfer "
              "between the input sketch's lines and the portrait's line art (`sketch.xdog`), with the true "
              "image's own distance in brackets as the floor."
              + (" anifacedrawing: the sketch's own code (mix strength 0)." if afd_ref is not None else "") + "\n\n")
    tmp = out_dir / "evaluation.md.tmp"
    tmp.write_text(header + table + "\n\n" + hint_line + "\n" + (f"\n{ref_line}\n" if ref_line else ""))
    tmp.replace(out_dir / "evaluation.md")
    # Every row has the same columns; the reference is tried on complete sketches only, blank elsewhere.
    width = max(len(v) for v in examples.values())
    rows = [(f"{c} ({i + 1})", examples[(c, i)]) for c in ("30% of strokes", "100% of strokes", "rough") for i in range(2)]
    rows = [(label, imgs[:-1] + [np.ones_like(imgs[-1])] * (width - len(imgs)) + imgs[-1:]) for label, imgs in rows]
    names = "input,deepfacedrawing,no projection,sketch2anime + hints,hints"
    if width == 9:
        names += ",anifacedrawing,+ reference colour,reference"
    picture(session, rows, out_dir / "evaluation.png", names=names + ",truth")
    print(f"evaluate: wrote {out_dir / 'evaluation.md'} and {out_dir / 'evaluation.png'}")


if __name__ == "__main__":
    sys.exit(main())
