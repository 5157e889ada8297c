"""Framing evaluation (`models/synth/evaluate.py --framing`): do the portraits follow the drawing when
it is not where the training faces were, and when it is a face in a style no model was trained on?

Every portrait graph in --graphs (a graph file with a node `sketch` and an output `portrait`) runs on
the test faces under framing jitter - each factor alone against the unjittered baseline, plus one
combined condition - applied with one affine map to the 256 px sketch AND the 128 px colour truth
(paper white outside), and optionally on the held-out style of a multi-style data set (--heldout DIR):
its faces as generated, with that data set's own random framing, and the same faces with their
recorded framing undone (moved into the canonical frame the training faces share), which separates
the style from the framing. Colour-hint nodes are fed --hint-strokes hint strokes simulated from the
(moved) truth (colour.simulate_hints; with blank hints sketch2anime's portrait is deepfacedrawing's);
layer mixing is off (mix strength 0: the sketch's own code). Per graph and condition: line chamfer
(the input's ink vs the portrait's sketch.xdog line art, px at 128, capped at 8; the truth's own
distance as the floor), SSIM, L1, and the diversity ratio: mean pairwise L1 between the portraits of
different drawings / the same for their truths (1 = as varied as the faces drawn; near 0 = the same
portrait whatever was drawn).

Writes the section --label of <out>/framing.md (other sections and text outside them are kept, so a
later run with another label adds its rows next to the earlier ones) and <out>/framing_<label>.png
(rows: conditions; columns: input | each graph's portrait | truth).
"""
import json
import math
import pathlib
import subprocess
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

CANVAS = 256  # the sketch size the shifts are given in
JITTERS = [  # label (picture: short, no commas), name (tables), shift px at 256, scale, rotation degrees
    ("baseline", "as generated", 0, 1.0, 0),
    ("shift 16", "shift 16 px", 16, 1.0, 0),
    ("shift 32", "shift 32 px", 32, 1.0, 0),
    ("scale 0.75", "scale 0.75", 0, 0.75, 0),
    ("scale 1.25", "scale 1.25", 0, 1.25, 0),
    ("rotate 10", "rotation 10 deg", 0, 1.0, 10),
    ("all three", "shift 32 + scale 0.75 + rotation 10 deg", 32, 0.75, 10),
]
PICTURE_HELDOUT_FACES = 3


def face_motion(face_id):
    """The direction of a face's shift (radians) and the sign of its rotation: seeded by the face, so every
    condition moves a face the same way and a run is repeatable."""
    rng = np.random.default_rng(int(face_id))
    return float(rng.uniform(0, 2 * math.pi)), float(rng.choice([-1.0, 1.0]))


