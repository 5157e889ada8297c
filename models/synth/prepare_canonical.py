#!/usr/bin/python3
"""Packs a multi-style, randomly framed data set (models/data generator v2) into
canonical-frame training arrays for the synthesis model - through Sumi's own
nodes, so training sees exactly what the portrait graphs feed the models.

    PYTHONPATH=build/python /usr/bin/python3 models/synth/prepare_canonical.py \\
        --data ~/sumi-data/styles256_v2 --out ~/sumi-data/canonical_v2.npz --train 20000 --jobs 2

After new part models, only the latents change: --relatent reuses an earlier output's sketches and colours,

    ... prepare_canonical.py --relatent ~/sumi-data/canonical_v2.npz --parts NEW/manifest.json --out v3.npz

Per face, one Sumi graph (the front of graphs/deepfacedrawing.sumi.json) runs
with the face's true frame fed in place of face.locate's answer, moved by a
small random similarity (--jitter px / --jitter-scale / --jitter-deg) so the
models also learn from frames as imprecise as the locator's:
  sketch -> face.warp (to_canonical) -> face.split -> latent.encode -> latent.project (blend 1)
  colour -> face.warp (to_canonical) -> image.resize (area) to the synthesis size
and writes
  sketches: uint8 [N, 256, 256] canonical sketches (255 = paper),
  colours:  uint8 [N, S, S, 3] canonical colour images,
  latents:  float16 [N, 5, L] each part's latent as latent.encode gives it (blend 0),
  projected: float16 [N, 5, L] the same after latent.project at blend 1 (the node is linear in blend, so any blend
             is a mix of the two),
  ids, split (0 train, 1 val, 2 test, 3 held-out style), style (index into `styles`), jitter [N, 4] (dx, dy,
  scale, degrees), parts (the part order).
"""
import argparse
import json
import math
import multiprocessing as mp
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]
SPLITS = {"train": 0, "val": 1, "test": 2, "heldout": 3}


# The parameters of part_chain.sumi.json that its encode and project nodes take (same names there).
CHAIN_PARAMS = {"encode": ("part", "encoder"), "project": ("part", "k", "blend")}


def part_params(ref, part, node, parts_manifest):
    """The parameters of `node` ("encode" or "project") in the graph file's instance of
    part_chain.sumi.json for `part`, with the part-model manifest replaced when one is given."""
    inst = ref[part].get("params", {})
    params = {"part": part}
    params.update({k: v for k, v in inst.items() if k in CHAIN_PARAMS[node] and v != ""})
    if parts_manifest:
        params["manifest"] = str(parts_manifest)
    return params


def latent_graph(parts_manifest=None):
    """The deepfacedrawing graph's split -> encode -> project (blend 1) on a canonical sketch fed as "sketch"."""
    import sumi
    ref = json.loads((ROOT / "graphs" / "deepfacedrawing.sumi.json").read_text())["nodes"]
    g = sumi.Graph()
    g.add_node("sketch", "io.load_image", channels="gray")  # fed: never loads
    g.add_node("split", "face.split", **ref["split"].get("params", {}))
    g.link("sketch.image", "split.sketch")
    add_latents(g, ref, parts_manifest)
    return g


def add_latents(g, ref, parts_manifest):
    for p in PARTS:
        g.add_node(f"encode_{p}", "latent.encode", **part_params(ref, p, "encode", parts_manifest))
        g.link(f"split.{p}", f"encode_{p}.image")
        params = part_params(ref, p, "project", parts_manifest)
        params["blend"] = 1.0
        g.add_node(f"project_{p}", "latent.project", **params)
        g.link(f"encode_{p}.latent", f"project_{p}.latent")
        g.set_output(f"latent_{p}", f"encode_{p}.latent")
        g.set_output(f"projected_{p}", f"project_{p}.latent")


def build_graph(size, parts_manifest=None):
    """The deepfacedrawing graph's own front, with its windows and models (read from the graph file)."""
    import sumi
    ref = json.loads((ROOT / "graphs" / "deepfacedrawing.sumi.json").read_text())["nodes"]
    g = sumi.Graph()
    g.add_node("sketch", "io.load_image", channels="gray")
    g.add_node("colour", "io.load_image", channels="rgb")
    g.add_node("locate", "face.locate")  # its frame is fed: the node itself never runs
    g.link("sketch.image", "locate.sketch")
    g.add_node("canonical", "face.warp", **ref["canonical"].get("params", {}))
    g.link("sketch.image", "canonical.image")
    g.link("locate.frame", "canonical.frame")
    g.add_node("canonical_colour", "face.warp", **ref["canonical"].get("params", {}))
    g.link("colour.image", "canonical_colour.image")
    g.link("locate.frame", "canonical_colour.frame")
    g.add_node("small_colour", "image.resize", width=size, height=size, interpolation="area")
    g.link("canonical_colour.image", "small_colour.image")
    g.add_node("split", "face.split", **ref["split"].get("params", {}))
    g.link("canonical.image", "split.sketch")
    g.set_output("sketch", "canonical.image")
    g.set_output("colour", "small_colour.image")
    add_latents(g, ref, parts_manifest)
    return g


