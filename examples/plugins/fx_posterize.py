"""An example Python plugin (docs/plugins.md): one node type, fx.posterize.

Load it with `sumi nodes --plugins examples/plugins`, `sumi serve --plugins ...`,
SUMI_PLUGIN_PATH=examples/plugins, or sumi.load_plugins("examples/plugins").
A plugin is a module of @sumi.node functions; the loader runs it once.
"""
import numpy as np

import sumi


@sumi.node("fx.posterize", inputs={"image": sumi.Input("Image", doc="image to posterize")},
           outputs={"image": sumi.Output("Image", doc="the image with `levels` values per channel")},
           params={"levels": sumi.Param(int, 4, min=2, max=256, doc="values per channel")})
def posterize(image, levels):
    """Quantises each channel to `levels` evenly spaced values."""
    steps = levels - 1
    return (np.floor(np.asarray(image, dtype=np.float32) * steps + 0.5) / steps).astype(np.float32)