def warp(img, to_input):
    """A N x C x S x S image in 0..1 resampled (bilinear) so that output point p shows input point
    to_input @ p (3 x 3, in pixels of a CANVAS px canvas running from 0 to CANVAS); paper white where
    nothing was. The map is applied in normalised coordinates, so a sketch and its truth at another
    size move together."""
    norm = torch.tensor([[2.0 / CANVAS, 0, -1], [0, 2.0 / CANVAS, -1], [0, 0, 1]], dtype=torch.float64)
    theta = (norm @ torch.as_tensor(to_input, dtype=torch.float64) @ torch.linalg.inv(norm))[:2].float()
    grid = F.affine_grid(theta[None].expand(img.shape[0], 2, 3), list(img.shape), align_corners=False)
    return F.grid_sample(img - 1, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + 1


def jitter_matrix(shift=0.0, scale=1.0, degrees=0.0, direction=0.0):
    """3 x 3 output -> input pixel map of moving a drawing by `shift` px along `direction` (radians),
    scaling it by `scale` and turning it by `degrees` (clockwise on screen), about the canvas centre."""
    c, a = CANVAS / 2, math.radians(degrees)
    t = (shift * math.cos(direction), shift * math.sin(direction))
    back = np.array([[math.cos(a), math.sin(a), 0], [-math.sin(a), math.cos(a), 0], [0, 0, scale]]) / scale
    return translation(c, c) @ back @ translation(-c - t[0], -c - t[1])


def translation(x, y):
    return np.array([[1.0, 0, x], [0, 1, y], [0, 0, 1]])


def jitter(img, shift=0.0, scale=1.0, degrees=0.0, direction=0.0):
    """`img` moved, scaled and turned as jitter_matrix says (unchanged when it says nothing)."""
    if shift == 0 and scale == 1 and degrees == 0:
        return img
    return warp(img, jitter_matrix(shift, scale, degrees, direction))


def packed_faces(sk, co, test_idx):
    """[(face id, sketch 1 x 1 x 256 x 256, truth 1 x 3 x 128 x 128)] of the packed test faces, in 0..1."""
    out = []
    for face in test_idx:
        sketch = torch.from_numpy(sk["sketches"][face].astype(np.float32) / 255.0)[None, None]
        truth = torch.from_numpy(co["colours"][face].astype(np.float32) / 255.0).permute(2, 0, 1)[None]
        out.append((int(sk["ids"][face]), sketch, truth))
    return out


def jitter_conditions(faces):
    """[(label, name, [(seed, sketch, truth)])]: every face under each JITTERS entry."""
    conditions = []
    for label, name, shift, scale, degrees in JITTERS:
        pairs = []
        for face_id, sketch, truth in faces:
            direction, sign = face_motion(face_id)
            move = dict(shift=shift, scale=scale, degrees=sign * degrees, direction=direction)
            pairs.append((face_id, jitter(sketch, **move), jitter(truth, **move)))
        conditions.append((label, name, pairs))
    return conditions


def manifest(folder):
    """A data set's faces: manifest.jsonl, or while the generator is still running (it writes the manifest
    last) the faces/*/face.json done so far, in index order."""
    path = folder / "manifest.jsonl"
    if path.exists():
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    done = sorted(folder.glob("faces/*/face.json"), key=lambda f: (len(f.parent.name), f.parent.name))
    if not done:
        sys.exit(f"evaluate: error: --heldout {folder} has no manifest.jsonl and no faces/*/face.json")
    print(f"evaluate: {folder} has no manifest.jsonl yet: reading the {len(done)} faces done so far")
    return [json.loads(f.read_text()) for f in done]


def loader():
    """A graph reading a face's sketch at CANVAS px and its colour at CANVAS / 2 (area interpolation)."""
    g = sumi.Graph(name="heldout")
    g.add_node("sketch", "io.load_image", channels="gray")
    g.add_node("sketch_size", "image.resize", width=CANVAS, height=CANVAS, interpolation="area")
    g.add_node("colour", "io.load_image", channels="rgb")
    g.add_node("colour_size", "image.resize", width=CANVAS // 2, height=CANVAS // 2, interpolation="area")
    g.link("sketch.image", "sketch_size.image")
    g.link("colour.image", "colour_size.image")
    g.set_output("sketch", "sketch_size.image")
    g.set_output("truth", "colour_size.image")
    return g


def frame_matrix(face):
    """The face's recorded framing (canonical -> framed pixels) as a 3 x 3 map on a CANVAS px canvas, or None."""
    matrix = (face.get("frame") or {}).get("matrix")
    if matrix is None:
        return None
    to_canvas = np.diag([CANVAS / face.get("size", CANVAS)] * 2 + [1.0])
    return to_canvas @ np.vstack([np.array(matrix, dtype=np.float64), [0, 0, 1]]) @ np.linalg.inv(to_canvas)


def heldout_conditions(session, folder, count):
    """[(label (picture: short, no commas), name, [(seed, sketch, truth)])] per held-out style: the first
    `count` faces of the "heldout" split of a multi-style data set as generated, and - where the faces
    record their framing - the same faces moved back into the canonical frame the training faces share
    (the framing inverted)."""
    folder = pathlib.Path(folder).expanduser()
    faces = [(i, f) for i, f in enumerate(manifest(folder)) if f.get("split") == "heldout"][:count]
    if not faces:
        sys.exit(f"evaluate: error: {folder / 'manifest.jsonl'} has no faces with \"split\": \"heldout\"")
    g, as_made, canonical = loader(), {}, {}
    for index, face in faces:
        g.set_param("sketch", "path", str(folder / face["files"]["sketch"]))
        g.set_param("colour", "path", str(folder / face["files"]["color"]))
        out = session.run(g, use_cache=False).outputs
        sketch, truth = (torch.from_numpy(out[k].copy()) for k in ("sketch", "truth"))
        style = face.get("style", "?")
        as_made.setdefault(style, []).append((index, sketch, truth))
        frame = frame_matrix(face)
        if frame is not None:
            canonical.setdefault(style, []).append((index, warp(sketch, frame), warp(truth, frame)))
    conditions = []
    for style in sorted(as_made):
        conditions.append((style, f"held-out style {style} ({folder.name}, as generated)", as_made[style]))
        if len(canonical.get(style, [])) == len(as_made[style]):
            conditions.append((f"{style} canon", f"held-out style {style}, framing undone", canonical[style]))
    return conditions


def portrait_graphs(folder):
    """{name: (graph, its colour-hint nodes)} for every graph file in `folder` with a node `sketch` and an
    output `portrait`, layer mixing turned off; a graph with hint nodes is named "<file> + hints"."""
    graphs = {}
    for path in sorted(pathlib.Path(folder).glob("*.sumi.json")):
        g = sumi.Graph.load(str(path))
        nodes = g.nodes
        if "portrait" not in g.outputs or "sketch" not in nodes:
            continue
        for node_id, node in nodes.items():
            if node["type"] == "latent.mix_layers":
                g.set_param(node_id, "strength", 0.0)
        hint_nodes = [n for n, node in nodes.items() if node["type"] == "colour.hints_input"]
        graphs[path.name.split(".")[0] + (" + hints" if hint_nodes else "")] = (g, hint_nodes)
    if not graphs:
        sys.exit(f"evaluate: error: no portrait graphs (a node `sketch`, an output `portrait`) in {folder}")
    return graphs


def diversity(images):
    """Mean pairwise L1 between different images of a list of N x C x H x W tensors."""
    flat = torch.cat([img.flatten(1) for img in images])
    pairs = [(flat[i + 1:] - flat[i]).abs().mean(dim=1) for i in range(len(flat) - 1)]
    return torch.cat(pairs).mean().item() if pairs else float("nan")


def simulated_hints(session, truth, seed, count, hint_nodes):
    """Inputs feeding `count` hint strokes simulated from the truth to each of `hint_nodes`."""
    if not hint_nodes:
        return {}
    h = session.run(hints_graph(count, seed), inputs={"truth": truth.numpy()}).outputs
    return {f"{n}.{port}": h[port] for n in hint_nodes for port in ("hints", "mask")}


def evaluate_condition(session, graphs, pairs, hint_strokes, progress):
    """{graph: {l1, ssim, chamfer, diversity, portraits}} and the truth's chamfer floor on one condition."""
    stats = {name: {"l1": [], "ssim": [], "chamfer": [], "portraits": []} for name in graphs}
    floor = []
    for seed, sketch, truth in pairs:
        ink = input_ink(sketch, truth.shape[-2:])
        floor.append(chamfer(ink, line_art(session, truth)))
        for name, (g, hint_nodes) in graphs.items():
            feed = simulated_hints(session, truth, seed, hint_strokes, hint_nodes)
            out = session.run(g, outputs=["portrait"], inputs={"sketch": sketch.numpy(), **feed})
            img = torch.from_numpy(out.outputs["portrait"].copy())
            s = stats[name]
            s["l1"].append((img - truth).abs().mean().item())
            s["ssim"].append(ssim(img, truth))
            s["chamfer"].append(chamfer(ink, line_art(session, img)))
            s["portraits"].append(img)
        progress()
    truth_div = diversity([t for _, _, t in pairs])
    for s in stats.values():
        s["diversity"] = diversity(s["portraits"]) / truth_div
    return stats, float(np.mean(floor))


def summary_table(results, graphs, key, fmt):
    """One measure as a matrix: rows conditions, columns graphs."""
    lines = ["| condition | " + " | ".join(graphs) + " |", "|---" * (len(graphs) + 1) + "|"]
    for _, name, _, stats, _ in results:
        lines.append(f"| {name} | " + " | ".join(fmt(stats[g][key]) for g in graphs) + " |")
    return "\n".join(lines)


def full_table(results, graphs):
    lines = ["| condition | graph | line chamfer px (truth's: floor) | SSIM | L1 | diversity ratio |",
             "|---|---|---|---|---|---|"]
    for _, name, _, stats, floor in results:
        for g in graphs:
            s = stats[g]
            lines.append(f"| {name} | {g} | {np.mean(s['chamfer']):.2f} ({floor:.2f}) | {np.mean(s['ssim']):.3f} | "
                         f"{np.mean(s['l1']):.4f} | {s['diversity']:.2f} |".replace("nan", "-"))
    return "\n".join(lines)


def shown(path):
    """A path as the page shows it: relative to the repository when inside it, else with ~ for the home folder
    (no machine's absolute paths in committed docs)."""
    path = pathlib.Path(path).expanduser().resolve()
    if path.is_relative_to(ROOT):
        return str(path.relative_to(ROOT)) + ("/" if path.is_dir() else "")
    home = pathlib.Path.home()
    return "~/" + str(path.relative_to(home)) if path.is_relative_to(home) else str(path)


def provenance(graphs_dir):
    """Which graph files, models and nodes a run used: the folder and the repository's commit, marked when
    the working tree differs from it there."""
    graphs_dir = pathlib.Path(graphs_dir).resolve()
    paths = ["models", "nodes"] + (["graphs"] if graphs_dir == ROOT / "graphs" else [])
    try:
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(git + ["status", "--porcelain"] + paths, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return f"graph files in `{shown(graphs_dir)}`"
    where = "graphs/" if "graphs" in paths else f"graph files in `{shown(graphs_dir)}`, models/ and nodes/"
    changed = f" with uncommitted changes in {', '.join(p + '/' for p in paths)}" if dirty.stdout.strip() else ""
    return f"{where} of commit {head.stdout.strip()}{changed}"


def section(args, results, graphs, faces, seconds):
    label = args.label
    counts = sorted({len(pairs) for _, _, pairs, _, _ in results})
    options = (f" --graphs {shown(args.graphs)}" if pathlib.Path(args.graphs).resolve() != ROOT / "graphs" else "") + \
        (f" --heldout {shown(args.heldout)}" if args.heldout else "")
    return "\n\n".join([
        f"## {label}",
        f"{'/'.join(map(str, counts))} faces per condition, {provenance(args.graphs)}, {seconds:.0f} s "
        f"(`models/synth/evaluate.py --framing --faces {faces}{options} --label {label}`); "
        f"{args.hint_strokes} simulated hint strokes per face for the graphs with hints.",
        "Line chamfer in px at 128 (lower = the portrait's lines lie on the drawn ones):\n\n"
        + summary_table(results, graphs, "chamfer", lambda v: f"{np.mean(v):.2f}"),
        "Diversity ratio (portraits' mean pairwise L1 / the truths'; 1 = as varied as the drawings):\n\n"
        + summary_table(results, graphs, "diversity", lambda v: f"{v:.2f}" if np.isfinite(v) else "-"),
        "Every measure:\n\n" + full_table(results, graphs),
        f"![rows: conditions; columns: input | {' | '.join(graphs)} | truth](framing_{label}.png)",
    ])


INTRO = ("# Portraits under framing jitter and on a held-out style\n\n"
         "Written by `models/synth/evaluate.py --framing` (issue 17, section 3); each run replaces its own "
         "`--label` section and keeps the rest of this page.\n\n" + __doc__.split("\n\n")[1] + "\n")


def write_section(path, label, text):
    """Replaces (or appends) the section between this label's markers in `path`, keeping everything else."""
    begin, end = f"<!-- framing:{label} begin -->", f"<!-- framing:{label} end -->"
    old = path.read_text() if path.exists() else INTRO
    block = f"{begin}\n{text}\n{end}"
    if begin in old and end in old:
        new = old[:old.index(begin)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(new)
    tmp.replace(path)


def write_picture(session, results, graphs, out_path):
    """One row per jitter condition (the first test face) and up to PICTURE_HELDOUT_FACES rows per held-out style."""
    rows = []
    for label, _, pairs, stats, _ in results:
        take = 1 if any(label == j[0] for j in JITTERS) else PICTURE_HELDOUT_FACES
        for i in range(min(take, len(pairs))):
            _, sketch, truth = pairs[i]
            imgs = [sketch] + [stats[g]["portraits"][i] for g in graphs] + [truth]
            rows.append((label if take == 1 else f"{label} {i + 1}", [np.ascontiguousarray(x.numpy()) for x in imgs]))
    picture(session, rows, out_path, names=",".join(graphs) + ",truth")


def run(args, sk, co, test_idx):
    session = sumi.Session(threads=args.threads)
    graphs = portrait_graphs(args.graphs)
    conditions = jitter_conditions(packed_faces(sk, co, test_idx))
    if args.heldout:
        conditions += heldout_conditions(session, args.heldout, args.faces)
    total, done, t0 = sum(len(c[2]) for c in conditions), [0], time.time()

    def progress():
        done[0] += 1
        print(f"\revaluate: framing {done[0]}/{total} face-conditions, {done[0] / (time.time() - t0):.2f}/s",
              end="", flush=True)

    results = []
    for label, name, pairs in conditions:
        stats, floor = evaluate_condition(session, graphs, pairs, args.hint_strokes, progress)
        results.append((label, name, pairs, stats, floor))
    print()
    names = list(graphs)
    out_dir = pathlib.Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = section(args, results, names, args.faces, time.time() - t0)
    print(text)
    write_section(out_dir / "framing.md", args.label, text)
    picture_path = out_dir / f"framing_{args.label}.png"
    write_picture(session, results, names, picture_path)
    print(f"evaluate: wrote section '{args.label}' of {out_dir / 'framing.md'} and {picture_path}")
