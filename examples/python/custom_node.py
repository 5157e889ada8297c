#!/usr/bin/python3
"""A custom node written in Python, used in the middle of a C++ graph.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/custom_node.py
"""
import pathlib

import numpy as np

import sumi

root = pathlib.Path(__file__).resolve().parents[2]


@sumi.node("py.ink_density", inputs={"sketch": "Image"}, outputs={"density": "Scalar", "mask": "Mask"},
           params={"level": sumi.Param(float, 0.5, min=0, max=1, doc="darker than this counts as ink")})
def ink_density(sketch, level):
    """Share of the canvas covered by ink, and the ink mask."""
    ink = (sketch[:, :1] < level).astype(np.float32)
    return {"density": float(ink.mean()), "mask": ink}


g = sumi.Graph.load(str(root / "graphs" / "sketch_parts.sumi.json"))
g.add_node("ink", "py.ink_density", level=0.6)
g.link("sketch.image", "ink.sketch")
g.set_output("density", "ink.density")
r = sumi.Session().run(g, outputs=["density", "ink.mask"])
print(f"ink covers {100 * r.outputs['density']:.2f}% of the example sketch;",
      "mask", r.outputs["ink.mask"].shape)
print(sumi.default_registry()["py.ink_density"].help())
