"""DeepFaceDrawing's feature mapping + image synthesis, with Sketch2Anime's colour hints.

FeatureDecoder: a part latent (512) -> a `channels`-channel feature map of the
part (32 x 32 for eyes, nose and mouth; half the output size for the remainder),
plus one more channel: the ink of the part's sketch as the shipped part decoder
(frozen) draws it from the same latent - a line map the generator can follow
from the first step, where learnt channels take many epochs to become sharp.
synth.feature_map pastes the maps, resized bilinearly to each part's window on
the output canvas, into one canvas: remainder first, then nose, mouth, left
eye, right eye (later ones win where windows overlap) - `paste` below is the
same operation, used in training.

Generator (pix2pix-style): features (N x C x S x S) -> stride-2 conv -> the
colour hints joined here (RGB premultiplied by the mask, plus the mask, at
S/2 x S/2, as Sketch2Anime joins its 128 x 128 hints at a 256 canvas) ->
stride-2 conv -> residual blocks at S/4 -> two upsampling convs, the last one
also seeing the input features (a U-Net skip keeps lines sharp) -> RGB in 0..1.
No hint = zeros. Resolution, widths and block count are settings.
A guided generator (guide=True, issue 18) also takes the canonical-frame sketch
itself (N x 1 x S x S, 1 = paper): its ink joins the features at the input and
at the full-resolution skip, so the portrait can follow drawn lines the part
models have never seen, while the feature maps carry the projected parts.

PatchDiscriminator: 70x70-style patch critic on (image, sketch), training only.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

PARTS = ["left_eye", "right_eye", "nose", "mouth", "remainder"]
PASTE_ORDER = ["remainder", "nose", "mouth", "left_eye", "right_eye"]


def act():
    return nn.LeakyReLU(0.2)


def norm(c: int):
    return nn.GroupNorm(min(8, c), c)


class FeatureDecoder(nn.Module):
    def __init__(self, size: int = 32, latent: int = 512, channels: int = 32, widths: Sequence[int] = (96, 64, 48, 32),
                 line_decoder: Optional[nn.Module] = None):
        super().__init__()
        self.line_decoder = line_decoder  # frozen: latent -> part sketch (1 = paper)
        if line_decoder is not None:
            for q in line_decoder.parameters():
                q.requires_grad_(False)
        steps = int(math.log2(size // 4))
        assert 4 * 2 ** steps == size, "size must be 4 times a power of two"
        ws = list(widths)
        ws = ws + [ws[-1]] * max(0, steps + 1 - len(ws))
        self.c0 = ws[0]
        self.fc = nn.Linear(latent, ws[0] * 16)
        layers: List[nn.Module] = []
        c = ws[0]
        for i in range(steps):
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c, ws[i + 1], 3, padding=1), act()]
            c = ws[i + 1]
        layers += [nn.Conv2d(c, channels, 3, padding=1)]
        self.body = nn.Sequential(*layers)

    def learnt(self, z: torch.Tensor) -> torch.Tensor:
        """The learnt channels alone: what export.py ships (synth.feature_map appends the line channel from the
        part's sketch that the graph decodes anyway, so the part decoder runs once per part, not twice)."""
        return learnt_channels(self.fc, self.body, self.c0, z)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        f = self.learnt(z)
        if self.line_decoder is None:
            return f
        with torch.no_grad():
            sketch = self.line_decoder(z)
        return torch.cat([f, line_channel(sketch, f.shape[-1])], 1)


def learnt_channels(fc: nn.Module, body: nn.Module, c0: int, z: torch.Tensor) -> torch.Tensor:
    return body(F.leaky_relu(fc(z), 0.2).view(-1, c0, 4, 4))


def line_channel(sketch: torch.Tensor, size: int) -> torch.Tensor:
    """A part's sketch (1 = paper) -> its ink at size x size, the feature map's last channel (synth.feature_map
    computes the same from its `line` input)."""
    return F.interpolate(1.0 - sketch, size=(size, size), mode="area")


class LearntChannels(nn.Module):
    """A feature decoder's learnt channels as a module of its own (export)."""

    def __init__(self, decoder: FeatureDecoder):
        super().__init__()
        self.fc, self.body, self.c0 = decoder.fc, decoder.body, decoder.c0

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return learnt_channels(self.fc, self.body, self.c0, z)


def scaled_window(window: Sequence[int], canvas: int, size: int) -> Tuple[int, int, int]:
    """A part window [x, y, side] on the part models' canvas -> integer pixels on the output canvas
    (round half up; synth.feature_map does the same)."""
    s = size / canvas
    return tuple(int(math.floor(v * s + 0.5)) for v in window)  # type: ignore[return-value]


def paste(maps: Dict[str, torch.Tensor], windows: Dict[str, Tuple[int, int, int]], size: int) -> torch.Tensor:
    """Pastes per-part feature maps at their windows into one size x size canvas (clipped at the edges)."""
    some = maps["remainder"]
    canvas = torch.zeros(some.shape[0], some.shape[1], size, size, dtype=some.dtype, device=some.device)
    for name in PASTE_ORDER:
        x, y, side = windows[name]
        m = F.interpolate(maps[name], size=(side, side), mode="bilinear", align_corners=False)
        x0, y0, x1, y1 = max(0, x), max(0, y), min(size, x + side), min(size, y + side)
        if x1 <= x0 or y1 <= y0:
            continue
        canvas[:, :, y0:y1, x0:x1] = m[:, :, y0 - y:y1 - y, x0 - x:x1 - x]
    return canvas


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), norm(c), act(), nn.Conv2d(c, c, 3, padding=1), norm(c))

    def forward(self, x):
        return F.leaky_relu(x + self.body(x), 0.2)


