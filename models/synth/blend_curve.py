#!/usr/bin/python3
"""The projection blend curve (issue 18): what deepfacedrawing's `blend` (every latent.project node) trades.

For blend 0 / 0.25 / 0.5 / 0.75 / 1 the graph runs on
  * training-style test faces, complete (sketches256.npz, the adventurer test split),
  * the same faces roughened with 60 % of their strokes (sketch.drop_strokes + sketch.roughen) - a rough drawing
    of a face whose clean version is known,
  * the held-out style of a multi-style data set as generated (--heldout DIR; never trained on),
and measures, at 128 px:
  * line fidelity: chamfer between the INPUT's ink and the portrait's line art (sketch.xdog) - does the portrait
    follow what was drawn;
  * plausibility: chamfer between the TRUE face's line art and the portrait's, and SSIM to the true colour image -
    on rough input, how close the portrait comes to the clean face the rough strokes stand for.

    PYTHONPATH=build/python /usr/bin/python3 models/synth/blend_curve.py --sketches ~/sumi-data/sketches256.npz \\
        --colours ~/sumi-data/colours128.npz --heldout ~/sumi-data/styles256 --faces 30 --out docs/portraits

Writes <out>/blend_curve.md (a table per condition; the previous file is replaced atomically).

With --banks and/or --k it measures instead how the bank size and K of every latent.project node matter
(issue 18: bank size chosen by measurement): each part's shipped bank is subsampled (seeded, the same rows for
every part, so a subsampled bank still holds whole faces) to each size, at the blends of --blends, and the table
goes to <out>/bank_size.md:

    PYTHONPATH=build/python /usr/bin/python3 models/synth/blend_curve.py --sketches ~/sumi-data/sketches256.npz \\
        --colours ~/sumi-data/colours128.npz --heldout ~/sumi-data/styles256 --faces 30 \\
        --banks 100,300,1000,3000 --k 5,10 --blends 0.5,1 --out docs/portraits
"""
import argparse
import importlib.util
import json
import pathlib
import sys
import tempfile
import time

import numpy as np
import torch

import sumi

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import framing  # noqa: E402
from metrics import chamfer, input_ink, line_art, ssim  # noqa: E402

# models/synth/evaluate.py by path: the name `evaluate` is models/parts/evaluate.py's on sys.path.
_spec = importlib.util.spec_from_file_location("synth_evaluate", HERE / "evaluate.py")
synth_evaluate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synth_evaluate)
degrade_graph = synth_evaluate.degrade_graph

BLENDS = [0.0, 0.25, 0.5, 0.75, 1.0]


def conditions(session, sk, co, faces, heldout):
    """[(name, [(sketch 1x1x256x256, truth 1x3x128x128)])]."""
    test_idx = np.flatnonzero(sk["split"] == 2)[:faces]
    clean, rough = [], []
    for face in test_idx:
        sketch = sk["sketches"][face][None, None].astype(np.float32) / 255.0
        truth = torch.from_numpy(co["colours"][face].astype(np.float32) / 255.0).permute(2, 0, 1)[None]
        clean.append((torch.from_numpy(sketch), truth))
        r = session.run(degrade_graph(0.6, True, int(face)), inputs={"sketch": sketch}).outputs["sketch"]
        rough.append((torch.from_numpy(r.copy()), truth))
    out = [("training style, complete", clean), ("training style, rough with 60% of strokes", rough)]
    if heldout:
        for label, name, pairs in framing.heldout_conditions(session, heldout, faces):
            if "canon" not in label:
                out.append((name, [(s, t) for _, s, t in pairs]))
    return out


def measure(session, graph, pairs):
    """Mean (chamfer to the drawing, chamfer to the true face, SSIM) of the graph's portraits of `pairs`."""
    fid, plaus, sim = [], [], []
    for sketch, truth in pairs:
        img = torch.from_numpy(session.run(graph, outputs=["portrait"],
                                           inputs={"sketch": sketch.numpy()}).outputs["portrait"].copy())
        lines = line_art(session, img)
        fid.append(chamfer(input_ink(sketch, truth.shape[-2:]), lines))
        plaus.append(chamfer(line_art(session, truth), lines))
        sim.append(ssim(img, truth))
    return np.mean(fid), np.mean(plaus), np.mean(sim)


def subsampled_banks(graph_path, projects, graph, sizes, folder, seed=0):
    """{size: {node: bank file}}: every part's manifest bank cut to `size` rows, the same rows for every part."""
    named = graph.nodes[projects[0]].get("params", {}).get("manifest")
    manifest_path = (pathlib.Path(graph_path).parent / named) if named else ROOT / "models" / "parts" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    banks = {n: np.load(manifest_path.parent / manifest["parts"][graph.nodes[n]["params"]["part"]]["bank"])
             for n in projects}
    rows = len(next(iter(banks.values())))
    order = np.random.default_rng(seed).permutation(rows)
    out = {}
    for size in sizes:
        if size > rows:
            sys.exit(f"blend_curve: error: --banks {size} is larger than the shipped bank ({rows} rows)")
        out[size] = {}
        for n, bank in banks.items():
            path = pathlib.Path(folder) / f"{n}_{size}.npy"
            np.save(path, bank[np.sort(order[:size])])
            out[size][n] = str(path)
    return out, rows


