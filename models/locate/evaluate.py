#!/usr/bin/python3
"""How well does face.locate find faces? Runs the engine's face.locate node
(through Sumi's Python API, so the node's own preprocessing and maths are
tested) on the test split and the held-out style of a multi-style data set,
on complete outline drawings, on partial ones (sketch.drop_strokes keeping
30 % / 60 % of the lines) and on schematic ones (schematic.py: the face drawn
the way a person sketches one freehand, on its true boxes), and reports the part-centre error distribution in
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
from prepare import line_graphs, read_faces, square_window  # noqa: E402
from schematic import rasterise, rasterise_graph, schematic_strokes  # noqa: E402

PARTS = ["left_eye", "right_eye", "nose", "mouth"]
CONDITIONS = [("complete", None), ("60% of lines", 0.6), ("30% of lines", 0.3), ("schematic", "schematic")]


def locate_graph(manifest, keep, seed, snap, passes, canonical_snap, refine=True, hold=0.0):
    g = sumi.Graph(name="locate_eval")
    g.add_node("load", "io.load_image", channels="gray")
    last = "load.image"
    if isinstance(keep, float):
        g.add_node("drop", "sketch.drop_strokes", keep=keep, seed=seed, piece_length=48)
        g.link(last, "drop.sketch")
        last = "drop.image"
    g.add_node("locate", "face.locate", snap=snap, passes=passes, canonical_snap=canonical_snap, refine=refine,
               hold=hold)
    if manifest:
        g.set_param("locate", "manifest", manifest)
    g.link(last, "locate.sketch")
    g.set_output("frame", "locate.frame")
    return g


def to_image(frame, cx, cy):
    (a, b, c), (d, e, f) = frame["matrix"]
    return a * cx + b * cy + c, d * cx + e * cy + f


HEAD = (132.5, 130.0)  # the canonical head-box centre at 256 (the manifest's head_box)


def errors(frame, face):
    """Worst part-centre error (px at 256), scale ratio error, rotation error (deg), frame-centre error (px at 256)."""
    k = 256.0 / face["size"]
    worst = 0.0
    for p in PARTS:
        x, y = to_image(frame, *frame["parts"][p][:2])
        tx, ty = face["points"][p]
        worst = max(worst, math.hypot(x - tx, y - ty) * k)
    scale = frame["scale"] * frame["canonical"] / face["size"]
    q = frame["canonical"] / 256.0
    hx, hy = to_image(frame, HEAD[0] * q, HEAD[1] * q)
    centre = math.hypot(hx - face["frame"]["centre"][0], hy - face["frame"]["centre"][1]) * k
    return (worst, abs(math.log(scale / face["frame"]["scale"])), abs(frame["rotation_deg"] - face["frame"]["rotation_deg"]),
            centre)


def summary(errs):
    e = np.array([x[0] for x in errs])
    s = np.array([x[1] for x in errs])
    r = np.array([x[2] for x in errs])
    c = np.array([x[3] for x in errs])
    return {"faces": int(len(e)), "within_4px": float((e <= 4).mean()), "within_8px": float((e <= 8).mean()),
            "p50_px": float(np.percentile(e, 50)), "p75_px": float(np.percentile(e, 75)),
            "p90_px": float(np.percentile(e, 90)), "p99_px": float(np.percentile(e, 99)), "max_px": float(e.max()),
            "scale_error_p90": float(np.percentile(np.expm1(s), 90)), "rotation_error_p90_deg": float(np.percentile(r, 90)),
            "centre_error_p50_px": float(np.percentile(c, 50)), "centre_error_p90_px": float(np.percentile(c, 90))}


HEAD_BOX = (48.0, 54.0, 217.0, 206.0)  # the canonical head box at 256


def face_strokes(face):
    """The face's schematic drawing (schematic.py), seeded by the face: the same in every run."""
    return schematic_strokes(face, np.random.default_rng(1_000_003 + int(face["index"])))


def schematic_steps(session, face):
    """The face's schematic drawing stroke by stroke: [{"image": ...}], one step per stroke."""
    strokes, graph = face_strokes(face), rasterise_graph(int(face["size"]))
    return [{"image": rasterise(session, graph, strokes, k)} for k in range(1, len(strokes["strokes"]) + 1)]


