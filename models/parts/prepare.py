#!/usr/bin/python3
"""Packs a generated face data set into one array file for training the part models.

    PYTHONPATH=build/python /usr/bin/python3 models/parts/prepare.py --data ~/sumi-data/faces256 --out ~/sumi-data/sketches256.npz

Reads every face's sketch.png through Sumi's own io.load_image node (so the
pixels are exactly what the engine sees), and writes
  sketches: uint8 [N, S, S] (255 = paper), ids: int32 [N], split: uint8 [N] (0 train, 1 val, 2 test),
  windows: int32 [5, 3] (left_eye, right_eye, nose, mouth, remainder; [x, y, size]), size.
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
    g.add_node("load", "io.load_image", channels="gray")
    g.set_output("image", "load.image")
    session = sumi.Session(cache_mb=1)  # every file is read once: no point caching

    n = len(manifest)
    sketches = np.empty((n, size, size), dtype=np.uint8)
    ids = np.empty(n, dtype=np.int32)
    split = np.empty(n, dtype=np.uint8)
    t0 = time.time()
    for i, face in enumerate(manifest):
        g.set_param("load", "path", str(data / face["files"]["sketch"]))
        img = session.run(g).outputs["image"][0, 0]
        sketches[i] = np.round(img * 255).astype(np.uint8)
        ids[i] = int(face["index"])
        split[i] = SPLITS[face["split"]]
        if (i + 1) % 500 == 0 or i + 1 == n:
            rate = (i + 1) / (time.time() - t0)
            print(f"\rprepare: {i + 1}/{n} sketches, {rate:.0f}/s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    out = pathlib.Path(args.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.npz")
    np.savez(tmp, sketches=sketches, ids=ids, split=split, windows=windows, size=size)
    tmp.replace(out)
    counts = {k: int((split == v).sum()) for k, v in SPLITS.items()}
    print(f"prepare: wrote {out}: {n} sketches at {size} px, splits {counts}, windows {windows.tolist()}")


if __name__ == "__main__":
    main()
