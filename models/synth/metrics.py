"""Image measures shared by the portrait evaluations (models/synth/evaluate.py, models/synth/framing.py):
SSIM of the luminance, symmetric chamfer distance between line images, line art by sketch.xdog, and the
graph that simulates colour hints from a true image."""
import pathlib
import sys

import torch
import torch.nn.functional as F

import sumi

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "parts"))
from evaluate import ink_distance  # noqa: E402  (models/parts/evaluate.py)


def gaussian_window(size=11, sigma=1.5):
    x = torch.arange(size, dtype=torch.float32) - size // 2
    w = torch.exp(-x ** 2 / (2 * sigma ** 2))
    w = w / w.sum()
    return (w[:, None] * w[None, :]).view(1, 1, size, size)


WINDOW = gaussian_window()


def luminance(img):
    return (0.299 * img[:, 0:1] + 0.587 * img[:, 1:2] + 0.114 * img[:, 2:3])


def ssim(a, b):
    """SSIM of the luminance of two N x 3 x H x W images in 0..1 (Wang et al. 2004 constants)."""
    x, y = luminance(a), luminance(b)
    mu_x, mu_y = F.conv2d(x, WINDOW), F.conv2d(y, WINDOW)
    sxx = F.conv2d(x * x, WINDOW) - mu_x ** 2
    syy = F.conv2d(y * y, WINDOW) - mu_y ** 2
    sxy = F.conv2d(x * y, WINDOW) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return s.mean().item()


def chamfer(ink_a, ink_b):
    """Symmetric chamfer distance (px, capped at 8) between two 1 x 1 x H x W binary line images."""
    if ink_a.sum() == 0 or ink_b.sum() == 0:
        return 8.0
    da, db = ink_distance(ink_a), ink_distance(ink_b)
    return 0.5 * (db[ink_a > 0].mean().item() + da[ink_b > 0].mean().item())


XDOG = sumi.Graph(name="line_art")
XDOG.add_node("image", "io.load_image")
XDOG.add_node("xdog", "sketch.xdog")
XDOG.link("image.image", "xdog.image")
XDOG.set_output("lines", "xdog.image")


def line_art(session, img):
    """Binary line art (1 = line) of a 1 x 3 x H x W image, by sketch.xdog."""
    lines = session.run(XDOG, inputs={"image": img.numpy()}).outputs["lines"]
    return (torch.from_numpy(lines[:, :1].copy()) < 0.5).float()


def input_ink(sketch, size):
    """The ink (1 = line) of a 1 x 1 x S x S sketch in 0..1, area-scaled to size (H, W)."""
    sketch = sketch[:, :1] if torch.is_tensor(sketch) else torch.from_numpy(sketch[:, :1].copy())
    return (F.interpolate(sketch, size=size, mode="area") < 0.5).float()


def hints_graph(count, seed):
    g = sumi.Graph(name="hints")
    g.add_node("truth", "io.load_image")
    g.add_node("sim", "colour.simulate_hints", count=count, seed=seed, radius=3, length=20)
    g.link("truth.image", "sim.image")
    g.set_output("hints", "sim.hints")
    g.set_output("mask", "sim.mask")
    return g
