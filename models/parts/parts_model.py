"""The DeepFaceDrawing-style part autoencoder: a sketch crop -> a latent -> a sketch crop.

Encoder: five stride-2 3x3 conv blocks, each followed by a residual block, then
a fully connected layer to the latent (512 by default). Decoder: the mirror,
with nearest-neighbour upsampling. Images use Sumi's convention: float in 0..1,
1 = white paper, N x 1 x S x S; internally the networks work on ink (1 - x).
Resolution, widths and latent size are settings, so a bigger model trained
elsewhere can be exported with the same interface.
"""
from typing import Sequence

import torch
from torch import nn


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.LeakyReLU(0.2),
                                  nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x):
        return self.act(x + self.body(x))


class PartEncoder(nn.Module):
    def __init__(self, size: int = 64, latent: int = 512, widths: Sequence[int] = (16, 32, 48, 64, 96)):
        super().__init__()
        assert size % 32 == 0, "size must be a multiple of 32 (five stride-2 blocks)"
        layers, c = [], 1
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w), nn.LeakyReLU(0.2),
                       ResBlock(w)]
            c = w
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c * (size // 32) ** 2, latent)
        self.size = size

    def forward(self, sketch: torch.Tensor) -> torch.Tensor:
        ink = 1.0 - sketch
        return self.fc(torch.flatten(self.features(ink), 1))


class PartDecoder(nn.Module):
    def __init__(self, size: int = 64, latent: int = 512, widths: Sequence[int] = (16, 32, 48, 64, 96)):
        super().__init__()
        ws = list(widths)[::-1]
        self.side = size // 32
        self.c0 = ws[0]
        self.fc = nn.Linear(latent, ws[0] * self.side ** 2)
        layers, c = [], ws[0]
        for w in ws[1:] + [ws[-1]]:
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(c, w, 3, padding=1, bias=False),
                       nn.BatchNorm2d(w), nn.LeakyReLU(0.2), ResBlock(w)]
            c = w
        self.features = nn.Sequential(*layers)
        self.to_ink = nn.Conv2d(c, 1, 3, padding=1)

    def logits(self, z: torch.Tensor) -> torch.Tensor:
        x = self.fc(z).view(-1, self.c0, self.side, self.side)
        return self.to_ink(self.features(x))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return 1.0 - torch.sigmoid(self.logits(z))


class PartAutoencoder(nn.Module):
    def __init__(self, size: int = 64, latent: int = 512, widths: Sequence[int] = (16, 32, 48, 64, 96)):
        super().__init__()
        self.encoder = PartEncoder(size, latent, widths)
        self.decoder = PartDecoder(size, latent, widths)

    def forward(self, sketch):
        return self.decoder.logits(self.encoder(sketch))
