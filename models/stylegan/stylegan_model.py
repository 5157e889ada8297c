"""AniFaceDrawing's networks, StyleGAN2-style, sized for this machine's CPU.

Synthesis: a learnt 4 x 4 constant, then per resolution (8, 16, ... size) an
upsample + two modulated/demodulated 3x3 convolutions with per-pixel noise,
and a skip toRGB (modulated 1x1, no demodulation) added to the upsampled RGB of
the resolution below. Driven by a W+ code: N x num_ws x w_dim, one w per
convolution plus one for the last toRGB (num_ws = 2 log2(size) - 2; 12 at 128).
Layers 0-3 (4 x 4 - 8 x 8) shape the face, 4-7 (16 - 32) its parts, 8+ (64 +)
colour and texture - latent.mix_layers takes a layer range from a reference.

Mapping: z -> w, an MLP (for sampling new faces; trained to match the
distribution of the teacher's codes).

ImageEncoder (stage-1 teacher): colour image -> W+, trained with the synthesis
network as an autoencoder. SketchEncoder (stage 2): sketch -> W+, trained on
simulated progressive and incomplete drawings to land on the teacher's code of
the finished face.

For the engine, noise is frozen to constant buffers (`freeze_noise`), so a code
always gives the same image (content-hash caching needs determinism).
Resolution, widths and w_dim are settings.
"""
import json
import math
import pathlib
import sys
import time
from typing import Dict, List

import torch
import torch.nn.functional as F
from torch import nn

DEFAULT_CHANNELS = {4: 256, 8: 256, 16: 128, 32: 96, 64: 48, 128: 24, 256: 16}


def num_ws_for(size: int) -> int:
    return 2 * int(math.log2(size)) - 2


