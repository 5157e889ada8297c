#!/usr/bin/python3
"""Swap one part's model for another TorchScript file.

Writes a new mouth decoder in Python - the shipped decoder wrapped so that it
draws bolder lines - saves it as TorchScript, and points the shadow-guidance
graph's mouth decoder at it (the `decoder` parameter of the graph's `mouth`
instance of graphs/part_chain.sumi.json). Only the mouth decoder and what
follows it re-run; the other four parts come from the session's cache. Then shows the
clear error a model with the wrong shapes gets.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/swap_part_model.py [OUT_DIR]
"""
import json
import pathlib
import sys

import numpy as np
import torch

import sumi

root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "out/swap").resolve()
out.mkdir(parents=True, exist_ok=True)
manifest_path = root / "models" / "parts" / "manifest.json"
manifest = json.loads(manifest_path.read_text())
mouth = manifest["parts"]["mouth"]


class BoldDecoder(torch.nn.Module):
    """The shipped decoder, then every line thickened by one pixel (a 3x3 max over the ink)."""

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        ink = 1.0 - self.decoder(z)
        return 1.0 - torch.nn.functional.max_pool2d(ink, 3, 1, 1)


shipped = torch.jit.load(str(manifest_path.parent / mouth["decoder"]))
bold_path = out / "mouth_decoder_bold.pt"
torch.jit.script(BoldDecoder(shipped)).save(str(bold_path))
print("wrote", bold_path)

graph = sumi.Graph.load(str(root / "graphs" / "shadow_guidance.sumi.json"))
session = sumi.Session()
strokes = root / "examples" / "cartoon_face.strokes.json"
before = session.run(graph, outputs=["guidance"], inputs={"draw": strokes})

graph.set_param("mouth", "decoder", str(bold_path))  # the mouth instance's parameter: its inner node mouth/decode
after = session.run(graph, outputs=["guidance"], inputs={"draw": strokes})
rerun = [n["id"] for n in after.nodes if n["status"] == "computed"]
print("re-ran after the swap:", ", ".join(rerun))
assert rerun == ["mouth/decode", "compose", "place_guidance"], rerun  # place_guidance: back to where the face was drawn

x, y, size = mouth["window"]
canvas = manifest["canvas"]
scale = before.outputs["guidance"].shape[-1] / canvas
window = (slice(None), slice(None), slice(int(y * scale), int((y + size) * scale)), slice(int(x * scale), int((x + size) * scale)))
ink_before = float((1 - before.outputs["guidance"][window]).sum())
ink_after = float((1 - after.outputs["guidance"][window]).sum())
print(f"ink in the mouth window: {ink_before:.0f} before, {ink_after:.0f} with the bold decoder")
assert ink_after > ink_before
outside = np.ones(before.outputs["guidance"].shape, bool)
outside[window] = False
assert np.array_equal(before.outputs["guidance"][outside], after.outputs["guidance"][outside]) or \
    np.abs(before.outputs["guidance"][outside] - after.outputs["guidance"][outside]).max() < 0.5, "only the mouth changes"

for name, result in (("before", before), ("after", after)):
    save = sumi.Graph(name="save")
    save.add_node("img", "io.load_image")
    save.add_node("png", "io.save_image", path=str(out / f"guidance_{name}.png"))
    save.link("img.image", "png.image")
    save.set_output("written", "png.path")
    print("wrote", session.run(save, inputs={"img": result.outputs["guidance"]}).outputs["written"])

# A model with the wrong interface is refused with the node and the file named:
# the nose decoder draws 64 x 64 crops, the remainder needs 128 x 128.
nose_decoder = str(manifest_path.parent / manifest["parts"]["nose"]["decoder"])
graph.set_param("remainder", "decoder", nose_decoder)
try:
    session.run(graph, outputs=["guidance"], inputs={"draw": strokes})
    raise SystemExit("a decoder with the wrong output shape was accepted")
except sumi.Error as e:
    print("refused as expected:", str(e).splitlines()[0])
    assert "remainder/decode" in str(e) and "nose_decoder.pt" in str(e)
