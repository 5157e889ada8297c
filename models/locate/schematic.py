"""Schematic drawings of a generated face: what a person sketches freehand - an
oval head, eyes as dots, rings or arcs, a nose tick, a mouth curve, maybe
brows, hair, ears and a neck - placed on the face's true part boxes and frame
(its face.json), so the face locator can learn minimal drawings it never sees
in the DiceBear line art. Returned as strokes (Sumi's strokes format, in the
order a person draws them: head first), rasterised by Sumi's own
sketch.rasterise - the same lines the editor makes.

    strokes = schematic_strokes(face, np.random.default_rng(seed))
    image = rasterise(session, rasterise_graph(size), strokes)   # 1 x 1 x S x S, 1 = paper
    image, keep = schematic_copy(session, face, rng, partial_share=0.25)   # a training copy

Shapes are drawn in the canonical frame (boxes_canonical, 256 px) and mapped
by the face's frame, so they rotate and scale with it; each stroke wobbles a
little (low-frequency noise) the way a hand does.
"""
import functools
import math

import numpy as np

import sumi


def _ellipse(cx, cy, rx, ry, a0=0.0, a1=2 * math.pi, n=32):
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _wobble(points, rng, amount):
    """Low-frequency hand wobble: two random sinusoids along the stroke, `amount` canonical px."""
    n = len(points)
    s = np.linspace(0, 1, n)[:, None]
    noise = sum(amount * rng.uniform(0.3, 1.0) * np.sin(2 * math.pi * (rng.uniform(0.5, 2.5) * s + rng.uniform(0, 1)))
                * rng.normal(size=(1, 2)) for _ in range(2))
    return points + noise


def _box(b):
    x0, y0, x1, y1 = b
    return (x0 + x1) / 2, (y0 + y1) / 2, max(2.0, x1 - x0), max(2.0, y1 - y0)


def _eye(rng, kind, cx, cy, w, h):
    if kind == "dot":
        r = rng.uniform(1.2, 2.5)
        return [(_ellipse(cx, cy, r, r, n=10), 2.2)]
    if kind == "ring":
        return [(_ellipse(cx, cy, w / 2 * rng.uniform(0.45, 0.8), h / 2 * rng.uniform(0.35, 0.7)), 1.0)]
    if kind == "ring+pupil":
        r = rng.uniform(1.0, 2.0)
        return [(_ellipse(cx, cy, w / 2 * rng.uniform(0.5, 0.85), h / 2 * rng.uniform(0.4, 0.75)), 1.0),
                (_ellipse(cx, cy, r, r, n=10), 2.0)]
    if kind == "arc":  # closed or happy eyes
        up = rng.random() < 0.5
        rx, ry = w / 2 * rng.uniform(0.5, 0.85), h / 2 * rng.uniform(0.25, 0.5)
        a0, a1 = (math.pi, 2 * math.pi) if up else (0.0, math.pi)
        return [(_ellipse(cx, cy + (ry / 2 if up else -ry / 2), rx, ry, a0, a1, n=14), 1.0)]
    half = w / 2 * rng.uniform(0.4, 0.8)  # a dash
    return [(np.array([[cx - half, cy], [cx + half, cy + rng.uniform(-1, 1)]]), 1.0)]