class EqualLinear(nn.Module):
    """Linear layer with StyleGAN's equalised learning rate."""

    def __init__(self, cin: int, cout: int, bias_init: float = 0.0, lr_mul: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin) / lr_mul)
        self.bias = nn.Parameter(torch.full((cout,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(cin)
        self.lr_mul = lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class ModulatedConv(nn.Module):
    def __init__(self, cin: int, cout: int, w_dim: int, kernel: int = 3, demodulate: bool = True, up: bool = False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, kernel, kernel))
        self.affine = EqualLinear(w_dim, cin, bias_init=1.0)
        self.scale = 1.0 / math.sqrt(cin * kernel * kernel)
        self.demodulate, self.up, self.pad, self.cout = demodulate, up, kernel // 2, cout

    def forward(self, x, w):
        n, cin = x.shape[0], x.shape[1]
        style = self.affine(w)  # N x cin
        weight = self.weight * self.scale
        if self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        # StyleGAN2's non-fused form: scale the input by the style, convolve with the shared weight, and
        # demodulate the output - the same as per-sample weights, with ordinary batched convolutions.
        out = F.conv2d(x * style.view(n, cin, 1, 1), weight, padding=self.pad)
        if self.demodulate:
            d = torch.rsqrt((weight.unsqueeze(0) * style.view(n, 1, cin, 1, 1)).pow(2).sum(dim=[2, 3, 4]) + 1e-8)
            out = out * d.view(n, self.cout, 1, 1)
        return out


class StyleLayer(nn.Module):
    def __init__(self, cin: int, cout: int, w_dim: int, res: int, up: bool = False):
        super().__init__()
        self.conv = ModulatedConv(cin, cout, w_dim, 3, True, up)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.register_buffer("const_noise", torch.randn(1, 1, res, res))
        self.random_noise = True

    def forward(self, x, w):
        x = self.conv(x, w)
        if self.random_noise and self.training:
            noise = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device)
        else:
            noise = self.const_noise
        x = x + noise * self.noise_strength
        return F.leaky_relu(x + self.bias.view(1, -1, 1, 1), 0.2) * math.sqrt(2.0)


class ToRGB(nn.Module):
    def __init__(self, cin: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv(cin, 3, w_dim, 1, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(3))

    def forward(self, x, w):
        return self.conv(x, w) + self.bias.view(1, 3, 1, 1)


class Synthesis(nn.Module):
    """W+ (N x num_ws x w_dim) -> RGB image (N x 3 x size x size), 0..1 in eval mode."""

    def __init__(self, size: int = 128, w_dim: int = 256, channels: Dict[int, int] = None):
        super().__init__()
        ch = dict(DEFAULT_CHANNELS, **(channels or {}))
        self.size, self.w_dim, self.num_ws = size, w_dim, num_ws_for(size)
        self.const = nn.Parameter(torch.randn(1, ch[4], 4, 4))
        self.first = StyleLayer(ch[4], ch[4], w_dim, 4)
        self.first_rgb = ToRGB(ch[4], w_dim)
        convs: List[nn.Module] = []
        rgbs: List[nn.Module] = []
        res = 8
        while res <= size:
            convs += [StyleLayer(ch[res // 2], ch[res], w_dim, res, up=True), StyleLayer(ch[res], ch[res], w_dim, res)]
            rgbs.append(ToRGB(ch[res], w_dim))
            res *= 2
        self.convs, self.rgbs = nn.ModuleList(convs), nn.ModuleList(rgbs)

    def forward(self, ws: torch.Tensor) -> torch.Tensor:
        x = self.first(self.const.expand(ws.shape[0], -1, -1, -1), ws[:, 0])
        rgb = self.first_rgb(x, ws[:, 1])
        i = 1
        for k, to_rgb in enumerate(self.rgbs):
            x = self.convs[2 * k](x, ws[:, i])
            x = self.convs[2 * k + 1](x, ws[:, i + 1])
            i += 2
            rgb = F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + to_rgb(x, ws[:, i])
        # Linear output around mid-grey while training, clamped to 0..1 otherwise: a sigmoid here saturated to
        # white paper early in training and its gradient vanished (the first teacher run stalled at L1 0.21).
        rgb = rgb + 0.5
        return rgb if self.training else rgb.clamp(0.0, 1.0)

    def freeze_noise(self):
        for m in self.modules():
            if isinstance(m, StyleLayer):
                m.random_noise = False


GUIDE_RESOLUTIONS = (32, 64, 128)


class GuidedSynthesis(Synthesis):
    """The synthesis network that also follows the drawn lines (issue 18): (W+, sketch) -> RGB. The sketch
    (N x 1 x size x size, 1 = paper; the canonical-frame drawing) is read at 32, 64 and 128 px by a small
    convolutional branch per resolution whose output is added to the features between that resolution's two
    style layers. The branches' last convolutions start at zero, so a GuidedSynthesis made from a trained
    Synthesis (`from_synthesis`) draws exactly what it drew until training teaches it to use the lines.
    The W+ code still carries everything else (colour, hair, style), so reference layer mixing works as before."""

    def __init__(self, size: int = 128, w_dim: int = 256, channels: Dict[int, int] = None, hidden: int = 16):
        super().__init__(size, w_dim, channels)
        ch = dict(DEFAULT_CHANNELS, **(channels or {}))
        self.guide_res = [r for r in GUIDE_RESOLUTIONS if r <= size]
        branches = []
        for r in self.guide_res:
            last = nn.Conv2d(hidden, ch[r], 3, padding=1)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
            branches.append(nn.Sequential(nn.Conv2d(1, hidden, 3, padding=1), nn.LeakyReLU(0.2),
                                          nn.Conv2d(hidden, hidden, 3, padding=1), nn.LeakyReLU(0.2), last))
        self.guides = nn.ModuleList(branches)

    @classmethod
    def from_synthesis(cls, syn: "Synthesis") -> "GuidedSynthesis":
        g = cls(syn.size, syn.w_dim)
        missing, unexpected = g.load_state_dict(syn.state_dict(), strict=False)
        assert not unexpected and all(k.startswith("guides.") for k in missing), (missing, unexpected)
        return g

    def forward(self, ws: torch.Tensor, sketch: torch.Tensor) -> torch.Tensor:
        ink = 1.0 - sketch
        x = self.first(self.const.expand(ws.shape[0], -1, -1, -1), ws[:, 0])
        rgb = self.first_rgb(x, ws[:, 1])
        i, res, b = 1, 8, 0
        for k, to_rgb in enumerate(self.rgbs):
            x = self.convs[2 * k](x, ws[:, i])
            if b < len(self.guide_res) and self.guide_res[b] == res:
                x = x + self.guides[b](F.interpolate(ink, size=(res, res), mode="area"))  # area at the same size: as is
                b += 1
            x = self.convs[2 * k + 1](x, ws[:, i + 1])
            i += 2
            rgb = F.interpolate(rgb, scale_factor=2.0, mode="bilinear", align_corners=False) + to_rgb(x, ws[:, i])
            res *= 2
        rgb = rgb + 0.5
        return rgb if self.training else rgb.clamp(0.0, 1.0)


class Mapping(nn.Module):
    """z (N x z_dim) -> w (N x w_dim): pixel-normalised input, an MLP with equalised learning rate."""

    def __init__(self, z_dim: int = 128, w_dim: int = 256, layers: int = 4):
        super().__init__()
        dims = [z_dim] + [w_dim] * layers
        self.layers = nn.ModuleList(EqualLinear(a, b, lr_mul=0.01) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, z):
        x = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i + 1 < len(self.layers):
                x = F.leaky_relu(x, 0.2) * math.sqrt(2.0)
        return x


class ConvEncoder(nn.Module):
    """An image (N x cin x S x S, 0..1) -> W+ (N x num_ws x w_dim): stride-2 residual conv stages to 4 x 4, then a
    linear layer per W+ group on the pooled features."""

    def __init__(self, cin: int, size: int = 128, w_dim: int = 256, widths=(32, 64, 96, 128, 192, 256)):
        super().__init__()
        self.size, self.num_ws, self.w_dim = size, num_ws_for(size), w_dim
        stages = int(math.log2(size // 4))
        ws = list(widths)[:stages]
        ws += [ws[-1]] * (stages - len(ws))
        layers: List[nn.Module] = [nn.Conv2d(cin, ws[0], 3, padding=1), nn.LeakyReLU(0.2)]
        c = ws[0]
        for w in ws:
            layers += [nn.Conv2d(c, w, 3, stride=2, padding=1), nn.GroupNorm(8, w), nn.LeakyReLU(0.2),
                       nn.Conv2d(w, w, 3, padding=1), nn.GroupNorm(8, w), nn.LeakyReLU(0.2)]
            c = w
        layers += [nn.Conv2d(c, 64, 1), nn.LeakyReLU(0.2)]  # narrow before the head: keeps the file small
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(64 * 16, self.num_ws * w_dim)

    def forward(self, x):
        return self.head(torch.flatten(self.body(x), 1)).view(-1, self.num_ws, self.w_dim)


class ImageEncoder(ConvEncoder):
    """The colour face -> W+. With colour_grid G > 0, a colour path besides the stages: the input's mean colour in
    each cell of a G x G grid, read before any normalisation, goes to the W+ code through its own linear layer.
    Every stage's GroupNorm removes an image's own mean and spread, and with them much of a flat colour such as
    pink hair (invert_colour.py: the synthesis renders pink from an optimised code; this encoder's code made it
    grey). The layer starts at zero, so an encoder given the path computes what it computed without it."""

    def __init__(self, size: int = 128, w_dim: int = 256, colour_grid: int = 0):
        super().__init__(3, size, w_dim)
        self.colour_grid = int(colour_grid)
        if self.colour_grid:
            self.colour = nn.Linear(3 * self.colour_grid ** 2, self.num_ws * w_dim)
            nn.init.zeros_(self.colour.weight)
            nn.init.zeros_(self.colour.bias)

    def forward(self, x):
        w = super().forward(x)
        if self.colour_grid:
            cells = F.adaptive_avg_pool2d(x, self.colour_grid).flatten(1)
            w = w + self.colour(cells).view(-1, self.num_ws, self.w_dim)
        return w

    def with_finer_colour_grid(self, grid: int) -> "ImageEncoder":
        """A copy whose colour path reads a finer grid (a multiple of this one's) and computes the same codes:
        each coarse cell's mean is the mean of the k x k fine cells inside it, so each fine cell gets its coarse
        cell's weight / k^2. Training then starts where this encoder is. Needs an input size the grid divides."""
        coarse = self.colour_grid
        if not coarse or grid % coarse or grid <= coarse or self.size % grid:
            raise ValueError(f"a {grid} x {grid} colour path cannot start from a {coarse} x {coarse} one "
                             f"(needs a larger multiple of it that divides the input size {self.size})")
        k = grid // coarse
        finer = ImageEncoder(self.size, self.w_dim, grid)
        state = {n: t for n, t in self.state_dict().items() if not n.startswith("colour.")}
        weight = self.colour.weight.detach().view(-1, 3, coarse, coarse)
        state["colour.weight"] = (weight.repeat_interleave(k, 2).repeat_interleave(k, 3) / (k * k)).flatten(1)
        state["colour.bias"] = self.colour.bias.detach().clone()
        finer.load_state_dict(state)
        return finer


def image_encoder_for(state: Dict[str, torch.Tensor], size: int, w_dim: int) -> ImageEncoder:
    """An ImageEncoder shaped like a state dict: with the colour path when the dict has one (its grid from the
    layer's width). Raises ValueError when the width is no grid's."""
    weight = state.get("colour.weight")
    if weight is None:
        return ImageEncoder(size, w_dim)
    grid = int(round(math.sqrt(weight.shape[1] / 3)))
    if 3 * grid * grid != weight.shape[1]:
        raise ValueError(f"colour.weight takes {weight.shape[1]} inputs, not 3 x G x G")
    return ImageEncoder(size, w_dim, grid)


class SketchEncoder(ConvEncoder):
    """Sketches use Sumi's convention (1 = paper); the network sees ink."""

    def __init__(self, size: int = 128, w_dim: int = 256):
        super().__init__(1, size, w_dim)

    def forward(self, sketch):
        return super().forward(1.0 - sketch)


def edge_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L1 between the Sobel gradients of two RGB batches' luminance. Outlines, eyes and mouths are a few percent of
    a face's pixels, so plain L1 learns them last (the first teachers drew heads without them); gradients weigh
    exactly those pixels and ignore flat colour."""
    k = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=fake.device) / 4.0
    kernel = torch.stack([k, k.t()]).unsqueeze(1)  # 2 x 1 x 3 x 3: d/dx, d/dy
    lum = torch.tensor([0.299, 0.587, 0.114], device=fake.device).view(1, 3, 1, 1)

    def grad(x):  # borders replicated: the frame of the picture is not an edge
        return F.conv2d(F.pad((x * lum).sum(1, keepdim=True), (1, 1, 1, 1), mode="replicate"), kernel)
    return (grad(fake) - grad(real)).abs().mean()


def load_exported(folder) -> Dict[str, nn.Module]:
    """The networks of an exported model folder (its manifest.json and TorchScript files) as trainable modules:
    {"synthesis", "image_encoder", "sketch_encoder", "mapping"} plus "manifest" (the dict); the synthesis is a
    GuidedSynthesis (forward(ws, sketch)) when the manifest has "guide". Lets training resume
    from shipped weights when the training checkpoints are gone (TorchScript keeps every parameter by name).
    Raises ValueError naming the file when the folder is not such an export."""
    folder = pathlib.Path(folder).expanduser()
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        size, w_dim = int(manifest["size"]), int(manifest["w_dim"])
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"{folder / 'manifest.json'}: not a readable StyleGAN manifest ({e!r})") from e
    synthesis = GuidedSynthesis(size, w_dim) if "guide" in manifest else Synthesis(size, w_dim)
    nets = {"synthesis": synthesis, "image_encoder": None,
            "sketch_encoder": SketchEncoder(size, w_dim), "mapping": Mapping(int(manifest.get("z_dim", 128)), w_dim)}
    for role, net in nets.items():
        path = folder / str(manifest.get(role, f"<no {role} in the manifest>"))
        try:
            state = torch.jit.load(str(path)).state_dict()
            if net is None:  # the image encoder, with or without its colour path
                net = nets[role] = image_encoder_for(state, size, w_dim)
            net.load_state_dict(state)
        except (OSError, RuntimeError, ValueError) as e:
            raise ValueError(f"{path}: cannot load the {role} into this architecture ({str(e).splitlines()[0]})") from e
    out: Dict = dict(nets)
    out["manifest"] = manifest
    return out


def start_from_export(folder, stage: str, size: int, w_dim: int):
    """For the training scripts' --init: the networks of an exported folder (load_exported) checked against the
    data's size and w_dim, and the manifest's record of how `stage` ("teacher" / "sketch_encoder") was trained.
    Exits with one error line when the folder cannot serve."""
    try:
        nets = load_exported(folder)
    except ValueError as e:
        sys.exit(f"train: error: --init: {e}")
    m = nets["manifest"]
    if int(m["size"]) != size or int(m["w_dim"]) != w_dim:
        sys.exit(f"train: error: --init: {folder} is {m['size']} px with w_dim {m['w_dim']}; "
                 f"this training is {size} px with w_dim {w_dim}")
    started_from = m.get("training", {}).get(stage)
    done = started_from.get("epochs_completed", "?") if started_from else "?"
    print(f"train: starting from {folder} (its {stage.replace('_', ' ')}: {done} epochs)", flush=True)
    return nets, started_from


def load_teacher(path) -> Dict:
    """A teacher for train_sketch.py / export.py: teacher.pt from train_teacher.py, or an exported model folder
    (models/stylegan), so a sketch encoder can be retrained on new drawings against the shipped teacher without
    its training checkpoint. An export comes back in the checkpoint's shape (encoder / synthesis / mapping state
    dicts, epoch, args.w_dim, val) plus "export": the folder, its manifest's teacher record and licence.
    Exits with one error line when the path serves as neither."""
    path = pathlib.Path(path).expanduser()
    if not path.is_dir():
        try:
            return torch.load(path)
        except (OSError, RuntimeError, EOFError) as e:
            sys.exit(f"train: error: --teacher {path}: not a readable teacher checkpoint ({str(e).splitlines()[0]})")
    try:
        nets = load_exported(path)
    except ValueError as e:
        sys.exit(f"train: error: --teacher: {e}")
    m = nets["manifest"]
    record = m.get("training", {}).get("teacher", {})
    return {"encoder": nets["image_encoder"].state_dict(), "synthesis": nets["synthesis"].state_dict(),
            "mapping": nets["mapping"].state_dict(), "size": int(m["size"]),
            "epoch": int(record.get("epochs_completed", 0)), "step": int(record.get("step_in_epoch", 0)),
            "wall_seconds": float(record.get("wall_minutes", 0)) * 60, "val": record.get("val", []),
            "args": {"w_dim": int(m["w_dim"])}, "started_from": record.get("started_from"),
            "export": {"folder": str(path), "record": record, "licence": m.get("licence", ""), "manifest": m}}


# ---- the training scripts' shared bookkeeping (train_teacher / train_sketch / train_guided) ----

def save_checkpoint(state: Dict, path: pathlib.Path) -> None:
    """torch.save to a temporary file, then rename: a stopped run never leaves half a checkpoint."""
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def smooth(run: Dict[str, float], values) -> None:
    """Running averages of the losses, for the progress line: (name, value) pairs into `run`."""
    for k, v in values:
        run[k] = 0.98 * run[k] + 0.02 * v if k in run else v


def print_progress(run: Dict[str, float], epoch: int, epochs: int, step: int, steps_per_epoch: int, first_step: int,
                   t_epoch: float, digits: int = 4) -> None:
    """The one-line progress report (rewritten in place): losses, steps/s and the ETA of the whole run."""
    rate = (step + 1 - first_step) / max(time.time() - t_epoch, 1e-9)
    left = (epochs - epoch) * steps_per_epoch - step - 1
    print(f"\rtrain: epoch {epoch + 1}/{epochs} step {step + 1}/{steps_per_epoch} "
          + " ".join(f"{k} {v:.{digits}f}" for k, v in run.items())
          + f" {rate:.2f} steps/s ETA {left / max(rate, 1e-9) / 60:.0f} min", end="", flush=True)


class StepBookkeeping:
    """How every step of the training scripts ends: the progress line (every 10 steps and an epoch's last), a
    checkpoint (`save(epoch, next_step)`) every `save_minutes`, and the stop at `max_steps` (0: none), after a
    checkpoint. start_epoch(first_step) at each epoch's start; `t_epoch` is when it started."""

    def __init__(self, epochs: int, steps_per_epoch: int, save, save_minutes: float, max_steps: int, digits: int = 4):
        self.epochs, self.steps_per_epoch, self.save = epochs, steps_per_epoch, save
        self.save_seconds, self.max_steps, self.digits = save_minutes * 60, max_steps, digits
        self.total = 0

    def start_epoch(self, first_step: int) -> None:
        self.t_epoch = self.t_save = time.time()
        self.first_step = first_step

    def step_done(self, run: Dict[str, float], epoch: int, step: int) -> bool:
        """After a step: True when the run must stop (--max-steps reached; the checkpoint is written)."""
        self.total += 1
        if step % 10 == 0 or step + 1 == self.steps_per_epoch:
            print_progress(run, epoch, self.epochs, step, self.steps_per_epoch, self.first_step, self.t_epoch,
                           self.digits)
        if time.time() - self.t_save > self.save_seconds:
            self.save(epoch, step + 1)
            self.t_save = time.time()
        if self.max_steps and self.total >= self.max_steps:
            self.save(epoch, step + 1)
            print("\ntrain: stopped at --max-steps", flush=True)
            return True
        return False

