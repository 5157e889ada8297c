#!/usr/bin/python3
"""The deepfacedrawing portrait as a plain PyTorch + NumPy + OpenCV script.

What a user who read the docs and each node's C++ source would write to get
graphs/deepfacedrawing.sumi.json's "portrait" output without Sumi: the same
model files (models/parts, models/synth, models/locate manifests), each node's
preprocessing ported from nodes/*/*.cpp:

    strokes -> sketch.rasterise -> face.locate -> face.warp (to canonical)
    -> face.split -> per part: latent.encode -> latent.project -> synth.feature_map
    -> synth.paste_features -> synth.image (guided: also sees the canonical sketch)
    -> face.warp (back to the drawing)

It is the baseline of bench/script_vs_sumi.py and is checked equal to Sumi's
output by tests/python/test_script_baseline.py. Two variants:

    script = Script()                       # loads the models once
    portrait = script.run(strokes)          # naive: everything recomputed per call
    memo = Script(memoise=True)
    portrait = memo.run(strokes)            # each part's feature map cached by its crop bytes

`strokes` is a sumi.strokes document (dict) or a path; `sketch=` takes a
1-channel H x W float32 sketch (1 = paper) instead. Returns 1 x 3 x H x W float32.

    /usr/bin/python3 bench/script_baseline.py examples/cartoon_face.strokes.json out.png
"""
import json
import math
import pathlib

import cv2
import numpy as np
import torch
import torch.nn.functional as F

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
SPLIT_ORDER = ("left_eye", "right_eye", "nose", "mouth")          # face.split's kFaceParts
PASTE_ORDER = ("remainder", "nose", "mouth", "left_eye", "right_eye")  # synth.paste_features' kPasteOrder
F32 = np.float32


def c_round(v):
    """std::round / std::lround: halves away from zero (Python's round() goes to even)."""
    return math.floor(abs(v) + 0.5) * (1 if v >= 0 else -1)


# ---- sketch.rasterise (nodes/sketch/rasterise.cpp) -----------------------------------------

def _stroke_coverage(cov, x, y, r):
    """Anti-aliased coverage of a stroke's capsules (point i -> i + 1, radius interpolated) at pixel
    centres, max-ed into cov; all arithmetic in float32 as the C++ does. Vectorised over the stroke's
    segments: each segment is computed on its own box (padded to the largest box of the stroke), then
    max-ed into cov. Returns the box that may have been written (x0, y0, x1, y1), or None."""
    if len(x) == 1:  # a dot: a capsule of length 0
        x, y, r = np.repeat(x, 2), np.repeat(y, 2), np.repeat(r, 2)
    ax, ay, ra, bx, by, rb = x[:-1], y[:-1], r[:-1], x[1:], y[1:], r[1:]
    pad = np.maximum(ra, rb) + F32(1)
    x0 = np.maximum(0, np.floor(np.minimum(ax, bx) - pad).astype(np.int64))
    y0 = np.maximum(0, np.floor(np.minimum(ay, by) - pad).astype(np.int64))
    x1 = np.minimum(cov.shape[1] - 1, np.ceil(np.maximum(ax, bx) + pad).astype(np.int64))
    y1 = np.minimum(cov.shape[0] - 1, np.ceil(np.maximum(ay, by) + pad).astype(np.int64))
    on = (x1 >= x0) & (y1 >= y0)  # segments off the raster write nothing
    if not on.any():
        return None
    ax, ay, ra, bx, by, rb, x0, y0, x1, y1 = (v[on] for v in (ax, ay, ra, bx, by, rb, x0, y0, x1, y1))
    bw, bh = int((x1 - x0).max()) + 1, int((y1 - y0).max()) + 1
    e = lambda v: v[:, None, None]  # noqa: E731  per segment, broadcast over its box
    px = (x0[:, None] + np.arange(bw)).astype(F32)[:, None, :] + F32(0.5)
    py = (y0[:, None] + np.arange(bh)).astype(F32)[:, :, None] + F32(0.5)
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    safe = np.where(len2 > 0, len2, F32(1))
    t = ((px - e(ax)) * e(dx) + (py - e(ay)) * e(dy)) / e(safe)
    t = np.where(e(len2) > 0, np.clip(t, F32(0), F32(1)), F32(0))
    cx, cy = e(ax) + t * e(dx) - px, e(ay) + t * e(dy) - py
    dist = np.sqrt(cx * cx + cy * cy)
    c = np.clip(e(ra) + t * e(rb - ra) + F32(0.5) - dist, F32(0), F32(1))
    for i in range(len(x0)):
        box = cov[y0[i]:y1[i] + 1, x0[i]:x1[i] + 1]
        np.maximum(box, c[i, :box.shape[0], :box.shape[1]], out=box)
    return int(x0.min()), int(y0.min()), int(x1.max()), int(y1.max())


