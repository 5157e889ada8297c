"""Batched colour-hint simulation for training (torch), after Sketch2Anime:
random round-brush strokes, each painted in the target image's colour where it
starts and stopping where the target's colour changes (the C++ node
colour.simulate_hints does the same for pipelines and the evaluation).

Returns the generator's hint inputs at the hint resolution: RGB premultiplied
by the mask, and the mask (soft edges, as an area-downsampled user stroke).
"""
import math

import torch


def simulate(target: torch.Tensor, g: torch.Generator, max_strokes: int = 8, p_none: float = 0.3,
             steps: int = 10, tolerance: float = 0.12):
    """target: N x 3 x H x W in 0..1 (the hint resolution). -> (hint N x 3 x H x W, mask N x 1 x H x W)."""
    n, _, h, w = target.shape
    k = max_strokes
    count = torch.randint(1, k + 1, (n, 1), generator=g)
    count = torch.where(torch.rand(n, 1, generator=g) < p_none, torch.zeros_like(count), count)
    live = (torch.arange(k).unsqueeze(0) < count).float()  # N x K
    # Start on coloured (non-white) pixels: sample pixels weighted by "not paper".
    flat = target.flatten(2)  # N x 3 x HW
    weight = ((flat.min(1).values < 0.93).float() + 1e-3)
    start = torch.multinomial(weight, k, replacement=True, generator=g)  # N x K
    sx, sy = (start % w).float(), torch.div(start, w, rounding_mode="floor").float()
    colour = torch.gather(flat, 2, start.unsqueeze(1).expand(n, 3, k))  # N x 3 x K
    radius = 1.0 + 2.0 * torch.rand(n, k, 1, generator=g) * (h / 64.0)
    heading = torch.rand(n, k, 1, generator=g) * 2 * math.pi
    turn = torch.cumsum((torch.rand(n, k, steps, generator=g) - 0.5) * 0.8, 2)
    step_len = radius * (0.6 + 0.6 * torch.rand(n, k, 1, generator=g))
    ang = heading + turn
    first = torch.zeros(n, k, 1)
    px = sx.unsqueeze(2) + torch.cat([first, torch.cumsum(torch.cos(ang) * step_len, 2)[:, :, :-1]], 2)
    py = sy.unsqueeze(2) + torch.cat([first, torch.cumsum(torch.sin(ang) * step_len, 2)[:, :, :-1]], 2)
    # A point is painted while the target under it keeps the start colour (and it is on the canvas).
    ix, iy = px.round().long(), py.round().long()
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    idx = (iy.clamp(0, h - 1) * w + ix.clamp(0, w - 1)).view(n, 1, k * steps).expand(n, 3, k * steps)
    under = torch.gather(flat, 2, idx).view(n, 3, k, steps)
    same = ((under - colour.unsqueeze(3)).abs().amax(1) <= tolerance) & inside
    ok = torch.cumprod(same.float(), 2) * live.unsqueeze(2)  # N x K x P
    ys = torch.arange(h, dtype=torch.float32).view(1, 1, 1, h, 1)
    xs = torch.arange(w, dtype=torch.float32).view(1, 1, 1, 1, w)
    d = torch.sqrt((xs - px.view(n, k, steps, 1, 1)) ** 2 + (ys - py.view(n, k, steps, 1, 1)) ** 2)
    cover = (radius.view(n, k, 1, 1, 1) + 0.5 - d).clamp(0, 1) * ok.view(n, k, steps, 1, 1)
    stroke_mask = cover.amax(2)  # N x K x H x W
    total = stroke_mask.sum(1, keepdim=True)
    mask = total.clamp(max=1.0)
    rgb = torch.einsum("nkhw,nck->nchw", stroke_mask, colour) / total.clamp(min=1e-6)
    return rgb * mask, mask
