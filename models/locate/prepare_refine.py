#!/usr/bin/python3
"""Packs training drawings for the locator's part refiner (face.locate's third look).

    PYTHONPATH=build/python /usr/bin/python3 models/locate/prepare_refine.py \\
        --data ~/sumi-data/styles256_v2 --out ~/sumi-data/refine128.npz [--partial 1] [--jobs 2]

The refiner sees what face.locate gives it at run time: the drawing warped
into the canonical frame the first two looks found (face.warp, the node's own
code) at the canonical size, cut to the window `crop` (canonical px; the
inner face, at full resolution where the locator saw the whole drawing at
half of it). So each face's drawing - made the way its `line_style` says,
through the same graphs as prepare.py, at the data set's own size - is
located by the shipped face.locate (two looks, or --passes 1; no snapping,
refiner off) and warped. Per face: the complete drawing so located; with
--partial P, P copies with part of the lines dropped (keep 25-90 %), each
located on its own; and one copy of the complete drawing warped by its
located frame moved further at random (standard deviations 3 px, 4 % scale,
3 degrees about the head centre), so that the refiner also learns frames the
locator gets wrong in other ways.
With --schematic S, S schematic drawings of the face (schematic.py, as
prepare.py's; --schematic-partial of them only partly drawn), each located on
its own. --manifest names the locator whose frames the crops are cut in (by
default the shipped one): the refiner must see the frames its locator finds.

Targets: the true part centres and head centre in the crop, as fractions of
its side, in locate_model.py's layout (columns 5-14; the rest 0 with zero
loss weight). Writes the same arrays as prepare.py plus loss_weights, points (5),
error_side (crop px per unit: errors are reported in px at 256) and crop.
"""
import argparse
import math
import multiprocessing
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from locate_model import OUTPUTS, POINTS  # noqa: E402
from prepare import SPLITS, draw_face, in_index_range, line_graphs, read_faces  # noqa: E402
from schematic import schematic_copy  # noqa: E402

CROP = (74, 86, 128)  # x0, y0, side in canonical px (256 frame): the four parts with about 40 px to spare
JITTER = (3.0, 0.04, 3.0)  # sd of the random frame moves: px, log-scale, degrees


def locate_warp_graph(manifest="", passes=2):
    import sumi
    g = sumi.Graph(name="refine_input")
    g.add_node("src", "io.load_image", channels="gray")
    g.add_node("locate", "face.locate", snap=0, canonical_snap=0, passes=passes, refine=False)
    if manifest:
        g.set_param("locate", "manifest", str(pathlib.Path(manifest).expanduser().resolve()))
    g.add_node("warp", "face.warp", direction="to_canonical")
    g.link("src.image", "locate.sketch")
    g.link("src.image", "warp.image")
    g.link("locate.frame", "warp.frame")
    g.set_output("canonical", "warp.image")
    g.set_output("frame", "locate.frame")
    return g


def crop_window(img, canonical):
    """The refiner's input: the crop of a canonical-frame image (face.warp's output), as face.locate cuts it."""
    img = np.asarray(img)
    img = img.reshape(img.shape[-2:])  # one gray image, with or without batch and channel dimensions
    k = canonical / 256.0
    x0, y0, side = (int(round(v * k)) for v in CROP)
    return img[y0:y0 + side, x0:x0 + side]


def crop_of(img, canonical):
    return np.round(np.clip(crop_window(img, canonical), 0, 1) * 255).astype(np.uint8)


def crop_targets(frame, face):
    """True part centres and head centre -> canonical px of `frame` -> fractions of the crop."""
    (a, b, c), (d, e, f) = frame["matrix"]
    det = a * e - b * d
    k = frame["canonical"] / 256.0
    x0, y0, side = (v * k for v in CROP)
    t = np.zeros(OUTPUTS, np.float32)
    for i, p in enumerate(POINTS):
        x, y = face["points"][p]
        x, y = x * frame["size"][0] / face["size"], y * frame["size"][1] / face["size"]
        u = (e * (x - c) - b * (y - f)) / det
        v = (-d * (x - c) + a * (y - f)) / det
        t[5 + 2 * i] = (u - x0) / side
        t[6 + 2 * i] = (v - y0) / side
    return t


def jittered(frame, rng):
    """`frame` moved by a random similarity about the canonical head centre."""
    (a, b, c), (d, e, f) = frame["matrix"]
    hx, hy = 132.5 * frame["canonical"] / 256, 130.0 * frame["canonical"] / 256
    dx, dy = rng.normal(0, JITTER[0], 2) * frame["size"][0] / 256
    ds = math.exp(rng.normal(0, JITTER[1]))
    dr = math.radians(rng.normal(0, JITTER[2]))
    # new = old o (about the head centre: rotate by dr, scale by ds), then shift by (dx, dy) image px
    cr, sr = math.cos(dr) * ds, math.sin(dr) * ds
    m = np.array([[a, b, c], [d, e, f], [0, 0, 1]])
    local = np.array([[cr, -sr, hx - (cr * hx - sr * hy)], [sr, cr, hy - (sr * hx + cr * hy)], [0, 0, 1]])
    n = m @ local
    n[0, 2] += dx
    n[1, 2] += dy
    out = dict(frame)
    out["matrix"] = [list(map(float, n[0])), list(map(float, n[1]))]
    return out


