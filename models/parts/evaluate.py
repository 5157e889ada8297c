#!/usr/bin/python3
"""Does manifold projection help? Evaluates the shipped part models on the
held-out test split through Sumi's own nodes (sketch.drop_strokes,
sketch.roughen, face.split, latent.encode / project / decode, guidance.compose).

For each test face and condition (30 %, 60 %, 100 % of the strokes kept; a
roughened sketch; roughened with 60 % kept) and each part it measures
  * latent distance to the clean sketch's latent, relative to its norm:
    |f(degraded) - f(clean)|, |P(f(degraded)) - f(clean)| and
    |P(f(degraded)) - P(f(clean))| (both projected: do a degraded and a clean
    drawing of one face land on the same point of the manifold?), / |f(clean)|;
  * line similarity of the decoded part to the clean part: the F1 score of
    ink pixels matched within 2 px (precision: decoded ink near clean ink;
    recall: clean ink near decoded ink) and the symmetric chamfer distance
    in pixels of the part crop, without and with projection.
Prints a Markdown table, writes it and a picture (input | decoded without
projection | with projection | clean, whole faces composed from the five
parts) to --out.

    PYTHONPATH=build/python /usr/bin/python3 models/parts/evaluate.py \
        --data ~/sumi-data/sketches256.npz --faces 200 --out docs/parts
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

PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]
CONDITIONS = [  # name, drop_strokes keep (None = no dropping), roughen
    ("30% of strokes", 0.3, False),
    ("60% of strokes", 0.6, False),
    ("100% of strokes", None, False),
    ("rough", None, True),
    ("rough, 60% of strokes", 0.6, True),
]


def split_windows(manifest_path):
    """face.split parameters cutting the windows the models were trained on (from their manifest)."""
    m = json.loads(pathlib.Path(manifest_path).read_text())
    w = {p: list(m["parts"][p]["window"]) for p in PARTS if p != "remainder"}
    return dict(reference=m["canvas"], **w)


def build_graph(manifest, windows, keep, rough, seed, k=10, regularisation=1e-3, blend=1.0):
    """sketch -> [drop] -> [roughen] -> split -> per part: encode -> decode (raw) and
    encode -> project -> decode (projected); both composed into whole faces."""
    g = sumi.Graph(name="parts_evaluation")
    g.add_node("sketch", "io.load_image")
    last = "sketch.image"
    if keep is not None:
        g.add_node("drop", "sketch.drop_strokes", keep=keep, seed=seed, piece_length=64)
        g.link(last, "drop.sketch")
        last = "drop.image"
    if rough:
        g.add_node("rough", "sketch.roughen", seed=seed)
        g.link(last, "rough.sketch")
        last = "rough.image"
    g.add_node("split", "face.split", **windows)
    g.link(last, "split.sketch")
    g.add_node("clean_split", "face.split", **windows)
    g.link("sketch.image", "clean_split.sketch")
    g.set_output("input", last)
    for kind in ("raw", "proj"):
        g.add_node(f"compose_{kind}", "guidance.compose", feather=4)
        g.link("split.parts", f"compose_{kind}.parts")
        g.set_output(f"face_{kind}", f"compose_{kind}.guidance")
    for p in PARTS:
        common = dict(part=p, manifest=manifest)
        g.add_node(f"enc_{p}", "latent.encode", **common)
        g.add_node(f"clean_enc_{p}", "latent.encode", **common)
        g.add_node(f"proj_{p}", "latent.project", blend=blend, k=k, regularisation=regularisation, **common)
        g.add_node(f"clean_proj_{p}", "latent.project", blend=blend, k=k, regularisation=regularisation, **common)
        g.add_node(f"dec_raw_{p}", "latent.decode", **common)
        g.add_node(f"dec_proj_{p}", "latent.decode", **common)
        g.link(f"split.{p}", f"enc_{p}.image")
        g.link(f"clean_split.{p}", f"clean_enc_{p}.image")
        g.link(f"enc_{p}.latent", f"proj_{p}.latent")
        g.link(f"clean_enc_{p}.latent", f"clean_proj_{p}.latent")
        g.link(f"enc_{p}.latent", f"dec_raw_{p}.latent")
        g.link(f"proj_{p}.latent", f"dec_proj_{p}.latent")
        g.link(f"dec_raw_{p}.image", f"compose_raw.{p}")
        g.link(f"dec_proj_{p}.image", f"compose_proj.{p}")
        for name, port in [("f", f"enc_{p}.latent"), ("f_proj", f"proj_{p}.latent"), ("f_clean", f"clean_enc_{p}.latent"),
                           ("f_clean_proj", f"clean_proj_{p}.latent"),
                           ("raw", f"dec_raw_{p}.image"), ("proj", f"dec_proj_{p}.image"), ("clean", f"clean_split.{p}")]:
            g.set_output(f"{name}_{p}", port)
    return g


def ink_distance(ink, max_px=8):
    """Per-pixel distance (in pixels, capped) to the nearest ink pixel, by repeated 3x3 dilation."""
    dist = torch.full_like(ink, float(max_px))
    reached = ink.clone()
    for r in range(max_px):
        dist[(reached > 0) & (dist == max_px)] = float(r)
        reached = F.max_pool2d(reached, 3, 1, 1)
    return dist


def line_scores(decoded, clean):
    """F1 of ink within 2 px and symmetric chamfer distance (px) between two 1 x 1 x S x S sketches."""
    size = decoded.shape[-1]
    clean = F.interpolate(clean, size=(size, size), mode="area") if clean.shape[-1] != size else clean
    a, b = (decoded < 0.5).float(), (clean < 0.5).float()
    if b.sum() == 0 and a.sum() == 0:
        return 1.0, 0.0
    if a.sum() == 0 or b.sum() == 0:
        return 0.0, 8.0
    da, db = ink_distance(a), ink_distance(b)
    precision = ((db <= 2) & (a > 0)).sum().item() / a.sum().item()
    recall = ((da <= 2) & (b > 0)).sum().item() / b.sum().item()
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    chamfer = 0.5 * (db[a > 0].mean().item() + da[b > 0].mean().item())
    return f1, chamfer


def picture(session, rows, out_path, names="decoded,projected + decoded,clean"):
    """Rows of images (by default: input, no projection, projection, clean whole faces), as contact sheets
    stacked into one PNG; each row's first label is the row's own, the rest are `names`."""
    sheets = []
    for label, images in rows:
        n = len(images)
        g = sumi.Graph(name="evaluation_row")
        g.add_node("c", "image.collect", names=f"{label}," + ",".join(names.split(",")[-(n - 1):]))
        g.add_node("sheet", "image.contact_sheet", cell=192, columns=n, gap=6)
        g.link("c.images", "sheet.images")
        for i in range(n):
            g.add_node(f"i{i}", "io.load_image")
            g.link(f"i{i}.image", f"c.image_{i + 1}")
        g.set_output("sheet", "sheet.image")
        r = session.run(g, inputs={f"i{i}": images[i] for i in range(n)})
        sheets.append(r.outputs["sheet"])
    grid = np.concatenate(sheets, axis=2)  # N x C x H x W, stacked vertically
    g = sumi.Graph(name="evaluation_picture")
    g.add_node("img", "io.load_image")
    g.add_node("save", "io.save_image", path=str(out_path.resolve()))
    g.link("img.image", "save.image")
    g.set_output("written", "save.path")
    session.run(g, inputs={"img": np.ascontiguousarray(grid)})


def main():
    ap = argparse.ArgumentParser(description="Evaluate the part models and manifold projection on the test split.")
    ap.add_argument("--data", required=True, help="sketches .npz from models/parts/prepare.py")
    ap.add_argument("--manifest", default=str(pathlib.Path(__file__).resolve().parent / "manifest.json"))
    ap.add_argument("--faces", type=int, default=200, help="test faces to evaluate")
    ap.add_argument("--out", default="docs/parts", help="folder for evaluation.md and evaluation.png")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--k", type=int, default=10, help="neighbours (latent.project k)")
    ap.add_argument("--regularisation", type=float, default=1e-3, help="latent.project regularisation")
    ap.add_argument("--blend", type=float, default=1.0, help="latent.project blend (w_c)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = np.load(pathlib.Path(args.data).expanduser())
    test_idx = np.flatnonzero(data["split"] == 2)[: args.faces]
    session = sumi.Session(threads=args.threads)
    manifest = str(pathlib.Path(args.manifest).resolve())
    windows = split_windows(manifest)
    # metric -> condition -> list over (face, part)
    stats = {c[0]: {k: [] for k in ("lat_raw", "lat_proj", "lat_both", "f1_raw", "f1_proj", "ch_raw", "ch_proj")} for c in CONDITIONS}
    examples = {}
    t0 = time.time()
    for ci, (cname, keep, rough) in enumerate(CONDITIONS):
        for fi, face in enumerate(test_idx):
            g = build_graph(manifest, windows, keep, rough, seed=int(face), k=args.k, regularisation=args.regularisation,
                            blend=args.blend)
            sketch = (data["sketches"][face][None, None].astype(np.float32) / 255.0)
            r = session.run(g, inputs={"sketch": sketch}).outputs
            s = stats[cname]
            for p in PARTS:
                f, fp, fc, fcp = (r[f"{n}_{p}"].ravel() for n in ("f", "f_proj", "f_clean", "f_clean_proj"))
                norm = max(np.linalg.norm(fc), 1e-6)
                s["lat_raw"].append(np.linalg.norm(f - fc) / norm)
                s["lat_proj"].append(np.linalg.norm(fp - fc) / norm)
                s["lat_both"].append(np.linalg.norm(fp - fcp) / norm)
                clean = torch.from_numpy(r[f"clean_{p}"][:, :1].copy())
                for kind in ("raw", "proj"):
                    f1, ch = line_scores(torch.from_numpy(r[f"{kind}_{p}"].copy()), clean)
                    s[f"f1_{kind}"].append(f1)
                    s[f"ch_{kind}"].append(ch)
            if fi < 2:
                examples[(cname, fi)] = [r["input"], r["face_raw"], r["face_proj"], sketch]
            done = ci * len(test_idx) + fi + 1
            print(f"\revaluate: {cname:<22} face {fi + 1}/{len(test_idx)}  {done / (time.time() - t0):.1f} faces/s",
                  end="", flush=True)
    print()

    def m(v):
        return float(np.mean(v))

    lines = ["| input | latent distance, no projection | projected, to the clean latent | both projected "
             "| line F1 (2 px), no projection | with projection | chamfer px, no projection | with projection |",
             "|---|---|---|---|---|---|---|---|"]
    for cname, *_ in CONDITIONS:
        s = stats[cname]
        lines.append(f"| {cname} | {m(s['lat_raw']):.3f} | {m(s['lat_proj']):.3f} | {m(s['lat_both']):.3f} | {m(s['f1_raw']):.3f} | "
                     f"{m(s['f1_proj']):.3f} | {m(s['ch_raw']):.2f} | {m(s['ch_proj']):.2f} |")
    table = "\n".join(lines)
    print(table)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = [(f"{c} ({i + 1})", examples[(c, i)]) for c in ("30% of strokes", "60% of strokes", "rough") for i in range(2)]
    picture(session, rows, out / "evaluation.png")
    header = (f"Part models on {len(test_idx)} held-out test faces x 5 parts, projection with K = {args.k}, "
              f"w_c = {args.blend}, regularisation {args.regularisation} (`models/parts/evaluate.py --faces {args.faces}`, "
              f"{time.time() - t0:.0f} s). Latent distances are relative to the norm of the clean sketch's latent: "
              "the degraded sketch's latent to the clean one's, its projection to the clean one's, and its projection to "
              "the clean one's projection. Line scores compare the decoded part with the clean part.\n\n")
    tmp = out / "evaluation.md.tmp"
    tmp.write_text(header + table + "\n")
    tmp.replace(out / "evaluation.md")
    print(f"evaluate: wrote {out / 'evaluation.md'} and {out / 'evaluation.png'}")


if __name__ == "__main__":
    sys.exit(main())