def stability(session, data, faces, args, schematic=False):
    """How far the located face moves while it is drawn: each face's outline drawing in 10
    steps (sketch.progressive, as prepare.py draws drawings in progress), located at every
    step; per step, the largest move of a head-box corner (px at 256) from the step before.
    'late' = the last five steps, when the head and most parts are drawn.
    With --hold, each step is located with the step before's frame as face.locate's
    `previous` (as the editor does): also how often the frame and each part box were
    kept exactly, and the finished drawing's error against the truth. With `schematic`, the
    faces are drawn schematically (schematic.py), one stroke per step, head first."""
    prog = line_graphs(128)["progressive"][0]
    moves, late, kept, parts_kept, final = [], [], [], [], []
    for face in faces:
        prog.set_param("load", "path", str(data / face["files"]["sketch"]))
        prog.set_param("steps", "seed", int(face["index"]))
        prog.set_param("steps", "reference", int(face["size"]))
        for p in PARTS:
            prog.set_param("steps", p, square_window(face["boxes"][p], face["size"]))
        steps = schematic_steps(session, face) if schematic else session.run(prog).outputs["steps"]
        g = locate_graph(args.manifest, None, 0, args.snap, args.passes, args.canonical_snap, bool(args.refine),
                         args.hold)
        g.set_param("load", "path", str(data / face["files"]["sketch"]))  # fed below
        before, previous = None, None
        for i, step in enumerate(steps):
            inputs = {"load": step["image"]}
            if args.hold > 0 and previous is not None and previous["located"]:
                inputs["locate.previous"] = previous
            frame = session.run(g, inputs=inputs).outputs["frame"]
            if previous is not None and previous["located"] and frame["located"]:
                kept.append(frame["matrix"] == previous["matrix"])
                parts_kept.extend(frame["parts"][p] == previous["parts"][p] for p in PARTS)
            previous = frame
            q = frame["canonical"] / 256.0
            k = 256.0 / face["size"]
            corners = [to_image(frame, x * q, y * q) for x in HEAD_BOX[0::2] for y in HEAD_BOX[1::2]]
            if before is not None and frame["located"]:
                m = max(math.hypot(a[0] - b[0], a[1] - b[1]) for a, b in zip(corners, before)) * k
                moves.append(m)
                if i >= len(steps) - 5:
                    late.append(m)
            before = corners if frame["located"] else None
        if previous is not None and previous["located"]:
            final.append(errors(previous, face))  # the last step: the finished drawing
    pct = lambda v, q: float(np.percentile(v, q)) if v else None  # noqa: E731
    fin = summary(final) if final else None
    return {"faces": len(faces), "steps": len(moves), "move_p50_px": pct(moves, 50), "move_p90_px": pct(moves, 90),
            "late_move_p50_px": pct(late, 50), "late_move_p90_px": pct(late, 90), "hold": args.hold,
            "frame_kept": float(np.mean(kept)) if kept else None,
            "parts_kept": float(np.mean(parts_kept)) if parts_kept else None,
            "final_within_4px": fin["within_4px"] if fin else None, "final_p50_px": fin["p50_px"] if fin else None,
            "final_p90_px": fin["p90_px"] if fin else None, "final_centre_p50_px": fin["centre_error_p50_px"] if fin else None,
            "note": "largest head-box corner move per drawing step, px at 256; kept = the frame (part box) exactly "
                    "as at the step before; final = the finished drawing's worst part-centre error"}


