#!/usr/bin/python3
"""Packs a generated face data set into one array file for training the part and synthesis models.

    PYTHONPATH=build/python /usr/bin/python3 models/parts/prepare.py --data ~/sumi-data/faces256 --out ~/sumi-data/sketches256.npz
    PYTHONPATH=build/python /usr/bin/python3 models/parts/prepare.py --data ~/sumi-data/faces256 --colours 128 --out ~/sumi-data/colours128.npz

Reads every face's sketch.png (or, with --colours N, color.png scaled to N x N
with area interpolation) through Sumi's own nodes (so the pixels are exactly
what the engine sees), and writes
  sketches: uint8 [N, S, S] (255 = paper)  or  colours: uint8 [N, C, C, 3] (RGB),
  ids: int32 [N], split: uint8 [N] (0 train, 1 val, 2 test),
  windows: int32 [5, 3] (left_eye, right_eye, nose, mouth, remainder; [x, y, size] on the S canvas), size (S).
"""
import argparse
import json
import pathlib
import sys
import time

import numpy as np

import sumi

PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]
SPLITS = {"train": 0, "val": 1, "test": 2}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder made by models/data/generate.mjs")
    ap.add_argument("--out", required=True, help="output .npz file")
    ap.add_argument("--colours", type=int, default=0, metavar="N",
                    help="pack the colour images scaled to N x N instead of the sketches")
    args = ap.parse_args()
    data = pathlib.Path(args.data).expanduser()
    try:
        dataset = json.loads((data / "dataset.json").read_text())
        manifest = [json.loads(line) for line in (data / "manifest.jsonl").read_text().splitlines() if line.strip()]
    except OSError as e:
        sys.exit(f"prepare: error: {data} is not a generated data set ({e})")
    size = int(dataset["size"])
    windows = np.array([dataset["windows"][p] for p in PARTS], dtype=np.int32)

    g = sumi.Graph()
    kind = "color" if args.colours else "sketch"
    g.add_node("load", "io.load_image", channels="rgb" if args.colours else "gray")
    if args.colours:
        g.add_node("scale", "image.resize", width=args.colours, height=args.colours, interpolation="area")
        g.link("load.image", "scale.image")
        g.set_output("image", "scale.image")
    else:
        g.set_output("image", "load.image")
    session = sumi.Session(cache_mb=1)  # every file is read once: no point caching

    n = len(manifest)
    pixels = np.empty((n, args.colours, args.colours, 3) if args.colours else (n, size, size), dtype=np.uint8)
    ids = np.empty(n, dtype=np.int32)
    split = np.empty(n, dtype=np.uint8)
    t0 = time.time()
    for i, face in enumerate(manifest):
        g.set_param("load", "path", str(data / face["files"][kind]))
        img = session.run(g).outputs["image"][0]
        pixels[i] = np.round((img.transpose(1, 2, 0) if args.colours else img[0]) * 255).astype(np.uint8)
        ids[i] = int(face["index"])
        split[i] = SPLITS[face["split"]]
        if (i + 1) % 500 == 0 or i + 1 == n:
            rate = (i + 1) / (time.time() - t0)
            print(f"\rprepare: {i + 1}/{n} {kind} images, {rate:.0f}/s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    out = pathlib.Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, **{"colours" if args.colours else "sketches": pixels}, ids=ids, split=split, windows=windows, size=size)
    tmp.replace(out)
    counts = {k: int((split == v).sum()) for k, v in SPLITS.items()}
    print(f"prepare: wrote {out}: {n} {kind} images at {args.colours or size} px, splits {counts}, windows {windows.tolist()}")


if __name__ == "__main__":
    main()
