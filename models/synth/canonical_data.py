"""Training batches from the canonical-frame arrays of prepare_canonical.py.

Everything the model sees here came out of Sumi's nodes (face.warp, face.split,
latent.encode, latent.project): the latents are read, not recomputed, so the
only preprocessing left in torch is what the engine's synth.image does itself
(the guide sketch area-scaled to the generator's size) plus training-only
noise (a random projection blend, degraded guides, simulated colour hints).
"""
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "parts"))
from degrade import degrade  # noqa: E402
from hints import simulate  # noqa: E402

SPLIT_CODES = {"train": 0, "val": 1, "test": 2, "heldout": 3}


class CanonicalData:
    def __init__(self, path, parts=None):
        if str(path).endswith(".xz"):  # a synth_portable.py pack: latents recomputed with its part models
            from synth_portable import load_packed
            d = load_packed(path, parts)
        else:
            d = np.load(pathlib.Path(path).expanduser())
        self.parts = [str(p) for p in d["parts"]]
        self.sketches = torch.from_numpy(d["sketches"])  # uint8 N x 256 x 256
        self.colours = torch.from_numpy(d["colours"])  # uint8 N x S x S x 3
        self.latents = torch.from_numpy(d["latents"])  # fp16 N x 5 x L
        self.projected = torch.from_numpy(d["projected"])
        self.split = d["split"]
        self.style = d["style"]
        self.styles = [str(s) for s in d["styles"]]
        self.size = int(d["size"])
        self.data_version = str(d["data_version"])
        self.count = len(self.split)

    def indices(self, split):
        return np.flatnonzero(self.split == SPLIT_CODES[split])

    def batch(self, idx, g, hint_size, blend=None, p_degrade=0.3, p_none=0.3):
        """-> latents {part: N x L} (blend * projected + (1 - blend) * encoded, as latent.project computes),
        hint, mask, target colour, the sketch at the colour size (for the critic) and the guide (= that sketch,
        degraded on a share of the samples)."""
        idx = torch.as_tensor(idx)
        n = len(idx)
        t = torch.rand(n, 1, generator=g) if blend is None else torch.full((n, 1), float(blend))
        raw, proj = self.latents[idx].float(), self.projected[idx].float()
        mixed = t[:, :, None] * proj + (1 - t[:, :, None]) * raw
        latents = {p: mixed[:, k] for k, p in enumerate(self.parts)}
        target = self.colours[idx].permute(0, 3, 1, 2).float() / 255.0
        clean = self.sketches[idx].unsqueeze(1).float() / 255.0
        if p_degrade > 0:
            pick = (torch.rand(n, 1, 1, 1, generator=g) < p_degrade).float()
            rough = pick * degrade(clean, g) + (1 - pick) * clean
        else:
            rough = clean
        side = target.shape[-1]
        # synth.image scales the guide with adaptive average pooling ('area'), as here.
        guide = F.adaptive_avg_pool2d(rough, (side, side))
        sketch = F.adaptive_avg_pool2d(clean, (side, side))
        small = F.interpolate(target, size=(hint_size, hint_size), mode="area")
        hint, mask = simulate(small, g, p_none=p_none)
        return latents, hint, mask, target, sketch, guide