def rasterise(doc, size=256):
    """Strokes -> 1-channel sketch (1 = paper), longest side `size` (the graph's sketch node: size 256,
    width_scale 1, antialias on). Hint strokes are not drawn; erase strokes multiply the ink by 1 - coverage."""
    W, H = doc["canvas"]
    k = size / max(W, H)
    w, h = max(1, c_round(W * k)), max(1, c_round(H * k))
    ink = np.zeros((h, w), F32)
    cov = np.zeros((h, w), F32)
    sx, sy = F32(w) / F32(W), F32(h) / F32(H)
    for s in doc["strokes"]:
        kind = s.get("kind", "line")
        if kind == "hint":
            continue
        colour = s.get("color", "#000000")
        alpha = F32(int(colour[7:9], 16) if len(colour) == 9 else 255) / F32(255)
        base = F32(0.5) * F32(s.get("width", 3.0)) * F32(1.0) * np.sqrt(sx * sy)
        if not s["points"]:
            continue
        p = np.array([q if len(q) == 3 else (q[0], q[1], 1.0) for q in s["points"]], F32)
        box = _stroke_coverage(cov, p[:, 0] * sx, p[:, 1] * sy, base * p[:, 2])
        if box is None:
            continue
        # Only the stroke's own box is combined and cleared.
        x0, y0, x1, y1 = box
        c, i = cov[y0:y1 + 1, x0:x1 + 1], ink[y0:y1 + 1, x0:x1 + 1]
        if kind == "line":
            np.maximum(i, c * alpha, out=i)
        else:  # erase
            i *= F32(1) - c
        c[...] = 0
    return F32(1) - ink


