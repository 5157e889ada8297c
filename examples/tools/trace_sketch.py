#!/usr/bin/python3
"""Traces a line sketch (PNG) into a Sumi strokes file: the lines are thinned
to one-pixel skeletons (Zhang-Suen), walked into polylines, simplified
(Ramer-Douglas-Peucker) and written longest first, the order in which people
usually draw (outline and hair, then features). Each stroke is as wide as
the line it follows, so filled shapes (pupils, brows) come out as wide
strokes or dots.

Used to make examples/cartoon_face.strokes.json from a face of the training
data's style, so the example sits in the frame the part models learnt:

    PYTHONPATH=build/python /usr/bin/python3 examples/tools/trace_sketch.py \
        models/data/fixture/faces/00005/sketch.png > examples/cartoon_face.strokes.json
"""
import json
import sys

import numpy as np

import sumi


def load_ink(path):
    g = sumi.Graph(name="load")
    g.add_node("img", "io.load_image", path=path)
    g.add_node("gray", "image.to_gray")
    g.link("img.image", "gray.image")
    g.set_output("gray", "gray.image")
    gray = sumi.Session().run(g).outputs["gray"][0, 0]
    return gray < 0.5


def neighbours(img):
    """P2..P9 of Zhang-Suen: N, NE, E, SE, S, SW, W, NW."""
    p = np.pad(img, 1)
    h, w = img.shape
    return [p[0:h, 1:w + 1], p[0:h, 2:], p[1:h + 1, 2:], p[2:, 2:], p[2:, 1:w + 1], p[2:, 0:w], p[1:h + 1, 0:w], p[0:h, 0:w]]


def thin(ink):
    img = ink.astype(np.uint8)
    while True:
        changed = False
        for step in (0, 1):
            n = neighbours(img)
            b = sum(n)
            a = sum(((n[i] == 0) & (n[(i + 1) % 8] == 1)).astype(np.uint8) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            c = (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0) if step == 0 else (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
            remove = (img == 1) & (b >= 2) & (b <= 6) & (a == 1) & c
            if remove.any():
                img[remove] = 0
                changed = True
        if not changed:
            return img.astype(bool)


OFFSETS = [(-1, 0), (0, 1), (1, 0), (0, -1), (-1, 1), (1, 1), (1, -1), (-1, -1)]  # 4-neighbours first


def depth(ink):
    """How many 3x3 erosions each ink pixel survives: about half the local line thickness."""
    d = np.zeros(ink.shape, np.int32)
    cur = ink.copy()
    while cur.any():
        d += cur
        n = neighbours(cur)
        cur = cur & np.logical_and.reduce(n)
    return d


def walk(skel):
    h, w = skel.shape
    left = skel.copy()
    degree = sum(n.astype(int) for n in neighbours(skel)) * skel
    paths = []

    def trace(y, x):
        path = [(y, x)]
        left[y, x] = False
        while True:
            for dy, dx in OFFSETS:
                ny, nx = y + dy, x + dx
                if 0 <= ny < h and 0 <= nx < w and left[ny, nx]:
                    y, x = ny, nx
                    left[y, x] = False
                    path.append((y, x))
                    break
            else:
                return path

    for y, x in zip(*np.nonzero(degree == 1)):  # open lines from their ends
        if left[y, x]:
            paths.append(trace(y, x))
    while left.any():  # closed loops
        y, x = (int(v[0]) for v in np.nonzero(left))
        paths.append(trace(y, x))
    return paths


def simplify(points, eps):
    if len(points) < 3:
        return points
    a, b = np.array(points[0], float), np.array(points[-1], float)
    ab = b - a
    norm = np.hypot(*ab)
    pts = np.array(points, float)
    d = np.abs(np.cross(ab, pts - a)) / norm if norm > 0 else np.hypot(*(pts - a).T)
    i = int(np.argmax(d))
    if d[i] <= eps:
        return [points[0], points[-1]]
    return simplify(points[:i + 1], eps)[:-1] + simplify(points[i:], eps)


SCALE = 2  # strokes on a 512 canvas, like examples/face.strokes.json


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    ink = load_ink(sys.argv[1])
    skel = thin(ink)
    half = depth(ink)
    strokes = []
    for path in sorted(walk(skel), key=len, reverse=True):
        # Each stroke as wide as its lines; filled shapes (pupils, brows) become wide strokes or dots.
        width = 2.0 * float(np.median([half[y, x] for y, x in path])) - 0.5
        if len(path) < 4 and width < 4:
            continue  # a speck left by thinning
        pts = simplify([(float(x) + 0.5, float(y) + 0.5) for y, x in path], 0.7)
        strokes.append({"kind": "line", "width": round(width * SCALE, 1), "color": "#000000",
                        "points": [[round(x * SCALE, 1), round(y * SCALE, 1), 1.0] for x, y in pts]})
    h, w = ink.shape
    # One stroke per line, so the file diffs well.
    sys.stdout.write(f'{{"format":"sumi.strokes","version":1,"canvas":[{w * SCALE},{h * SCALE}],"strokes":[\n')
    sys.stdout.write(",\n".join("  " + json.dumps(s, separators=(",", ":")) for s in strokes))
    sys.stdout.write("\n]}\n")
    print(f"trace: {len(strokes)} strokes", file=sys.stderr)


if __name__ == "__main__":
    main()