class Generator(nn.Module):
    def __init__(self, channels: int = 32, widths: Sequence[int] = (48, 96, 48, 16), blocks: int = 3,
                 guide: bool = False):
        super().__init__()
        w1, w2, w3, w4 = widths
        self.guided = guide
        channels += 1 if guide else 0  # the guide's ink is one more input channel, last
        self.down1 = nn.Sequential(nn.Conv2d(channels, w1, 3, stride=2, padding=1), norm(w1), act())
        self.down2 = nn.Sequential(nn.Conv2d(w1 + 4, w2, 3, stride=2, padding=1), norm(w2), act())
        self.blocks = nn.Sequential(*[ResBlock(w2) for _ in range(blocks)])
        self.up1 = nn.Sequential(nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(w2, w3, 3, padding=1),
                                 norm(w3), act())
        self.up2 = nn.Sequential(nn.Conv2d(w3 + channels, w4, 3, padding=1), norm(w4), act())
        self.to_rgb = nn.Conv2d(w4, 3, 3, padding=1)

    def forward(self, features: torch.Tensor, hint: torch.Tensor, mask: torch.Tensor,
                guide: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.guided:
            assert guide is not None, "a guided generator needs the guide sketch"
            features = torch.cat([features, 1.0 - guide], 1)
        x = self.down1(features)
        x = self.down2(torch.cat([x, hint, mask], 1))
        x = self.up1(self.blocks(x))
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.up2(torch.cat([x, features], 1))
        return torch.sigmoid(self.to_rgb(x))


class PatchDiscriminator(nn.Module):
    """A patch critic; conditioned on the sketch when given one (cin 4 = RGB + sketch), else cin 3."""

    def __init__(self, widths: Sequence[int] = (32, 64, 128), cin: int = 4):
        super().__init__()
        layers: List[nn.Module] = []
        c = cin
        for i, w in enumerate(widths):
            layers += [nn.Conv2d(c, w, 4, stride=2, padding=1)] + ([norm(w)] if i else []) + [act()]
            c = w
        layers += [nn.Conv2d(c, 1, 3, padding=1)]
        self.body = nn.Sequential(*layers)

    def forward(self, image, sketch: Optional[torch.Tensor] = None):
        return self.body(image if sketch is None else torch.cat([image, sketch], 1))


def load_line_decoders(parts_manifest_path) -> Dict[str, nn.Module]:
    """The shipped part decoders (TorchScript), for the feature maps' line channel."""
    import json
    import pathlib
    path = pathlib.Path(parts_manifest_path)
    m = json.loads(path.read_text())
    return {p: torch.jit.load(str(path.parent / m["parts"][p]["decoder"])).eval() for p in PARTS}


def upgrade_state(old: Dict[str, torch.Tensor], model: nn.Module) -> Dict[str, torch.Tensor]:
    """A checkpoint from before the line channel -> this model: weights that now take one more input channel get
    zeros for it (the network starts exactly where it was and learns to use the new channel); the frozen line
    decoders come from the model itself."""
    new = model.state_dict()
    out = {}
    for k, v in new.items():
        w = old.get(k)
        if w is None:
            out[k] = v
        elif w.shape == v.shape:
            out[k] = w
        elif w.dim() == 4 and w.shape[0] == v.shape[0] and w.shape[1] + 1 == v.shape[1]:
            pad = torch.zeros(v.shape[0], 1, *v.shape[2:])
            # The generator's skip joins [upsampled, features]: the new feature channel is the last one either way.
            out[k] = torch.cat([w, pad], 1)
        else:
            raise ValueError(f"cannot upgrade {k}: {tuple(w.shape)} -> {tuple(v.shape)}")
    return out


class Synthesis(nn.Module):
    """The trainable whole: five feature decoders and the generator."""

    def __init__(self, windows: Dict[str, Tuple[int, int, int]], size: int = 128, latent: int = 512, channels: int = 32,
                 part_map: int = 32, line_decoders: Optional[Dict[str, nn.Module]] = None,
                 generator_widths: Sequence[int] = (48, 96, 48, 16), generator_blocks: int = 3,
                 guide: bool = False):
        super().__init__()
        self.size, self.windows = size, windows
        lines = line_decoders or {}
        self.decoders = nn.ModuleDict({p: FeatureDecoder(size // 2 if p == "remainder" else part_map, latent, channels,
                                                         line_decoder=lines.get(p)) for p in PARTS})
        self.channels = channels + (1 if lines else 0)  # what the generator sees
        self.generator = Generator(self.channels, generator_widths, generator_blocks, guide)

    def features(self, latents: Dict[str, torch.Tensor]) -> torch.Tensor:
        return paste({p: self.decoders[p](latents[p]) for p in PARTS}, self.windows, self.size)

    def forward(self, latents, hint, mask, guide: Optional[torch.Tensor] = None):
        return self.generator(self.features(latents), hint, mask, guide)