def work(job):
    """One worker's share of the faces -> its rows."""
    import sumi
    data, faces, partial, seed, schematic, schematic_partial, manifest, passes = job
    session = sumi.Session(threads=1, cache_mb=16)
    size = int(faces[0]["size"]) if faces else 256
    graphs = line_graphs(size)
    lw = locate_warp_graph(manifest, passes)
    rng = np.random.default_rng(seed)
    rows = []
    for face in faces:
        lw.set_param("src", "path", str(data / face["files"]["sketch"]))  # fed below; a path keeps the graph valid
        ls = face.get("line_style") or {"kind": "svg", "seed": 0}
        img = draw_face(session, graphs, data, face, ls)
        copies = [(img, 1.0 if ls["kind"] != "progressive" else ls.get("keep", 1.0))]
        for _ in range(partial):
            dg, _src = graphs["drop"]
            dg.set_param("load", "path", str(data / face["files"]["sketch"]))
            kp = float(rng.uniform(0.25, 0.9))
            dg.set_param("line", "keep", kp)
            dg.set_param("line", "seed", int(rng.integers(0, 2**31)))
            copies.append((session.run(dg).outputs["image"], kp))
        copies += [schematic_copy(session, face, rng, schematic_partial) for _ in range(schematic)]
        first = None
        for im, kp in copies:
            r = session.run(lw, inputs={"src": im})
            fr = r.outputs["frame"]
            first = first or (im, fr)
            rows.append((crop_of(r.outputs["canonical"], fr["canonical"]), crop_targets(fr, face), face, kp))
        im, fr = first
        moved = jittered(fr, rng)
        r = session.run(lw, inputs={"src": im, "locate.frame": moved})
        rows.append((crop_of(r.outputs["canonical"], moved["canonical"]), crop_targets(moved, face), face, copies[0][1]))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder made by models/data/generate.mjs")
    ap.add_argument("--out", required=True, help="output .npz")
    ap.add_argument("--partial", type=int, default=1, help="partial-drawing copies per face")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N faces")
    ap.add_argument("--indices", default="", help="A:B packs only the faces with index A <= i < B (a data set in parts)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--schematic", type=int, default=0, help="schematic (freehand-style) copies per face")
    ap.add_argument("--schematic-partial", type=float, default=0.25, help="the share of them drawn only in part")
    ap.add_argument("--manifest", default="", help="the locator manifest whose frames the crops are cut in")
    ap.add_argument("--passes", type=int, default=2, choices=(1, 2),
                    help="face.locate's looks before the crop is cut (a refiner for graphs that set passes 1)")
    args = ap.parse_args()
    if args.manifest and not pathlib.Path(args.manifest).expanduser().is_file():
        sys.exit(f"prepare_refine: error: --manifest {args.manifest}: no such file")
    data = pathlib.Path(args.data).expanduser()
    faces = [f for f in read_faces(data, "prepare_refine") if f.get("points")
             and all(f["points"].get(p) for p in POINTS)]
    faces.sort(key=lambda f: f["index"])
    faces = in_index_range(faces, args.indices, "prepare_refine")
    if args.limit:
        faces = faces[: args.limit]
    if not faces:
        sys.exit(f"prepare_refine: error: {data} has no faces with part points")
    styles = sorted({f["style"] for f in faces})
    chunk = 200
    jobs = [(data, faces[i:i + chunk], args.partial, 1000 + i, args.schematic, args.schematic_partial, args.manifest,
             args.passes)
            for i in range(0, len(faces), chunk)]
    per_face = 2 + args.partial + args.schematic
    m = len(faces) * per_face
    sketches = np.empty((m, CROP[2], CROP[2]), np.uint8)
    tgt = np.zeros((m, OUTPUTS), np.float32)
    index = np.empty(m, np.int32)
    split = np.empty(m, np.uint8)
    style = np.empty(m, np.uint8)
    keep = np.ones(m, np.float32)
    t0, row, done = time.time(), 0, 0
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for rows in pool.imap(work, jobs):
            for img, t, face, kp in rows:
                sketches[row], tgt[row], index[row] = img, t, face["index"]
                split[row], style[row], keep[row] = SPLITS[face["split"]], styles.index(face["style"]), kp
                row += 1
            done += len(rows) // per_face
            rate = done / (time.time() - t0)
            print(f"\rprepare_refine: {done}/{len(faces)} faces, {rate:.1f}/s, ETA {(len(faces) - done) / rate / 60:.1f} min",
                  end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    weights = np.zeros(OUTPUTS, np.float32)
    weights[5:5 + 2 * len(POINTS)] = 1
    out = pathlib.Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, sketches=sketches[:row], targets=tgt[:row], index=index[:row], split=split[:row], style=style[:row],
             keep=keep[:row], styles=np.array(styles), resolution=CROP[2], loss_weights=weights,
             points=len(POINTS), error_side=float(CROP[2]), crop=np.array(CROP, np.float32), passes=args.passes)
    tmp.replace(out)
    counts = {k: int((split[:row] == v).sum()) for k, v in SPLITS.items()}
    print(f"prepare_refine: wrote {out}: {row} crops of {len(faces)} faces in {(time.time() - t0) / 60:.1f} min, "
          f"splits {counts}")


if __name__ == "__main__":
    main()