def jittered(matrix, rng, px, scale, deg, canvas):
    """The frame matrix (canonical px -> image px) after a random similarity about the canonical centre."""
    dx, dy = rng.uniform(-px, px, 2)
    s = math.exp(rng.uniform(-scale, scale))
    a = math.radians(rng.uniform(-deg, deg))
    c = canvas / 2
    j = np.array([[s * math.cos(a), -s * math.sin(a), 0.0], [s * math.sin(a), s * math.cos(a), 0.0], [0, 0, 1]])
    j[:2, 2] = [c + dx, c + dy] - j[:2, :2] @ [c, c]
    m = np.vstack([np.array(matrix, dtype=np.float64), [0, 0, 1]]) @ j
    return m[:2].tolist(), (dx, dy, s, math.degrees(a))


def progress(report, i, n, t0):
    if report and ((i + 1) % 200 == 0 or i + 1 == n):
        rate = (i + 1) / (time.time() - t0)
        print(f"\rprepare: {i + 1}/{n} faces in this worker, {rate:.0f}/s, "
              f"ETA {(n - i - 1) / max(rate, 1e-9) / 60:.1f} min", end="", file=sys.stderr, flush=True)


def relatent_work(job):
    """Latents of stored canonical sketches (rows `rows` of an earlier output) with the given part models."""
    path, rows, parts_manifest, report = job
    import torch
    torch.set_num_threads(1)
    import sumi
    sketches = np.load(path)["sketches"][rows]
    g = latent_graph(parts_manifest)
    session = sumi.Session(cache_mb=1, threads=1)
    out = {"latents": None, "projected": None}
    t0 = time.time()
    for i in range(len(rows)):
        r = session.run(g, inputs={"sketch.image": sketches[i][None, None].astype(np.float32) / 255.0}).outputs
        lat = np.stack([np.asarray(r[f"latent_{p}"]).reshape(-1) for p in PARTS])
        proj = np.stack([np.asarray(r[f"projected_{p}"]).reshape(-1) for p in PARTS])
        if out["latents"] is None:
            out["latents"] = np.empty((len(rows),) + lat.shape, np.float16)
            out["projected"] = np.empty((len(rows),) + lat.shape, np.float16)
        out["latents"][i], out["projected"][i] = lat, proj
        progress(report, i, len(rows), t0)
    return out


def relatent(args):
    """--relatent: an earlier output with its latents recomputed by other part models (sketches, colours and
    frames unchanged, so no image is loaded or warped again)."""
    src = pathlib.Path(args.relatent).expanduser()
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files if k != "sketches"}
        n = len(arrays["split"])
    jobs = max(1, args.jobs)
    items = [(src, np.arange(k, n, jobs), args.parts, k == 0) for k in range(jobs)]
    t0 = time.time()
    print(f"prepare: latents of {n} faces of {src} with {args.parts or 'the graph files models'}, {jobs} worker(s)",
          file=sys.stderr, flush=True)
    if jobs == 1:
        results = [relatent_work(items[0])]
    else:
        with mp.get_context("spawn").Pool(jobs) as pool:
            results = pool.map(relatent_work, items)
    print(file=sys.stderr)
    for key in ("latents", "projected"):
        for k, r in enumerate(results):
            arrays[key][k::jobs] = r[key]
    with np.load(src) as z:
        arrays["sketches"] = z["sketches"]
    out = pathlib.Path(args.out).expanduser()
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(out)
    print(f"prepare: wrote {out}: {n} faces, {(time.time() - t0) / 60:.1f} min")