def looks(args):
    """The looks face.locate took: --passes, or for 0 (its default) the manifest refiner's "passes"."""
    if args.passes or not args.refine:
        return args.passes or 2
    manifest = pathlib.Path(args.manifest).expanduser() if args.manifest else \
        pathlib.Path(__file__).resolve().parent / "manifest.json"
    return int(json.loads(manifest.read_text()).get("refiner", {}).get("passes", 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--faces", type=int, default=300, help="faces per group (test split; held-out style)")
    ap.add_argument("--manifest", default="", help="locator manifest (default: the shipped one)")
    ap.add_argument("--snap", type=float, default=0.0,
                    help="face.locate's snap (default 0: the network's own accuracy; the graphs use 2)")
    ap.add_argument("--canonical-snap", type=float, default=0.0, help="face.locate's canonical_snap (the graphs use 6)")
    ap.add_argument("--passes", type=int, default=0, choices=(0, 1, 2),
                    help="face.locate's passes (default 0, as the graphs: as many as the manifest's refiner was "
                         "trained after)")
    ap.add_argument("--refine", type=int, default=1, choices=(0, 1),
                    help="face.locate's refine (its third look, when the manifest has a refiner; the graphs use 1)")
    ap.add_argument("--stability", type=int, default=60,
                    help="test faces drawn in 10 steps to measure how far the located face moves per step (0 = skip)")
    ap.add_argument("--hold", type=float, default=0.0,
                    help="stability: feed each step the step before's frame as face.locate's `previous`, with this "
                         "`hold` (px at 256; the editor does so with the node's default, 4); 0 = no previous frame")
    ap.add_argument("--schematic-stability", type=int, default=0,
                    help="also: this many test faces drawn schematically, one stroke per step (as in the editor)")
    ap.add_argument("--conditions", type=int, default=1, choices=(0, 1),
                    help="0: skip the accuracy groups (only the stability run)")
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    data = pathlib.Path(args.data).expanduser()
    manifest = read_faces(data, "evaluate")
    groups = {"test split": [f for f in manifest if f["split"] == "test"][: args.faces],
              "held-out style": [f for f in manifest if f["split"] == "heldout"][: args.faces]}
    session = sumi.Session(threads=2, cache_mb=64)
    results, times = {}, []
    for gname, faces in groups.items() if args.conditions else ():
        if not faces:
            print(f"evaluate: no faces in the {gname}", file=sys.stderr)
            continue
        for cname, keep in CONDITIONS:
            errs = []
            for face in faces:
                g = locate_graph(args.manifest, keep, face["index"], args.snap, args.passes, args.canonical_snap, bool(args.refine))
                g.set_param("load", "path", str(data / face["files"]["sketch"]))
                drawn = rasterise(session, rasterise_graph(int(face["size"])), face_strokes(face)) if keep == "schematic" else None
                r = session.run(g, inputs={"load": drawn} if drawn is not None else None)
                times.append(r.node("locate")["ms"])
                errs.append(errors(r.outputs["frame"], face))
            results[f"{gname}, {cname}"] = summary(errs)
            s = results[f"{gname}, {cname}"]
            print(f"{gname}, {cname}: {s['faces']} faces, within 4 px {100 * s['within_4px']:.1f} %, within 8 px "
                  f"{100 * s['within_8px']:.1f} %, p50 {s['p50_px']:.2f} p90 {s['p90_px']:.2f} p99 {s['p99_px']:.2f} px, "
                  f"frame centre p50 {s['centre_error_p50_px']:.2f} p90 {s['centre_error_p90_px']:.2f} px",
                  file=sys.stderr)
    runs = {"stability": (args.stability, False), "schematic stability": (args.schematic_stability, True)}
    steadies = {name: stability(session, data, groups["test split"][:n], args, schematic) for name, (n, schematic)
                in runs.items() if n}
    for name, steady in steadies.items():
        how = "schematically, a stroke a step" if name.startswith("schematic") else "in 10 steps"
        print(f"{name}: {steady['steps']} steps of {steady['faces']} faces drawn {how}: the head box moves "
              f"p50 {steady['move_p50_px']:.2f} p90 {steady['move_p90_px']:.2f} px per step; last five steps p50 "
              f"{steady['late_move_p50_px']:.2f} p90 {steady['late_move_p90_px']:.2f} px; frame kept "
              f"{100 * (steady['frame_kept'] or 0):.1f} % of steps, part boxes kept {100 * (steady['parts_kept'] or 0):.1f} %; "
              f"finished drawing: within 4 px {100 * (steady['final_within_4px'] or 0):.1f} %, p50 "
              f"{steady['final_p50_px'] or 0:.2f} p90 {steady['final_p90_px'] or 0:.2f} px", file=sys.stderr)
    out = {"results": results, "stability": steadies.get("stability"),
           "schematic_stability": steadies.get("schematic stability"), "locate_ms_median": statistics.median(times) if times else None,
           "snap": args.snap, "canonical_snap": args.canonical_snap, "passes": looks(args), "refine": bool(args.refine),
           "note": "worst of the four part centres per face, px at 256; faces drawn with random framing"}
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    if args.markdown:
        rows = ["| drawings | faces | within 4 px | within 8 px | p50 | p75 | p90 | p99 | max | scale err p90 | rotation err p90 | centre err p50 / p90 |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for k, s in results.items():
            rows.append(f"| {k} | {s['faces']} | {100 * s['within_4px']:.1f} % | {100 * s['within_8px']:.1f} % | "
                        f"{s['p50_px']:.2f} | {s['p75_px']:.2f} | {s['p90_px']:.2f} | {s['p99_px']:.2f} | {s['max_px']:.1f} | "
                        f"{100 * s['scale_error_p90']:.1f} % | {s['rotation_error_p90_deg']:.1f} deg | "
                        f"{s['centre_error_p50_px']:.2f} / {s['centre_error_p90_px']:.2f} px |")
        pathlib.Path(args.markdown).write_text("\n".join(rows) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
