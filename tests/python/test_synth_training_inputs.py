"""One preprocessing path (issue 18): what the synthesis model is trained on
(models/synth/prepare_canonical.py + canonical_data.py) is what the portrait
graph feeds it. For multi-style fixture faces with their true frame fed in
place of face.locate's answer, the training arrays' canonical sketch and part
latents equal graphs/deepfacedrawing.sumi.json's own `canonical` image and
parts' `encoded` / `latent` (projected) outputs, and the training guide equals the sketch
synth.image hands a guided generator (area-scaled to the synthesis size)."""
import json
import pathlib
import sys

import numpy as np
import torch

import sumi

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "models" / "data" / "fixture_styles"
sys.path.insert(0, str(ROOT / "models" / "synth"))
import prepare_canonical  # noqa: E402

PARTS = prepare_canonical.PARTS


def fixture_faces(count):
    faces = [json.loads(line) for line in (FIXTURE / "manifest.jsonl").read_text().splitlines() if line.strip()]
    by_style = {}
    for f in faces:
        by_style.setdefault(f["style"], f)
    return list(by_style.values())[:count]


def load_sketch(session, face):
    loader = sumi.Graph()
    loader.add_node("load", "io.load_image", channels="gray", path=str(FIXTURE / face["files"]["sketch"]))
    loader.set_output("image", "load.image")
    return session.run(loader).outputs["image"]


def test_training_arrays_equal_what_the_portrait_graph_feeds_the_models():
    faces = fixture_faces(4)
    # jitter 0: the true frames, as the graph gets them when face.locate is exact
    arrays = prepare_canonical.work((FIXTURE, faces, 128, 256, (0.0, 0.0, 0.0), 1, False, None))
    graph = sumi.Graph.load(str(ROOT / "graphs" / "deepfacedrawing.sumi.json"))
    graph.set_output("canonical", "canonical.image")
    for p in PARTS:
        graph.set_output(f"latent_{p}", f"{p}.encoded")  # the part's instance of part_chain.sumi.json
        graph.set_param(p, "blend", 1.0)
        graph.set_output(f"projected_{p}", f"{p}.latent")
    session = sumi.Session()
    for i, face in enumerate(faces):
        sketch = load_sketch(session, face)
        frame = {"canonical": 256, "size": (face["size"], face["size"]), "matrix": face["frame"]["matrix"],
                 "located": True, "parts": {}}
        out = session.run(graph, outputs=["canonical"] + [f"{k}_{p}" for k in ("latent", "projected") for p in PARTS],
                          inputs={"sketch": sketch, "locate.frame": frame}).outputs
        canonical = np.round(out["canonical"][0, 0] * 255).astype(np.uint8)
        assert np.array_equal(arrays["sketches"][i], canonical), face["id"]
        for k, p in enumerate(PARTS):
            np.testing.assert_allclose(arrays["latents"][i, k], np.asarray(out[f"latent_{p}"]).reshape(-1),
                                       rtol=2e-3, atol=2e-3)  # fp16 storage
            np.testing.assert_allclose(arrays["projected"][i, k], np.asarray(out[f"projected_{p}"]).reshape(-1),
                                       rtol=2e-3, atol=2e-3)
        assert not np.array_equal(arrays["latents"][i], arrays["projected"][i])


def test_the_training_guide_is_the_sketch_synth_image_hands_the_generator(tmp_path):
    """canonical_data scales the canonical sketch to the synthesis size the way synth.image does: a guided
    generator that returns its guide shows it."""
    from canonical_data import CanonicalData

    faces = fixture_faces(2)
    arrays = prepare_canonical.work((FIXTURE, faces, 128, 256, (0.0, 0.0, 0.0), 1, False, None))
    np.savez(tmp_path / "c.npz", **arrays, ids=np.arange(2), split=np.zeros(2, np.uint8), style=np.zeros(2, np.uint8),
             styles=np.array(["x"]), parts=np.array(PARTS), size=128, canvas=256, data_version="test",
             jitter_args=np.zeros(3, np.float32))
    data = CanonicalData(tmp_path / "c.npz")
    *_, guide = data.batch(np.arange(2), torch.Generator().manual_seed(0), 64, blend=0.0, p_degrade=0.0, p_none=1.0)

    class Echo(torch.nn.Module):
        def forward(self, f, hint, mask, guide):
            return guide.repeat(1, 3, 1, 1)

    torch.jit.script(Echo()).save(str(tmp_path / "echo.pt"))
    shipped = json.loads((ROOT / "models" / "synth" / "manifest.json").read_text())
    shipped["guide"] = {"size": shipped["size"]}  # whatever ships: this checks the node's handling of a guide
    (tmp_path / "guided.json").write_text(json.dumps(shipped))
    g = sumi.Graph.load(str(ROOT / "graphs" / "deepfacedrawing.sumi.json"))
    g.set_param("portrait", "generator", str(tmp_path / "echo.pt"))
    g.set_param("portrait", "manifest", str(tmp_path / "guided.json"))
    if "sketch" not in g.nodes["portrait"]["inputs"]:
        g.link("canonical.image", "portrait.sketch")
    g.set_output("generated", "portrait.image")
    session = sumi.Session()
    for i, face in enumerate(faces):
        frame = {"canonical": 256, "size": (face["size"], face["size"]), "matrix": face["frame"]["matrix"],
                 "located": True, "parts": {}}
        img = session.run(g, outputs=["generated"], inputs={"locate.frame": frame, "sketch": load_sketch(session, face)})
        img = img.outputs["generated"]
        # the training arrays hold the canonical sketch as uint8: half a grey level apart at most
        np.testing.assert_allclose(img[0, 0], guide[i, 0].numpy(), atol=0.5 / 255 + 1e-6)