def schematic_strokes(face, rng, width=None):
    """The face drawn schematically: a sumi.strokes document (canvas = the face's size), strokes in drawing order.
    Each stroke carries "part" (head, left_eye, right_eye, nose, mouth, brow, hair, ear, neck) for tests."""
    bc = face["boxes_canonical"]
    (a, b, c), (d, e, f) = face["frame"]["matrix"]
    size = int(face["size"])
    base = width if width is not None else rng.uniform(1.2, 3.5) * size / 256
    strokes = []

    def add(part, pts, weight=1.0, wobble=0.8):
        pts = _wobble(np.asarray(pts, np.float64), rng, wobble) if wobble else np.asarray(pts, np.float64)
        xy = np.stack([a * pts[:, 0] + b * pts[:, 1] + c, d * pts[:, 0] + e * pts[:, 1] + f], 1)
        strokes.append({"kind": "line", "width": float(base * weight), "color": "#000000",
                        "part": part, "points": [[float(x), float(y), 0.8] for x, y in xy]})

    hx, hy, hw, hh = _box(bc["head"])
    rx, ry = hw / 2 * rng.uniform(0.94, 1.04), hh / 2 * rng.uniform(0.94, 1.04)
    start = rng.uniform(0, 2 * math.pi)
    head = _ellipse(hx, hy, rx, ry, start, start + 2 * math.pi + rng.uniform(-0.25, 0.2), n=48)
    if rng.random() < 0.5:  # egg-shaped: narrower towards the chin
        below = head[:, 1] > hy
        head[below, 0] = hx + (head[below, 0] - hx) * (1 - rng.uniform(0.05, 0.2) * (head[below, 1] - hy) / ry)
    add("head", head, wobble=1.5)
    kind = rng.choice(["dot", "ring", "ring+pupil", "arc", "dash"], p=[0.3, 0.25, 0.25, 0.12, 0.08])
    for side in ("left_eye", "right_eye"):
        for pts, weight in _eye(rng, kind, *_box(bc[side])):
            add(side, pts, weight, wobble=0.3)
    if rng.random() < 0.65:
        nx, ny, nw, nh = _box(bc["nose"])
        k = rng.choice(["tick", "hook", "dots"])
        s = rng.uniform(0.5, 1.0)
        if k == "tick":
            add("nose", [[nx + 1, ny - nh * 0.3 * s], [nx - 2.5 * s, ny + nh * 0.2 * s], [nx + 2 * s, ny + nh * 0.25 * s]], wobble=0.2)
        elif k == "hook":
            add("nose", _ellipse(nx, ny + nh * 0.1, 3 * s + 1, 2 * s + 1, 0.2, math.pi - 0.2, n=10), wobble=0.2)
        else:
            for dx in (-2.5, 2.5):
                add("nose", _ellipse(nx + dx * s, ny + nh * 0.2, 0.8, 0.8, n=6), 1.6, wobble=0)
    mx, my, mw, mh = _box(bc["mouth"])
    k = rng.choice(["smile", "line", "open", "frown"], p=[0.45, 0.2, 0.25, 0.1])
    mrx = mw / 2 * rng.uniform(0.45, 0.95)
    if k == "smile":
        mry = mh / 2 * rng.uniform(0.3, 0.9)
        add("mouth", _ellipse(mx, my - mry / 2, mrx, mry, 0.15, math.pi - 0.15, n=16), wobble=0.4)
    elif k == "frown":
        mry = mh / 2 * rng.uniform(0.2, 0.6)
        add("mouth", _ellipse(mx, my + mry / 2, mrx, mry, math.pi + 0.2, 2 * math.pi - 0.2, n=16), wobble=0.4)
    elif k == "open":
        add("mouth", _ellipse(mx, my, mrx * 0.8, mh / 2 * rng.uniform(0.4, 0.9), n=20), wobble=0.4)
    else:
        add("mouth", [[mx - mrx, my], [mx, my + rng.uniform(-1, 1)], [mx + mrx, my]], wobble=0.4)
    if rng.random() < 0.5:
        lift = rng.uniform(3, 9)
        for side in ("left_eye", "right_eye"):
            ex, ey, ew, eh = _box(bc[side])
            add("brow", _ellipse(ex, ey - eh / 2 - lift + 3, ew / 2 * rng.uniform(0.8, 1.3), 3, math.pi + 0.3,
                                 2 * math.pi - 0.3, n=10), wobble=0.3)
    if rng.random() < 0.5:  # a hair line over the top of the head, ear to ear
        hr, hv = rx * rng.uniform(1.0, 1.12), ry * rng.uniform(1.0, 1.15)
        add("hair", _ellipse(hx, hy + rng.uniform(-4, 8), hr, hv, math.pi + rng.uniform(0, 0.4),
                             2 * math.pi - rng.uniform(0, 0.4), n=30), wobble=2.0)
    if rng.random() < 0.35:
        ey = hy + rng.uniform(-6, 10)
        for sgn in (-1, 1):
            add("ear", _ellipse(hx + sgn * rx * 0.98, ey, 7, 11, -math.pi / 2 if sgn > 0 else math.pi / 2,
                                math.pi / 2 if sgn > 0 else 1.5 * math.pi, n=10), wobble=0.4)
    if rng.random() < 0.3:
        for sgn in (-1, 1):
            x = hx + sgn * rx * rng.uniform(0.3, 0.45)
            add("neck", [[x, hy + ry * 0.9], [x + sgn * 1.5, hy + ry * 1.4]], wobble=0.3)
    return {"format": "sumi.strokes", "version": 1, "canvas": [size, size], "strokes": strokes}


@functools.lru_cache(maxsize=None)
def rasterise_graph(size):
    """strokes -> the rasterised drawing at `size` px (the editor's own rasteriser); feed "draw". One per size
    (fed, never changed)."""
    g = sumi.Graph(name="schematic")
    g.add_node("draw", "io.strokes_input")
    g.add_node("sketch", "sketch.rasterise", size=int(size))
    g.link("draw.strokes", "sketch.strokes")
    g.set_output("image", "sketch.image")
    return g


def rasterise(session, graph, strokes, keep=None):
    """The drawing of `strokes` (only the first `keep` strokes when given): 1 x 1 x S x S floats, 1 = paper."""
    doc = dict(strokes, strokes=[{k: v for k, v in s.items() if k != "part"}
                                 for s in strokes["strokes"][: keep if keep is not None else None]])
    return np.asarray(session.run(graph, inputs={"draw": doc}).outputs["image"])


def schematic_copy(session, face, rng, partial_share):
    """One training copy (prepare.py, prepare_refine.py): the face drawn schematically, and with probability
    `partial_share` only its first strokes (a drawing in progress). Returns (the drawing at the face's size,
    the share of its strokes drawn)."""
    strokes = schematic_strokes(face, rng)
    n = len(strokes["strokes"])
    k = int(rng.integers(1, n)) if rng.random() < partial_share and n > 1 else n
    return rasterise(session, rasterise_graph(int(face["size"])), strokes, k), k / n
