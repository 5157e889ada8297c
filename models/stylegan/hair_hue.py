"""Faces' hair colours, by hue (issue 18: the image encoder turns the hues it saw least grey; see
invert_colour.py). A canonical pack's `ids` index the generated data set whose manifest.jsonl records each
face's `hair_color`."""
import colorsys
import json
import pathlib

import numpy as np

SATURATED = 0.45  # saturation and value above this: a coloured hair, binned by hue; below: one "neutral" bin
HUES = 12  # hue bins; bin HUES is the neutral one


def rgb(hex_colour):
    """'#rrggbb' -> (r, g, b) in 0..1."""
    return tuple(int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


def luminance(hex_colour):
    r, g, b = rgb(hex_colour)
    return 0.299 * r + 0.587 * g + 0.114 * b


DARK_SKIN = 0.45  # manifest skin colour luminance below which a skin counts as dark (a quarter of the faces)


def hsv(hex_colour):
    return colorsys.rgb_to_hsv(*rgb(hex_colour))


HAIR_TOLERANCE = 0.12  # a pixel of the true image within this of the hair colour (every channel) is hair


def hair_mask(target, hair):
    """N x 1 x H x W: the pixels of `target` (N x 3 x H x W, 0..1) within HAIR_TOLERANCE of `hair` (N or 1 x 3 x 1
    x 1) in every channel - the face's hair, where its colour shows."""
    return (target - hair).abs().amax(1, keepdim=True) < HAIR_TOLERANCE


def hair_colours(data_folder, key="hair_color"):
    """{face index: '#rrggbb' or None} from a generated data set's manifest.jsonl (key "skin_color": the skin's)."""
    out = {}
    for line in (pathlib.Path(data_folder).expanduser() / "manifest.jsonl").read_text().splitlines():
        if line.strip():
            face = json.loads(line)
            out[int(face["index"])] = face.get(key)
    return out


def hue_bins(colours):
    """Per face: its hair's hue bin (0..HUES-1), or HUES for grey, dark, pale or no hair."""
    bins = HUES
    out = np.full(len(colours), bins, np.int64)
    for i, c in enumerate(colours):
        if c:
            h, s, v = hsv(c)
            if s > SATURATED and v > SATURATED:
                out[i] = min(int(h * bins), bins - 1)
    return out


def balanced_weights(bins, cap=4.0):
    """Sampling probabilities giving every hue bin the same share of the coloured faces' draws, each face at
    most `cap` times as likely as under uniform sampling (so a rare bin's few faces are not drawn over and over).
    The neutral bin HUES (grey, dark, pale or no hair: half the faces) keeps its uniform share: the commonest
    hair must not be learnt less well."""
    bins = np.asarray(bins)
    neutral = bins == HUES
    counts = np.bincount(bins)
    w = 1.0 / counts[bins]
    w[neutral] = 0.0
    coloured_share = 1.0 - neutral.mean()  # of the draws, as under uniform sampling
    # the scale t with sum over coloured faces of min(t w, cap) = their count (1 = uniform): the faces under
    # the cap share what the capped ones leave, so none ends above it
    n = int((~neutral).sum())
    if n:
        lo, hi = 0.0, cap / w[~neutral].min()
        for _ in range(100):
            t = (lo + hi) / 2
            lo, hi = (t, hi) if np.minimum(t * w[~neutral], cap).sum() < n else (lo, t)
        w[~neutral] = np.minimum(hi * w[~neutral], cap)
        w[~neutral] *= coloured_share / w[~neutral].sum()
    w[neutral] = (1.0 - coloured_share) / max(1, int(neutral.sum()))
    return w / w.sum()