def ints(text):
    return [int(v) for v in text.split(",") if v]


def floats(text):
    return [float(v) for v in text.split(",") if v]


def write_atomic(path, lines):
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(path)
    print(f"blend_curve: wrote {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sketches", required=True, help="sketches .npz from models/parts/prepare.py")
    ap.add_argument("--colours", required=True, help="colours .npz from models/parts/prepare.py --colours 128")
    ap.add_argument("--heldout", metavar="DIR", help="a multi-style data set whose 'heldout' split to add")
    ap.add_argument("--graph", default=str(ROOT / "graphs" / "deepfacedrawing.sumi.json"))
    ap.add_argument("--faces", type=int, default=30)
    ap.add_argument("--blends", type=floats, default=BLENDS, help="comma list of blends (default 0,0.25,0.5,0.75,1)")
    ap.add_argument("--banks", type=ints, help="comma list of bank sizes: subsample every part's bank (bank study)")
    ap.add_argument("--k", type=ints, help="comma list of K (neighbours) for every latent.project (bank study)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "portraits"))
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(1)
    session = sumi.Session(threads=args.threads)
    sk, co = np.load(pathlib.Path(args.sketches).expanduser()), np.load(pathlib.Path(args.colours).expanduser())
    graph = sumi.Graph.load(args.graph)
    projects = [n for n, node in graph.nodes.items() if node["type"] == "latent.project"]
    if not projects:
        sys.exit(f"blend_curve: error: {args.graph} has no latent.project node")
    study = bool(args.banks or args.k)
    t0 = time.time()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sumi-banks-") as folder:
        banks, shipped = subsampled_banks(args.graph, projects, graph, args.banks or [], folder)
        settings = [(size, k) for size in (args.banks or [None]) for k in (args.k or [None])]
        for name, pairs in conditions(session, sk, co, args.faces, args.heldout):
            for size, k in settings:
                for n in projects:
                    if size is not None:
                        graph.set_param(n, "bank", banks[size][n])
                    if k is not None:
                        graph.set_param(n, "k", k)
                for blend in args.blends:
                    for n in projects:
                        graph.set_param(n, "blend", blend)
                    start = time.perf_counter()
                    f, p, s = measure(session, graph, pairs)
                    ms = (time.perf_counter() - start) * 1000 / len(pairs)
                    rows.append((name, size or shipped, k or graph.nodes[projects[0]].get("params", {}).get("k", 10),
                                 blend, len(pairs), f, p, s, ms))
                    print(f"blend_curve: {name}: bank {rows[-1][1]}, k {rows[-1][2]}, blend {blend:.2f}: to the drawing "
                          f"{f:.2f} px, to the true face {p:.2f} px, SSIM {s:.3f} ({time.time() - t0:.0f} s)", flush=True)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    intro = ("Chamfer in px at 128 between the portrait's line art (sketch.xdog) and: the drawing's ink (line "
             "fidelity, lower = follows the drawing) or the true face's line art (lower = closer to the clean face "
             "the drawing stands for); SSIM to the true colour image.")
    if study:
        lines = [f"# Bank size and K ({pathlib.Path(args.graph).name})", "",
                 f"`models/synth/blend_curve.py --faces {args.faces} --banks {','.join(map(str, args.banks or []))} "
                 f"--k {','.join(map(str, args.k or []))} --blends {','.join(map(str, args.blends))}`, "
                 f"{time.time() - t0:.0f} s. Every part's shipped bank ({shipped} rows) subsampled to the size in "
                 "the row (the same faces for every part). " + intro + " ms: the graph run per face (portrait, cache "
                 "cleared by the changed parameters only where they matter), on the shared machine.", "",
                 "| input | faces | bank | K | blend | chamfer to the drawing | chamfer to the true face | SSIM | ms |",
                 "|---|---|---|---|---|---|---|---|---|"]
        for name, size, k, blend, n, f, p, s, ms in rows:
            lines.append(f"| {name} | {n} | {size} | {k} | {blend:.2f} | {f:.2f} | {p:.2f} | {s:.3f} | {ms:.0f} |")
        write_atomic(out / "bank_size.md", lines)
        return
    lines = [f"# Projection blend curve ({pathlib.Path(args.graph).name})", "",
             f"`models/synth/blend_curve.py --faces {args.faces}`, {time.time() - t0:.0f} s. Every latent.project "
             "node's `blend` set to the value in the row. " + intro, "",
             "| input | faces | blend | chamfer to the drawing | chamfer to the true face | SSIM |",
             "|---|---|---|---|---|---|"]
    for name, _, _, blend, n, f, p, s, _ in rows:
        lines.append(f"| {name} | {n} | {blend:.2f} | {f:.2f} | {p:.2f} | {s:.3f} |")
    write_atomic(out / "blend_curve.md", lines)


if __name__ == "__main__":
    main()
