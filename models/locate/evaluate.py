#!/usr/bin/python3
"""How well does face.locate find faces? Runs the engine's face.locate node
(through Sumi's Python API, so the node's own preprocessing and maths are
tested) on the test split and the held-out style of a multi-style data set,
on complete outline drawings and on partial ones (sketch.drop_strokes keeping
30 % / 60 % of the lines), and reports the part-centre error distribution in
pixels at 256 (per face: the worst of the four part centres), the frame's
scale and rotation errors, and the node's time.

    PYTHONPATH=build/python /usr/bin/python3 models/locate/evaluate.py --data ~/sumi-data/styles256 \\
        [--faces 300] [--manifest models/locate/manifest.json] [--json out.json] [--markdown out.md]
"""
import argparse
import json
import math
import pathlib
import statistics
import sys

import numpy as np

import sumi

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from prepare import read_faces  # noqa: E402

PARTS = ["left_eye", "right_eye", "nose", "mouth"]
CONDITIONS = [("complete", None), ("60% of lines", 0.6), ("30% of lines", 0.3)]


def locate_graph(manifest, keep, seed, snap, passes, canonical_snap):
    g = sumi.Graph(name="locate_eval")
    g.add_node("load", "io.load_image", channels="gray")
    last = "load.image"
    if keep is not None:
        g.add_node("drop", "sketch.drop_strokes", keep=keep, seed=seed, piece_length=48)
        g.link(last, "drop.sketch")
        last = "drop.image"
    g.add_node("locate", "face.locate", snap=snap, passes=passes, canonical_snap=canonical_snap)
    if manifest:
        g.set_param("locate", "manifest", manifest)
    g.link(last, "locate.sketch")
    g.set_output("frame", "locate.frame")
    return g


def to_image(frame, cx, cy):
    (a, b, c), (d, e, f) = frame["matrix"]
    return a * cx + b * cy + c, d * cx + e * cy + f


def errors(frame, face):
    """Worst part-centre error (px at 256), scale ratio error, rotation error (deg)."""
    k = 256.0 / face["size"]
    worst = 0.0
    for p in PARTS:
        x, y = to_image(frame, *frame["parts"][p][:2])
        tx, ty = face["points"][p]
        worst = max(worst, math.hypot(x - tx, y - ty) * k)
    scale = frame["scale"] * frame["canonical"] / face["size"]
    return worst, abs(math.log(scale / face["frame"]["scale"])), abs(frame["rotation_deg"] - face["frame"]["rotation_deg"])


def summary(errs):
    e = np.array([x[0] for x in errs])
    s = np.array([x[1] for x in errs])
    r = np.array([x[2] for x in errs])
    return {"faces": int(len(e)), "within_4px": float((e <= 4).mean()), "within_8px": float((e <= 8).mean()),
            "p50_px": float(np.percentile(e, 50)), "p75_px": float(np.percentile(e, 75)),
            "p90_px": float(np.percentile(e, 90)), "p99_px": float(np.percentile(e, 99)), "max_px": float(e.max()),
            "scale_error_p90": float(np.percentile(np.expm1(s), 90)), "rotation_error_p90_deg": float(np.percentile(r, 90))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--faces", type=int, default=300, help="faces per group (test split; held-out style)")
    ap.add_argument("--manifest", default="", help="locator manifest (default: the shipped one)")
    ap.add_argument("--snap", type=float, default=0.0,
                    help="face.locate's snap (default 0: the network's own accuracy; the graphs use 2)")
    ap.add_argument("--canonical-snap", type=float, default=0.0, help="face.locate's canonical_snap (the graphs use 6)")
    ap.add_argument("--passes", type=int, default=2, help="face.locate's passes (the graphs use 2)")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    data = pathlib.Path(args.data).expanduser()
    manifest = read_faces(data, "evaluate")
    groups = {"test split": [f for f in manifest if f["split"] == "test"][: args.faces],
              "held-out style": [f for f in manifest if f["split"] == "heldout"][: args.faces]}
    session = sumi.Session(threads=2, cache_mb=64)
    results, times = {}, []
    for gname, faces in groups.items():
        if not faces:
            print(f"evaluate: no faces in the {gname}", file=sys.stderr)
            continue
        for cname, keep in CONDITIONS:
            errs = []
            for face in faces:
                g = locate_graph(args.manifest, keep, face["index"], args.snap, args.passes, args.canonical_snap)
                g.set_param("load", "path", str(data / face["files"]["sketch"]))
                r = session.run(g)
                times.append(r.node("locate")["ms"])
                errs.append(errors(r.outputs["frame"], face))
            results[f"{gname}, {cname}"] = summary(errs)
            s = results[f"{gname}, {cname}"]
            print(f"{gname}, {cname}: {s['faces']} faces, within 4 px {100 * s['within_4px']:.1f} %, within 8 px "
                  f"{100 * s['within_8px']:.1f} %, p50 {s['p50_px']:.2f} p90 {s['p90_px']:.2f} p99 {s['p99_px']:.2f} px",
                  file=sys.stderr)
    out = {"results": results, "locate_ms_median": statistics.median(times) if times else None,
           "snap": args.snap, "canonical_snap": args.canonical_snap, "passes": args.passes,
           "note": "worst of the four part centres per face, px at 256; faces drawn with random framing"}
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    if args.markdown:
        rows = ["| drawings | faces | within 4 px | within 8 px | p50 | p75 | p90 | p99 | max | scale err p90 | rotation err p90 |",
                "|---|---|---|---|---|---|---|---|---|---|---|"]
        for k, s in results.items():
            rows.append(f"| {k} | {s['faces']} | {100 * s['within_4px']:.1f} % | {100 * s['within_8px']:.1f} % | "
                        f"{s['p50_px']:.2f} | {s['p75_px']:.2f} | {s['p90_px']:.2f} | {s['p99_px']:.2f} | {s['max_px']:.1f} | "
                        f"{100 * s['scale_error_p90']:.1f} % | {s['rotation_error_p90_deg']:.1f} deg |")
        pathlib.Path(args.markdown).write_text("\n".join(rows) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
