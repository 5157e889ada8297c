#!/usr/bin/python3
"""How well could ANY locator place the parts of a partial drawing? An upper bound
for evaluate.py's "30 % of lines" rows (issue 17's target: part centres within
8 px for 90 % of faces).

The drawing is evaluate.py's (sketch.drop_strokes keeping --keep of the lines,
seeded by the face). A part counts as drawn when at least --drawn of its ink
(inside its true box, against the complete drawing's) is left. An oracle then
places every drawn part exactly, knows the face's true frame exactly (centre,
scale, rotation: even when most of the head outline is gone) and its style, and
guesses each undrawn part from the training faces of that style, in the
canonical frame:

  mean       the style's mean canonical centre of the part;
  regressed  a least-squares fit of the part's canonical centre on the true
             canonical centres of the face's drawn parts.

The held-out style's oracle uses all training styles together (it has never
seen the style). Per face, the worst of the four part centres in px at 256,
as evaluate.py. Styles that draw no nose get a nose box derived from the eyes
and mouth (models/data/README.md): it counts as drawn when they are.

    PYTHONPATH=build/python /usr/bin/python3 models/locate/partial_bound.py --data ~/sumi-data/styles256_v3 \\
        [--faces 300] [--keep 0.3] [--json out.json]
"""
import argparse
import json
import pathlib
import sys

import numpy as np

import sumi

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from prepare import read_faces  # noqa: E402

PARTS = ["left_eye", "right_eye", "nose", "mouth"]
NOSELESS = {"adventurer", "toon-head", "big-smile", "miniavs", "dylan"}  # models/data/styles.mjs: nose null


def partial_graph(keep):
    g = sumi.Graph(name="partial_bound")
    g.add_node("load", "io.load_image", channels="gray")
    g.add_node("drop", "sketch.drop_strokes", keep=keep, piece_length=48)  # as evaluate.py's locate_graph
    g.link("load.image", "drop.sketch")
    g.set_output("complete", "load.image")
    g.set_output("partial", "drop.image")
    return g


def centre(box):
    return np.array([(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0])


def canonical_centres(face):
    return np.stack([centre(face["boxes_canonical"][p]) for p in PARTS])  # [4, 2], canonical px at 256


def drawn_parts(session, graph, data, face, keep, enough):
    """Which parts keep at least `enough` of their ink (inside their true image boxes)."""
    graph.set_param("load", "path", str(data / face["files"]["sketch"]))
    graph.set_param("drop", "seed", int(face["index"]))
    r = session.run(graph)
    ink = {k: 1.0 - np.asarray(r.outputs[k], np.float32).reshape(face["size"], face["size"]) for k in ("complete", "partial")}
    out = {}
    for p in PARTS:
        x0, y0, x1, y1 = (int(round(v)) for v in face["boxes"][p])
        whole = ink["complete"][max(0, y0):y1 + 1, max(0, x0):x1 + 1].sum()
        left = ink["partial"][max(0, y0):y1 + 1, max(0, x0):x1 + 1].sum()
        out[p] = whole > 0 and left / whole >= enough
    if face["style"] in NOSELESS:
        out["nose"] = out["left_eye"] and out["right_eye"] and out["mouth"]
    return out


def fit(train):
    """The training faces' canonical part centres, [n, 4, 2]."""
    return np.stack([canonical_centres(f) for f in train])


def worst_errors(face, drawn, train):
    """The oracle's worst part-centre error, px at 256: (mean guesses, guesses regressed on the drawn parts)."""
    c = canonical_centres(face)
    px = face["frame"]["scale"] * 256.0 / face["size"]  # canonical px -> px at 256 of this face's drawing
    known = [j for j, p in enumerate(PARTS) if drawn[p]]
    features = np.concatenate([train[:, known].reshape(len(train), 2 * len(known)), np.ones((len(train), 1))], 1)
    worst = [0.0, 0.0]
    for i, p in enumerate(PARTS):
        if drawn[p]:
            continue
        w, *_ = np.linalg.lstsq(features, train[:, i], rcond=None)
        regressed = np.concatenate([c[known].reshape(2 * len(known)), [1.0]]) @ w
        for k, guess in enumerate((train[:, i].mean(0), regressed)):
            worst[k] = max(worst[k], float(np.hypot(*(guess - c[i]))) * px)
    return worst


def summary(errs):
    e = np.array(errs)
    return {"faces": int(len(e)), "within_4px": float((e <= 4).mean()), "within_8px": float((e <= 8).mean()),
            "p50_px": float(np.percentile(e, 50)), "p90_px": float(np.percentile(e, 90))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="a multi-style data set (models/data/generate.mjs)")
    ap.add_argument("--faces", type=int, default=300, help="faces per group (test split; held-out style), as evaluate.py")
    ap.add_argument("--train-faces", type=int, default=6000, help="training faces the oracle's guesses are fitted on")
    ap.add_argument("--keep", type=float, default=0.3, help="fraction of the lines kept (evaluate.py: 0.3 and 0.6)")
    ap.add_argument("--drawn", type=float, default=0.25, help="a part with at least this fraction of its ink left is drawn")
    ap.add_argument("--json")
    args = ap.parse_args()
    if not 0 < args.keep <= 1 or not 0 < args.drawn <= 1:
        sys.exit("partial_bound: error: --keep and --drawn must be in (0, 1]")
    data = pathlib.Path(args.data).expanduser()
    faces = read_faces(data, "partial_bound")
    train = [f for f in faces if f["split"] == "train"][: args.train_faces]
    styles = sorted({f["style"] for f in train})
    models = {s: fit([f for f in train if f["style"] == s]) for s in styles}
    models[None] = fit(train)
    groups = {"test split": [f for f in faces if f["split"] == "test"][: args.faces],
              "held-out style": [f for f in faces if f["split"] == "heldout"][: args.faces]}
    session = sumi.Session(threads=2, cache_mb=16)
    graph = partial_graph(args.keep)
    results = {}
    for gname, group in groups.items():
        mean_errs, reg_errs, all_drawn = [], [], 0
        for face in group:
            drawn = drawn_parts(session, graph, data, face, args.keep, args.drawn)
            all_drawn += all(drawn.values())
            m, r = worst_errors(face, drawn, models.get(face["style"], models[None]))
            mean_errs.append(m)
            reg_errs.append(r)
        results[gname] = {"all_parts_drawn": all_drawn / max(1, len(group)), "mean": summary(mean_errs),
                          "regressed": summary(reg_errs)}
        s = results[gname]
        print(f"{gname}, {100 * args.keep:.0f} % of lines: all four parts drawn in {100 * s['all_parts_drawn']:.1f} % "
              f"of {len(group)} faces; oracle within 8 px: {100 * s['mean']['within_8px']:.1f} % (style means), "
              f"{100 * s['regressed']['within_8px']:.1f} % (regressed on the drawn parts); within 4 px "
              f"{100 * s['mean']['within_4px']:.1f} / {100 * s['regressed']['within_4px']:.1f} %", file=sys.stderr)
    out = {"keep": args.keep, "drawn": args.drawn, "results": results,
           "note": "an oracle that knows the true frame and style and places drawn parts exactly; worst of four part "
                   "centres, px at 256"}
    if args.json:
        tmp = pathlib.Path(args.json + ".tmp")
        tmp.write_text(json.dumps(out, indent=2) + "\n")
        tmp.replace(args.json)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