def work(job):
    """Runs the graph over a slice of faces; returns their arrays."""
    data, faces, size, canvas, jitter, seed, report, parts_manifest = job
    import torch
    torch.set_num_threads(1)
    import sumi
    g = build_graph(size, parts_manifest)
    session = sumi.Session(cache_mb=1, threads=1)
    n = len(faces)
    out = {"sketches": np.empty((n, canvas, canvas), np.uint8), "colours": np.empty((n, size, size, 3), np.uint8),
           "latents": None, "projected": None, "jitter": np.zeros((n, 4), np.float32)}
    t0 = time.time()
    for i, face in enumerate(faces):
        rng = np.random.default_rng([seed, int(face["index"])])
        matrix = face["frame"]["matrix"]
        if jitter[0] > 0 and face["split"] != "heldout":
            matrix, out["jitter"][i] = jittered(matrix, rng, *jitter, canvas)
        else:
            out["jitter"][i] = (0, 0, 1, 0)
        frame = {"canonical": canvas, "size": (face["size"], face["size"]), "matrix": matrix, "located": True,
                 "parts": {}}
        g.set_param("sketch", "path", str(data / face["files"]["sketch"]))
        g.set_param("colour", "path", str(data / face["files"]["color"]))
        r = session.run(g, inputs={"locate.frame": frame}).outputs
        out["sketches"][i] = np.round(r["sketch"][0][0] * 255).astype(np.uint8)
        out["colours"][i] = np.round(r["colour"][0].transpose(1, 2, 0) * 255).astype(np.uint8)
        lat = np.stack([np.asarray(r[f"latent_{p}"]).reshape(-1) for p in PARTS])
        proj = np.stack([np.asarray(r[f"projected_{p}"]).reshape(-1) for p in PARTS])
        if out["latents"] is None:
            out["latents"] = np.empty((n,) + lat.shape, np.float16)
            out["projected"] = np.empty((n,) + lat.shape, np.float16)
        out["latents"][i], out["projected"][i] = lat, proj
        progress(report, i, n, t0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="folder made by models/data/generate.mjs (v2, with frames)")
    ap.add_argument("--relatent", help="instead of --data: an earlier output whose latents to recompute with --parts")
    ap.add_argument("--parts", help="part-model manifest to use instead of the graph file's (models/parts)")
    ap.add_argument("--out", required=True, help="output .npz file")
    ap.add_argument("--size", type=int, default=128, help="colour images are scaled to this (the synthesis size)")
    ap.add_argument("--train", type=int, default=0, help="at most this many training faces (0: all)")
    ap.add_argument("--val", type=int, default=256, help="at most this many faces from each of val, test, heldout")
    ap.add_argument("--jitter", type=float, default=4.0, help="random frame shift, canonical px (0: exact frames)")
    ap.add_argument("--jitter-scale", type=float, default=0.04, help="random log-scale of the frame")
    ap.add_argument("--jitter-deg", type=float, default=3.0, help="random rotation of the frame, degrees")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.relatent:
        return relatent(args)
    if not args.data:
        ap.error("one of --data or --relatent is needed")
    data = pathlib.Path(args.data).expanduser()
    try:
        dataset = json.loads((data / "dataset.json").read_text())
        manifest = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines() if line.strip()]
    except OSError as e:
        sys.exit(f"prepare: error: {data} is not a generated data set ({e})")
    if not all("frame" in f for f in manifest[:10]):
        sys.exit(f"prepare: error: {data} has no frames (generator v1?); make it with --framing random")
    canvas = int(dataset["size"])
    chosen, counts = [], {k: 0 for k in SPLITS}
    limits = {"train": args.train or len(manifest), "val": args.val, "test": args.val, "heldout": args.val}
    for f in manifest:
        if counts[f["split"]] < limits[f["split"]]:
            chosen.append(f)
            counts[f["split"]] += 1
    jobs = max(1, args.jobs)
    slices = [chosen[k::jobs] for k in range(jobs)]
    work_items = [(data, s, args.size, canvas, (args.jitter, args.jitter_scale, args.jitter_deg), args.seed, k == 0,
                   args.parts)
                  for k, s in enumerate(slices)]
    t0 = time.time()
    print(f"prepare: {len(chosen)} faces {counts} with {jobs} worker(s)", file=sys.stderr, flush=True)
    if jobs == 1:
        results = [work(work_items[0])]
    else:
        with mp.get_context("spawn").Pool(jobs) as pool:
            results = pool.map(work, work_items)
    print(file=sys.stderr)
    order = np.concatenate([np.arange(k, len(chosen), jobs) for k in range(jobs)])
    merged = {}
    for key in results[0]:
        arr = np.concatenate([r[key] for r in results])
        merged[key] = np.empty_like(arr)
        merged[key][order] = arr
    styles = sorted({f["style"] for f in chosen})
    merged["ids"] = np.array([int(f["index"]) for f in chosen], np.int32)
    merged["split"] = np.array([SPLITS[f["split"]] for f in chosen], np.uint8)
    merged["style"] = np.array([styles.index(f["style"]) for f in chosen], np.uint8)
    out = pathlib.Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, **merged, styles=np.array(styles), parts=np.array(PARTS), size=args.size, canvas=canvas,
             data_version=dataset.get("generator_version", ""), jitter_args=np.array(
                 [args.jitter, args.jitter_scale, args.jitter_deg], np.float32))
    tmp.replace(out)
    print(f"prepare: wrote {out}: {len(chosen)} faces {counts}, styles {styles}, "
          f"{(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
