"""Batched sketch degradations for training (torch, on the fly): thicker or
thinner lines, a small smooth elastic warp, missing pieces of strokes and a
blur-and-threshold simplification, so the part models learn to map rough and
incomplete input onto clean, complete parts. The C++ nodes sketch.roughen,
sketch.drop_strokes and sketch.detail_filter do the same for pipelines; these
torch versions run batched inside the training loop.

Sketches are float N x 1 x H x W, 1 = paper. Every function takes a Generator on
the sketches' device (random numbers are drawn there, so training runs on a GPU too).
"""
import torch
import torch.nn.functional as F


def _ink(x):
    return 1.0 - x


def thickness(x, g):
    """Per-sample dilation or erosion of the ink by one pixel (or none)."""
    ink = _ink(x)
    choice = torch.randint(0, 3, (x.shape[0], 1, 1, 1), generator=g, device=x.device)
    thick = F.max_pool2d(ink, 3, 1, 1)
    thin = -F.max_pool2d(-ink, 3, 1, 1)
    ink = torch.where(choice == 1, thick, torch.where(choice == 2, torch.maximum(thin, ink * 0.6), ink))
    return 1.0 - ink


def warp(x, g, amplitude_px=3.0):
    """A smooth random displacement field, up to `amplitude_px` pixels."""
    n, _, h, w = x.shape
    coarse = (torch.rand(n, 2, 5, 5, generator=g, device=x.device) * 2 - 1) * (2.0 * amplitude_px / max(h, w))
    flow = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True).permute(0, 2, 3, 1)
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, device=x.device), torch.linspace(-1, 1, w, device=x.device), indexing="ij")
    grid = torch.stack([xs, ys], dim=-1).unsqueeze(0) + flow
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)


def drop(x, g, max_fraction=0.5):
    """Erases random blobs of the drawing (pieces of strokes go missing)."""
    n, _, h, w = x.shape
    keep_level = torch.rand(n, 1, 1, 1, generator=g, device=x.device) * max_fraction
    noise = F.interpolate(torch.rand(n, 1, 8, 8, generator=g, device=x.device), size=(h, w), mode="bilinear", align_corners=False)
    mask = (noise > keep_level).float()
    return 1.0 - _ink(x) * mask


def simplify(x, g):
    """Blur then threshold: drops fine detail and thin strokes, like the detail filter."""
    blurred = F.avg_pool2d(x, 3, 1, 1)
    level = 0.55 + 0.3 * torch.rand(x.shape[0], 1, 1, 1, generator=g, device=x.device)
    return (blurred > level).float() * 1.0 + (blurred <= level).float() * 0.0


def degrade(x, g, p_clean=0.15):
    """A random mix of the degradations per sample; some samples stay clean."""
    n = x.shape[0]

    def pick(p):
        return (torch.rand(n, 1, 1, 1, generator=g, device=x.device) < p).float()

    out = x
    m = pick(0.5)
    out = m * thickness(out, g) + (1 - m) * out
    m = pick(0.6)
    out = m * warp(out, g) + (1 - m) * out
    m = pick(0.5)
    out = m * drop(out, g) + (1 - m) * out
    m = pick(0.2)
    out = m * simplify(out, g) + (1 - m) * out
    clean = pick(p_clean)
    return clean * x + (1 - clean) * out
