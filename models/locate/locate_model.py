"""The face locator: a small CNN that finds where a face sits in a sketch.

Input: 1 x 1 x R x R, a square sketch scaled to R (default 128), 1 = paper,
0 = ink (the engine's Image convention). Output: 1 x 23 floats:

  [0:5]   the face frame: head-centre x, y (as fractions of the side),
          log(scale), cos(rotation), sin(rotation) - the similarity that maps
          the canonical frame (models/data: the adventurer head box) onto the
          sketch;
  [5:15]  part centres x, y (fractions of the side) in POINTS order;
  [15:23] part box width, height in the canonical frame (fractions of the
          canonical side) for the four windowed parts.

Points come from heatmaps (a soft arg-max over an R/8 grid - or, with
heat_stride 4, an R/4 grid - of features that combine the fine stage(s) with
the coarse, whole-face stage, so "left eye" can be told from "right eye"); the
head centre is the "head" point. The finer grid halves the cells the soft
arg-max interpolates between, for about the same compute (the heatmap convs
run on the narrower second stage). Scale, rotation
and part sizes are regressed from the coarse stage. Traced to TorchScript by
export.py.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

POINTS = ["left_eye", "right_eye", "nose", "mouth", "head"]
SIZED_PARTS = ["left_eye", "right_eye", "nose", "mouth"]
OUTPUTS = 5 + 2 * len(POINTS) + 2 * len(SIZED_PARTS)


def block(cin, cout, refine):
    # A stride-2 conv (halves the side), then at the coarser stages a stride-1
    # conv (at the fine stages it would cost most of the compute).
    layers = [nn.Conv2d(cin, cout, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    if refine:
        layers += [nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class FaceLocator(nn.Module):
    def __init__(self, resolution=128, widths=(16, 24, 48, 64, 96), hidden=256, heat_stride=8):
        super().__init__()
        assert len(widths) == 5, "five stages: the heatmaps sit after the third, the regression after the fifth"
        assert heat_stride in (4, 8), "heatmaps on the R/8 grid (third stage) or the R/4 grid (second stage)"
        self.resolution = resolution
        self.heat_stride = heat_stride
        self.fine = nn.Sequential(block(1, widths[0], False), block(widths[0], widths[1], False),
                                  block(widths[1], widths[2], True))
        self.coarse = nn.Sequential(block(widths[2], widths[3], True), block(widths[3], widths[4], True))
        heat_width = widths[2] if heat_stride == 8 else widths[1]
        self.lateral = nn.Conv2d(widths[4], heat_width, 1)
        if heat_stride == 4:  # the third stage joins the second too, through its own 1x1
            self.lateral_mid = nn.Conv2d(widths[2], heat_width, 1)
        self.heat = nn.Sequential(nn.Conv2d(heat_width, heat_width, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(heat_width, len(POINTS), 1))
        side = resolution // 32
        self.regress = nn.Sequential(nn.Flatten(), nn.Linear(widths[4] * side * side, hidden), nn.ReLU(inplace=True),
                                     nn.Linear(hidden, 3 + 2 * len(SIZED_PARTS)))
        grid = (torch.arange(resolution // heat_stride, dtype=torch.float32) + 0.5) / (resolution // heat_stride)
        self.register_buffer("grid", grid)

    def forward(self, sketch):
        ink = 1.0 - sketch  # lines are the signal; paper is zero
        if self.heat_stride == 8:
            fine = self.fine(ink)
            coarse = self.coarse(fine)
            base = fine
        else:
            base = self.fine[1](self.fine[0](ink))                    # R/4
            fine = self.fine[2](base)                                 # R/8
            coarse = self.coarse(fine)
            base = base + F.interpolate(self.lateral_mid(fine), size=base.shape[-2:], mode="bilinear",
                                        align_corners=False)
        up = F.interpolate(self.lateral(coarse), size=base.shape[-2:], mode="bilinear", align_corners=False)
        heat = self.heat(base + up)                                   # N x P x G x G
        n, p, g, _ = heat.shape
        prob = torch.softmax(heat.reshape(n, p, g * g), dim=2).reshape(n, p, g, g)
        x = (prob.sum(dim=2) * self.grid).sum(dim=2)                  # N x P
        y = (prob.sum(dim=3) * self.grid).sum(dim=2)
        points = torch.stack([x, y], dim=2).reshape(n, 2 * p)         # x0, y0, x1, y1, ...
        r = self.regress(coarse)                                      # log scale, cos, sin, sizes
        head = points[:, 2 * (p - 1):]
        return torch.cat([head, r[:, :3], points, r[:, 3:]], dim=1)


def load_exported(path, model: "FaceLocator") -> "FaceLocator":
    """Fills `model` with the weights of an exported (frozen) TorchScript locator, so training can go on from a
    shipped file when its checkpoint is gone. Freezing folded each BatchNorm into the convolution before it, so
    those BatchNorms become `+ bias` (weight 1, mean 0, variance 1 - eps): in eval mode the model then computes
    what the file does. Keep them in eval mode while training (train.py does for such a start). Raises
    ValueError naming the file when its layers do not fit this architecture."""
    graph = torch.jit.load(str(path)).graph
    found = []
    for node in graph.nodes():
        if node.kind() in ("aten::_convolution", "aten::linear"):
            consts = [i.toIValue() if i.node().kind() == "prim::Constant" else None for i in list(node.inputs())[1:3]]
            found.append(consts)
    convs = []  # forward order, each with the BatchNorm after it (or None)
    stages = [m for stage in (model.fine, model.coarse) for m in stage]
    for blk in stages[:2]:
        convs.append((blk[0], blk[1]))
    for blk in stages[2:]:
        convs += [(blk[0], blk[1]), (blk[3], blk[4])] if len(blk) > 3 else [(blk[0], blk[1])]
    if model.heat_stride == 4:
        convs.append((model.lateral_mid, None))
    convs += [(model.lateral, None), (model.heat[0], None), (model.heat[2], None)]
    linears = [m for m in model.regress if isinstance(m, nn.Linear)]
    layers = convs + [(m, None) for m in linears]
    if len(found) != len(layers):
        raise ValueError(f"{path}: {len(found)} layers, this architecture has {len(layers)}")
    with torch.no_grad():
        for (layer, bn), (w, b) in zip(layers, found):
            if not isinstance(w, torch.Tensor) or w.shape != layer.weight.shape:
                raise ValueError(f"{path}: a layer of shape {None if w is None else tuple(w.shape)} where this "
                                 f"architecture has {tuple(layer.weight.shape)}")
            layer.weight.copy_(w)
            bias = b if isinstance(b, torch.Tensor) else torch.zeros(w.shape[0])
            if bn is None:
                layer.bias.copy_(bias)
            else:
                bn.weight.fill_(1.0)
                bn.bias.copy_(bias)
                bn.running_mean.zero_()
                bn.running_var.fill_(1.0 - bn.eps)
    return model


def keep_batchnorm_frozen(model: nn.Module) -> None:
    """BatchNorms in eval mode (their statistics kept) while the rest trains: for a model from load_exported."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
