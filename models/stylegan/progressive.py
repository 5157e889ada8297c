"""Simulated progressive and incomplete drawings for AniFaceDrawing's stage 2
(torch, batched): the finished sketch is revealed part by part in a random
order - left eye, right eye, nose, mouth, the rest - and the part being drawn
is only partly there; on top, the usual roughening (thickness, warp, missing
pieces). So the sketch encoder learns to predict the finished face's code from
any moment of the drawing. Sketches: float N x 1 x H x W, 1 = paper.
"""
import pathlib
import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "parts"))
from degrade import degrade, drop  # noqa: E402

PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]


def window_masks(windows, canvas, size):
    """1 inside each of the four part windows (scaled from `canvas` to `size`); the remainder is everything else."""
    masks = torch.zeros(5, 1, size, size)
    s = size / canvas
    for i, (x, y, side) in enumerate(windows[:4]):
        x0, y0, x1, y1 = (int(round(v * s)) for v in (x, y, x + side, y + side))
        masks[i, :, max(0, y0):y1, max(0, x0):x1] = 1.0
    masks[4] = (masks[:4].sum(0) == 0).float()
    return masks


def progressive(sketch, masks, g, p_finished=0.3):
    """A random moment of drawing each sketch: parts in a random order, the current one partly drawn."""
    n = sketch.shape[0]
    order = torch.argsort(torch.rand(n, 5, generator=g), dim=1)  # drawing order of the five parts
    stage = torch.randint(1, 6, (n,), generator=g)  # parts started so far (the last of them in progress)
    finished = torch.rand(n, generator=g) < p_finished
    stage = torch.where(finished, torch.full_like(stage, 5), stage)
    rank = torch.argsort(order, dim=1)  # rank[i, part] = when the part is drawn
    ink = 1.0 - sketch
    partial = 1.0 - drop(sketch, g, max_fraction=0.9)  # ink of a partly drawn version
    visible = torch.zeros_like(sketch)
    for p in range(5):
        done = (rank[:, p] < stage - 1) | finished
        current = (rank[:, p] == stage - 1) & ~finished
        part_ink = ink * done.view(n, 1, 1, 1).float() + partial * current.view(n, 1, 1, 1).float()
        visible = torch.maximum(visible, part_ink * masks[p])
    return degrade(1.0 - visible, g, p_clean=0.3)
