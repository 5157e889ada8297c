#!/usr/bin/python3
"""Writes examples/face.strokes.json: a face drawn stroke by stroke as a person
would (outline, hair, brows, eyes, nose, mouth, ears, neck), with the slight
wobble and pressure changes of a hand-held pen. Deterministic (seeded).

    /usr/bin/python3 examples/tools/make_face_strokes.py > examples/face.strokes.json
"""
import json
import math
import random

rng = random.Random(7)
strokes = []


def curve(points, width=3.0, wobble=1.2, step=5.0, kind="line", color="#000000"):
    """A Catmull-Rom curve through `points`, resampled every `step` px, with wobble and pressure."""
    pts = [points[0]] + points + [points[-1]]
    out = []
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        seg = math.dist(p1, p2)
        n = max(2, int(seg / step))
        for k in range(n):
            t = k / n
            t2, t3 = t * t, t * t * t
            x = 0.5 * ((2 * p1[0]) + (-p0[0] + p2[0]) * t + (2 * p0[0] - 5 * p1[0] + 4 * p2[0] - p3[0]) * t2
                       + (-p0[0] + 3 * p1[0] - 3 * p2[0] + p3[0]) * t3)
            y = 0.5 * ((2 * p1[1]) + (-p0[1] + p2[1]) * t + (2 * p0[1] - 5 * p1[1] + 4 * p2[1] - p3[1]) * t2
                       + (-p0[1] + 3 * p1[1] - 3 * p2[1] + p3[1]) * t3)
            out.append([x, y])
    out.append(list(points[-1]))
    n = len(out)
    res = []
    for i, (x, y) in enumerate(out):
        u = i / max(1, n - 1)
        pressure = 0.55 + 0.45 * math.sin(math.pi * u) + rng.uniform(-0.05, 0.05)  # light at both ends
        res.append([round(x + rng.gauss(0, wobble * 0.4), 1), round(y + rng.gauss(0, wobble * 0.4), 1),
                    round(min(1.0, max(0.2, pressure)), 2)])
    strokes.append({"kind": kind, "width": width, "color": color, "points": res})


def ellipse(cx, cy, rx, ry, a0=0.0, a1=2 * math.pi, n=24, **kw):
    pts = [(cx + rx * math.cos(a0 + (a1 - a0) * i / n), cy + ry * math.sin(a0 + (a1 - a0) * i / n)) for i in range(n + 1)]
    curve(pts, **kw)


# Face outline: two strokes meeting at the chin, the way most people draw it.
curve([(126, 180), (130, 260), (148, 340), (186, 415), (250, 468)], width=3.5)
curve([(374, 180), (370, 260), (352, 340), (314, 415), (250, 468)], width=3.5)
# Hair: crown, sides, then bangs.
curve([(112, 236), (106, 150), (150, 82), (250, 56), (350, 82), (394, 150), (388, 236)], width=3.5)
curve([(112, 236), (104, 300), (96, 360)], width=3)
curve([(388, 236), (396, 300), (404, 360)], width=3)
for x0, x1, y1 in [(150, 136, 176), (196, 170, 164), (244, 222, 160), (290, 284, 162), (338, 352, 172)]:
    curve([(x0 + 20, 84), ((x0 + x1) / 2 + 8, 124), (x1, y1)], width=2.5)
# Eyebrows.
curve([(138, 178), (170, 168), (208, 174)], width=4)
curve([(292, 174), (330, 168), (362, 178)], width=4)
# Eyes: upper lid, lower lid, iris, pupil, highlight, lashes — left then right.
for cx in (174, 326):
    curve([(cx - 36, 222), (cx - 14, 202), (cx + 14, 200), (cx + 38, 216)], width=4)
    curve([(cx - 30, 236), (cx, 246), (cx + 30, 238)], width=2)
    ellipse(cx, 224, 14, 19, n=20, width=2.5)
    ellipse(cx, 226, 6, 8, n=12, width=4)
    curve([(cx + 38, 216), (cx + 46, 206)], width=2)
    curve([(cx - 36, 222), (cx - 44, 214)], width=2)
# Nose: a small bridge shadow and the tip.
curve([(256, 262), (260, 296), (254, 318)], width=2)
curve([(242, 326), (252, 330), (262, 326)], width=2.5)
# Mouth: upper line, lower lip hint.
curve([(212, 380), (232, 388), (250, 390), (270, 388), (290, 380)], width=3)
curve([(236, 402), (250, 406), (266, 402)], width=2)
# Ears.
curve([(126, 226), (108, 232), (104, 262), (116, 288), (132, 292)], width=3)
curve([(374, 226), (392, 232), (396, 262), (384, 288), (368, 292)], width=3)
# Neck and collar.
curve([(208, 446), (206, 500)], width=3)
curve([(292, 446), (294, 500)], width=3)
curve([(150, 506), (206, 500)], width=3)
curve([(294, 500), (350, 506)], width=3)
# A stray line the artist erased.
curve([(400, 430), (440, 470)], width=3)
curve([(396, 426), (444, 474)], width=16, kind="erase", wobble=0)
# A colour hint on the hair (ignored by the rasteriser; read by colour nodes).
curve([(200, 90), (250, 80), (300, 90)], width=12, kind="hint", color="#6b3f2a", wobble=0.5)

print(json.dumps({"format": "sumi.strokes", "version": 1, "canvas": [512, 512], "strokes": strokes}, indent=None,
                 separators=(",", ":")).replace('{"kind"', '\n  {"kind"'))