def load_sketch(path):
    """io.load_image with channels "gray" (nodes/io/load_image.cpp): 0..1 float32, gray as OpenCV weighs it."""
    raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    scale = 1 / 65535 if raw.dtype == np.uint16 else 1 / 255 if raw.dtype == np.uint8 else 1.0
    f = raw.astype(F32) * F32(scale)  # convertTo multiplies in float: bit-identical
    if f.ndim == 3:
        f = cv2.cvtColor(f, cv2.COLOR_BGRA2GRAY if f.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    return f


def with_stroke(doc, frame, points, width=3.0):
    """`doc` plus one line through `points` given in canonical px (frame: Script.locate of doc's sketch)."""
    W, H = doc["canvas"]
    k = max(W, H) / 256  # strokes px per sketch px (the graph rasterises at 256)
    pts = [[float(v) * k for v in (frame @ np.array([x, y, 1.0]))[:2]] for x, y in points]
    return dict(doc, strokes=doc["strokes"] + [{"kind": "line", "width": width, "points": pts}])


# ---- face.warp (nodes/face/warp.cpp) ---------------------------------------------------------

def _m33(a, b, c, d, e, f):
    return np.array([[a, b, c], [d, e, f], [0, 0, 1]], np.float64)


def _scaling(sx, sy):
    return _m33(sx, 0, 0, 0, sy, 0)


def warp(src, src_from_dst, size, fill):
    """dst(p) = src(src_from_dst p) in continuous coordinates (pixel i covers [i, i + 1)); H x W [x C] float32."""
    shrink = math.sqrt(abs(src_from_dst[0, 0] * src_from_dst[1, 1] - src_from_dst[0, 1] * src_from_dst[1, 0]))
    if shrink > 1.5:  # warpAffine samples, so area-scale first when shrinking a lot
        small = (max(1, c_round(src.shape[1] / shrink)), max(1, c_round(src.shape[0] / shrink)))
        scaled = cv2.resize(src, small, interpolation=cv2.INTER_AREA)
        src_from_dst = _scaling(small[0] / src.shape[1], small[1] / src.shape[0]) @ src_from_dst
        src = scaled
    # OpenCV maps pixel indices: shift by half a pixel on both sides.
    m = _m33(1, 0, -0.5, 0, 1, -0.5) @ src_from_dst @ _m33(1, 0, 0.5, 0, 1, 0.5)
    return cv2.warpAffine(src, m[:2], size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(fill,) * 4)


def to_canonical(sketch, frame, canonical):
    # The frame was located on this very sketch and the output is canonical-sized: the warp.cpp
    # scalings around the frame are identities here.
    return warp(sketch, frame, (canonical, canonical), 1.0)


def to_image(img, frame, canonical, width, height):
    """A canonical-frame image (any resolution) back into the drawing's frame, at the input's resolution."""
    res = img.shape[1] / canonical
    w = max(1, c_round(width * res))
    h = max(1, c_round(w * height / width))
    m = _scaling(res, img.shape[0] / canonical) @ np.linalg.inv(frame) @ _scaling(width / w, height / h)
    return warp(img, m, (w, h), 1.0)


# ---- the models ------------------------------------------------------------------------------

def _load(path):
    m = torch.jit.load(str(path), map_location="cpu")
    m.eval()
    return m


class Script:
    def __init__(self, memoise=False, models=MODELS):
        self.memoise = memoise
        self.memo = {}  # (part, crop bytes) -> window-sized feature map
        loc = json.loads((models / "locate" / "manifest.json").read_text())
        self.loc_side = loc["locator"]["input_size"]
        self.canonical = loc["canonical"]["size"]
        hb = loc["canonical"]["head_box"]
        self.head = ((hb[0] + hb[2]) / 2, (hb[1] + hb[3]) / 2)
        self.locator = _load(models / "locate" / loc["locator"]["file"])
        self.refiner = loc.get("refiner")  # face.locate's third look (refine = true by default)
        if self.refiner:
            self.refiner = dict(self.refiner, model=_load(models / "locate" / self.refiner["file"]))
        # face.locate's default passes: the looks its refiner was trained after (2 without one)
        self.passes = int(self.refiner.get("passes", 2)) if self.refiner else 2
        parts = json.loads((models / "parts" / "manifest.json").read_text())
        synth = json.loads((models / "synth" / "manifest.json").read_text())
        self.size, self.channels, self.hint_size = synth["size"], synth["channels"], synth["hint_size"]
        assert "guide" in synth, "this script follows the guided generator (manifest 'guide')"
        scale = self.size / synth.get("canvas", 256)
        self.part = {}
        for name, p in parts["parts"].items():
            sp = synth["parts"][name]
            self.part[name] = dict(
                # face.split windows: the parts manifest's (face.split reads them from it; reference = its canvas 256)
                window=p["window"], input_size=p["input_size"],
                encoder=_load(models / "parts" / p["encoder"]),
                bank=np.load(models / "parts" / p["bank"]).astype(F32),
                decoder=_load(models / "synth" / sp["feature_decoder"]),
                # the part's sketch decoder (latent.decode): the feature map's line channel when the feature
                # decoder leaves it out (synth.feature_map's `line` input)
                sketch_decoder=_load(models / "parts" / p["decoder"]),
                # the feature canvas window: synth manifest window scaled to the generator's size, floor(v s + 0.5)
                map_window=[math.floor(v * scale + 0.5) for v in sp["window"]])
            b = self.part[name]["bank"]
            self.part[name]["norms2"] = (b * b).sum(1)
        self.generator = _load(models / "synth" / synth["generator"])

    # ---- face.locate (nodes/face/locate.cpp) with its defaults: snap 2, canonical_snap 6, passes as the manifest's
    # refiner was trained (self.passes), min_ink 0.002
    def _locator(self, x):
        with torch.no_grad():
            return [float(v) for v in self.locator(torch.from_numpy(x)[None, None])[0]]

    def _frame_of(self, o):
        hx, hy = self.head[0] / self.canonical, self.head[1] / self.canonical
        s = math.exp(o[2])
        r = math.atan2(o[4], o[3])
        c, sn = math.cos(r) * s, math.sin(r) * s
        return _m33(c, -sn, o[0] - (c * hx - sn * hy), sn, c, o[1] - (sn * hx + c * hy))

    def locate(self, sketch):
        """The frame: 3 x 3, canonical px -> sketch px. (The part boxes are not needed: the graph's
        face.split has no frame linked, so its windows are fixed.)"""
        h, w = sketch.shape
        side, square = self.loc_side, max(w, h)
        left, top = (square - w) // 2, (square - h) // 2
        padded = cv2.copyMakeBorder(sketch, top, square - h - top, left, square - w - left, cv2.BORDER_CONSTANT, value=1.0)
        x = cv2.resize(padded, (side, side), interpolation=cv2.INTER_AREA)
        k = square / self.canonical
        if 1.0 - x.mean(dtype=np.float64) < 0.002:  # empty drawing: canonical frame, centred
            return _m33(k, 0, -left, 0, k, -top)
        o = self._locator(x)

        def usable(o):
            return all(math.isfinite(v) for v in o) and abs(o[2]) < 5 and math.hypot(o[3], o[4]) > 1e-6
        if not usable(o):
            raise RuntimeError("the locator gave no usable frame")
        hx, hy = self.head[0] / self.canonical, self.head[1] / self.canonical
        if self.passes > 1:
            # Second look: warp the input into the first answer's frame, locate again, compose.
            m = self._frame_of(o)
            to_frac = _m33(1 / side, 0, 0.5 / side, 0, 1 / side, 0.5 / side)
            to_px = _m33(side, 0, -0.5, 0, side, -0.5)
            srcm = to_px @ m @ to_frac
            canon = cv2.warpAffine(x, srcm[:2], (side, side), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=(1.0,) * 4)
            second = self._locator(canon)
            fm = m @ self._frame_of(second)
            head = fm @ np.array([hx, hy, 1.0])
            scale = math.sqrt(abs(fm[0, 0] * fm[1, 1] - fm[0, 1] * fm[1, 0]))
            rr = math.atan2(fm[1, 0], fm[0, 0])
            # (only the frame is used below: the part points stay in the second look's fractions)
            o2 = [head[0], head[1], math.log(scale), math.cos(rr), math.sin(rr)] + second[5:]
            if usable(o2):
                o = o2
        # Sketch px from fractions of the padded square; snapped to steps of ~2 px at the head outline.
        cx, cy = o[0] * square - left, o[1] * square - top
        if self.refiner and self.refiner.get("head"):
            # Third look: the sketch warped into this frame (face.warp's pixels), the inner face cut out at full
            # resolution; the refined head centre moves the frame's centre if it moves less than max_shift.
            s_, r_ = math.exp(o[2]) * k, math.atan2(o[4], o[3])
            c_, sn_ = math.cos(r_) * s_, math.sin(r_) * s_
            m = _m33(c_, -sn_, cx - (c_ * self.head[0] - sn_ * self.head[1]), sn_, c_, cy - (sn_ * self.head[0] + c_ * self.head[1]))
            x0, y0, side = (c_round(v) for v in self.refiner["crop"])
            crop = to_canonical(sketch, m, self.canonical)[y0:y0 + side, x0:x0 + side]
            with torch.no_grad():
                v = [float(t) for t in self.refiner["model"](torch.from_numpy(np.ascontiguousarray(crop))[None, None])[0]]
            hx_c, hy_c = x0 + v[8] * side, y0 + v[9] * side  # refined head centre, canonical px
            inv = np.linalg.inv(m)
            q = inv @ np.array([cx, cy, 1.0])  # the locator's head centre, canonical px
            if math.isfinite(hx_c) and math.isfinite(hy_c) and math.hypot(hx_c - q[0], hy_c - q[1]) <= self.refiner.get("max_shift", 16):
                cx, cy = (m @ np.array([hx_c, hy_c, 1.0]))[:2]
        log_scale, r = o[2], math.atan2(o[4], o[3])
        snap, radius = 2.0, 85.0
        ccx, ccy = hx * square - left, hy * square - top
        off = max(math.hypot(cx - ccx, cy - ccy) * 256.0 / square, abs(log_scale) * radius, abs(r) * radius)
        if off <= 6.0:  # canonical_snap: near the canonical frame = the canonical frame
            cx, cy, log_scale, r = ccx, ccy, 0.0, 0.0
        else:
            step, angle = snap * square / 256.0, snap / radius
            cx, cy = c_round(cx / step) * step, c_round(cy / step) * step
            log_scale, r = c_round(log_scale / angle) * angle, c_round(r / angle) * angle
        s = math.exp(log_scale) * k
        c, sn = math.cos(r) * s, math.sin(r) * s
        return _m33(c, -sn, cx - (c * self.head[0] - sn * self.head[1]), sn, c, cy - (sn * self.head[0] + c * self.head[1]))

    # ---- one part: face.split crop -> latent.encode -> latent.project -> synth.feature_map
    def _crop(self, img, name):
        x, y, s = self.part[name]["window"]
        out = np.ones((s, s), F32)  # white paper where the window leaves the image
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + s, img.shape[1]), min(y + s, img.shape[0])
        if x1 > x0 and y1 > y0:
            out[y0 - y:y1 - y, x0 - x:x1 - x] = img[y0:y1, x0:x1]
        return out

    def _part_features(self, name, crop):
        p = self.part[name]
        with torch.no_grad():
            x = torch.from_numpy(crop)[None, None]
            s = p["input_size"]
            if x.shape[2] != s or x.shape[3] != s:  # area when shrinking, bilinear when enlarging
                x = F.adaptive_avg_pool2d(x, (s, s)) if x.shape[2] > s else F.interpolate(
                    x, size=(s, s), mode="bilinear", align_corners=False)
            f = p["encoder"](x)[0].numpy()
            # K = 10 nearest bank latents (ties: lower row), exact search; |r - f|^2 as the C++ computes it
            bank = p["bank"]
            d = p["norms2"] - F32(2) * (bank @ f) + (f @ f)
            ids = np.argsort(d, kind="stable")[:10]
            # locally-linear weights: ridge 1e-3 x trace on the Gram matrix, sum 1
            diff = bank[ids] - f
            gram = (diff @ diff.T).astype(np.float64)
            tr = np.trace(gram)
            gram[np.diag_indices(len(ids))] += 1e-3 * (tr if tr > 0 else 1.0)
            w = np.linalg.solve(gram, np.ones(len(ids)))
            w = (w / w.sum()).astype(F32) if math.isfinite(w.sum()) and abs(w.sum()) >= 1e-12 else \
                np.full(len(ids), 1 / len(ids), F32)
            projected = np.zeros_like(f)
            for wi, i in zip(w, ids):
                projected += wi * bank[i]
            latent = torch.from_numpy(projected)[None]  # blend 1: the projection itself
            m = p["decoder"](latent)
            if m.shape[1] == self.channels - 1:  # + the ink of the part's sketch, area-scaled to the map
                m = torch.cat([m, F.adaptive_avg_pool2d(1.0 - p["sketch_decoder"](latent), m.shape[-2:])], 1)
            ws = p["map_window"][2]
            return F.interpolate(m, size=(ws, ws), mode="bilinear", align_corners=False)

    def part_features(self, name, crop):
        if not self.memoise:
            return self._part_features(name, crop)
        key = (name, crop.tobytes())
        if key not in self.memo:
            self.memo[key] = self._part_features(name, crop)
        return self.memo[key]

    def run(self, strokes=None, sketch=None):
        if sketch is None:
            if not isinstance(strokes, dict):
                strokes = json.loads(pathlib.Path(strokes).read_text())
            sketch = rasterise(strokes, 256)
        h, w = sketch.shape
        frame = self.locate(sketch)
        canon = to_canonical(sketch, frame, self.canonical)
        # face.split: four windows (reference 256 = the canonical size: k = 1), remainder = the rest blanked
        crops, rest = {}, canon.copy()
        for name in SPLIT_ORDER:
            crops[name] = self._crop(canon, name)
            x, y, s = self.part[name]["window"]
            rest[max(y, 0):max(0, y + s), max(x, 0):max(0, x + s)] = 1.0
        crops["remainder"] = rest
        maps = {name: self.part_features(name, crops[name]) for name in PASTE_ORDER}
        with torch.no_grad():
            canvas = torch.zeros(1, self.channels, self.size, self.size)
            for name in PASTE_ORDER:  # later parts overwrite earlier ones where windows overlap
                x, y, s = self.part[name]["map_window"]
                x0, y0, x1, y1 = max(0, x), max(0, y), min(self.size, x + s), min(self.size, y + s)
                if x1 > x0 and y1 > y0:
                    canvas[:, :, y0:y1, x0:x1] = maps[name][:, :, y0 - y:y1 - y, x0 - x:x1 - x]
            hs = self.hint_size
            guide = torch.from_numpy(canon)[None, None].clamp(0, 1)
            if guide.shape[2] != self.size:  # area-scaled to the generator's size (or bilinear up)
                guide = F.adaptive_avg_pool2d(guide, (self.size,) * 2) if guide.shape[2] >= self.size else \
                    F.interpolate(guide, size=(self.size,) * 2, mode="bilinear", align_corners=False)
            img = self.generator(canvas, torch.zeros(1, 3, hs, hs), torch.zeros(1, 1, hs, hs), guide)
        placed = to_image(np.ascontiguousarray(img[0].permute(1, 2, 0).numpy()), frame, self.canonical, w, h)
        return placed.transpose(2, 0, 1)[None]


if __name__ == "__main__":
    import sys
    out = Script().run(sys.argv[1])
    if len(sys.argv) > 2:
        bgr = cv2.cvtColor((out[0].transpose(1, 2, 0) * 255 + 0.5).clip(0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
        cv2.imwrite(sys.argv[2], bgr)
    print("portrait", out.shape, float(out.min()), float(out.max()))
